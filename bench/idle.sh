#!/usr/bin/env bash
# Server memory per idle IMAP connection (anchors/imap-idle-mem: N clients LOGIN, SELECT INBOX
# and IDLE; PSS growth of the server's processes): kurier and Dovecot at the same N, then kurier
# alone at 10,000 (the issue's target: <= 30 KiB each). Usage: bench/idle.sh [N] [--running]
# (--running: the servers are already up, as bench/imap.sh leaves them).
source "$(dirname "$0")/common.sh"
idle="${1:-2000}"
if [[ "${2:-}" != "--running" ]]; then
  build_kurier
  start_kurier; start_anchor
  trap 'stop_kurier; stop_anchor' EXIT
fi
ulimit -n "$(ulimit -Hn)"
mem() { python3 "$ANCHORS/imap-idle-mem" "$@" | sed -n 's/.*: \([0-9.]*\) KiB per idle connection/\1/p'; }
k=$(mem $((KURIER_OFFSET + 143)) "$idle" kurier --password "$KURIER_PASSWORD")
d=$(mem $((ANCHOR_OFFSET + 143)) "$idle" imap,imap-login,dovecot,auth,anvil,log,config --password "$ANCHOR_PASSWORD")
echo "Idle IMAP connections ($idle in IDLE): kurier $k KiB each, Dovecot $d KiB each, Dovecot/kurier $(ratio "$d" "$k")"
big=$(( $(ulimit -n) > 10500 ? 10000 : $(ulimit -n) - 500 ))
k10=$(mem $((KURIER_OFFSET + 143)) "$big" kurier --password "$KURIER_PASSWORD")
echo "Idle IMAP connections ($big in IDLE): kurier $k10 KiB each"

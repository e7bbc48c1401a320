#!/usr/bin/env bash
# The cost of Sieve at delivery: LMTP delivery rate (as bench/lmtp.sh) with no script, then with a
# 20-rule active script for every recipient, on kurier and on Dovecot + Pigeonhole in one run.
# Prints both servers' rates, each one's cost of the script, and the ratio with the script.
# Usage: bench/sieve.sh [MESSAGES]
source "$(dirname "$0")/common.sh"
messages="${1:-2000}"

script="$WORK/twenty-rules.sieve"
write_script() {  # 20 rules a bench message never matches, as a real filter mostly does not
  mkdir -p "$WORK"
  {
    echo 'require ["fileinto", "imap4flags", "body", "variables"];'
    for i in $(seq 1 20); do
      case $((i % 4)) in
        0) echo "if header :contains \"subject\" \"topic$i\" { fileinto \"Folder$i\"; stop; }" ;;
        1) echo "if address :domain :is \"from\" \"list$i.example\" { addflag \"\\\\Flagged\"; fileinto \"Lists\"; }" ;;
        2) echo "if header :matches \"x-mailer\" \"*tool$i*\" { set \"tool\" \"\${1}\"; }" ;;
        3) echo "if size :over ${i}M { fileinto \"Big\"; }" ;;
      esac
    done
  } >"$script"
}

build_kurier
write_script
start_kurier; start_anchor
trap 'stop_kurier; stop_anchor' EXIT
k0=$(lmtp_rate $((KURIER_OFFSET + 24)))
d0=$(lmtp_rate $((ANCHOR_OFFSET + 24)))
for u in 1 2 3 4; do
  "$KURIER" -c "$WORK/kurier/kurier.toml" sieve put "user$u@example.test" rules "$script" --activate >/dev/null
  python3 "$BENCH_ROOT/bench/managesieve_put.py" 127.0.0.1 $((ANCHOR_OFFSET + 4190)) "user$u@example.test" \
    "$ANCHOR_PASSWORD" rules "$script"
done
k1=$(lmtp_rate $((KURIER_OFFSET + 24)))
d1=$(lmtp_rate $((ANCHOR_OFFSET + 24)))
cost() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{(1 - b / a) * 100:.1f}%')" "$1" "$2"; }
echo "LMTP delivery, $messages x 4 KiB, 20 senders, no script:   kurier $k0 msgs/s, Dovecot $d0 msgs/s, ratio $(ratio "$k0" "$d0")"
echo "LMTP delivery, $messages x 4 KiB, 20 senders, 20-rule script: kurier $k1 msgs/s, Dovecot+Pigeonhole $d1 msgs/s, ratio $(ratio "$k1" "$d1")"
echo "cost of the script: kurier $(cost "$k0" "$k1"), Dovecot $(cost "$d0" "$d1") (target for kurier: < 10%)"

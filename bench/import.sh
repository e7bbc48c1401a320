#!/usr/bin/env bash
# Import throughput with `kurier serve` running (issue 12 targets): a Dovecot-style Maildir of
# MAILDIR_MESSAGES (default 100,000) messages of 4 KiB (target >= 3,000 msgs/s), and an
# IMAP-to-IMAP import of IMAP_MESSAGES (default 20,000) from the anchors' Dovecot (target
# >= 1,000 msgs/s). Prints msgs/s for each, from the import's own --json report.
# Usage: bench/import.sh [MAILDIR_MESSAGES] [IMAP_MESSAGES]
source "$(dirname "$0")/common.sh"
maildir_messages="${1:-100000}"; imap_messages="${2:-20000}"
here="$(dirname "$0")"
KURIER_OFFSET="${IMPORT_KURIER_OFFSET:-42000}"; ANCHOR_OFFSET="${IMPORT_ANCHOR_OFFSET:-32000}"
WORK="${BENCH_WORK:-/tmp/kurier-bench-import}"; USERS=3

build_kurier
start_kurier; start_anchor
trap 'stop_kurier; stop_anchor' EXIT
k=("$KURIER" -c "$WORK/kurier/kurier.toml")
rate() { python3 -c "import json,sys; r=json.load(sys.stdin); print(f\"{r['messages_per_second']:.0f} ({r['imported']} messages in {r['seconds']:.1f} s)\")"; }

rm -rf "$WORK/maildir"
python3 "$here/import_gen.py" "$WORK/maildir" "$maildir_messages"
sync
echo "Maildir import, $maildir_messages messages of 4 KiB, server running: $("${k[@]}" import maildir "$WORK/maildir" --to user1@example.test --json | rate) msgs/s"

# The anchors' Dovecot gets the first IMAP_MESSAGES of the same messages as user2's INBOX.
src="$WORK/anchor/mail/user2/Maildir"
rm -rf "$src"  # a clean source each run (the anchor keeps its mail between runs)
mkdir -p "$src/cur" "$src/new" "$src/tmp"
find "$WORK/maildir/cur" -type f | sed -n "1,${imap_messages}p" | xargs -r cp -t "$src/cur"
chown -R mail:mail "$WORK/anchor/mail/user2"
doveadm -c "$WORK/anchor/dovecot.conf" index -u user2@example.test INBOX >/dev/null
printf 'pass\n' > "$WORK/anchor-password"
echo "IMAP-to-IMAP import from Dovecot, $imap_messages messages: $("${k[@]}" import imap --host 127.0.0.1 --port $((ANCHOR_OFFSET + 143)) \
  --user user2@example.test --password-file "$WORK/anchor-password" --to user3@example.test --json | rate) msgs/s"

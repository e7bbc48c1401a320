#!/usr/bin/env bash
# SMTP end to end: Postfix's smtp-source drives N messages into kurier's port 25 and into
# Postfix + Dovecot, the clock stopping when IMAP shows all of them in the mailboxes
# (anchors/smtp-e2e); then acceptance rate and p50/p99 latency at 20 concurrent senders for
# both, and kurier's submission rate with AUTH. Usage: bench/smtp.sh [MESSAGES]
source "$(dirname "$0")/common.sh"
messages="${1:-2000}"
here="$(dirname "$0")"

build_kurier
start_kurier; start_anchor
trap 'stop_kurier; stop_anchor' EXIT
e2e() { python3 "$ANCHORS/smtp-e2e" "$@" --messages "$messages" --senders 20 --users 4 | sed -n 's/.*(\([0-9]*\) msgs\/s end to end).*/\1/p'; }
k=$(e2e $((KURIER_OFFSET + 25)) $((KURIER_OFFSET + 143)) --password "$KURIER_PASSWORD")
d=$(e2e $((ANCHOR_OFFSET + 25)) $((ANCHOR_OFFSET + 143)) --password "$ANCHOR_PASSWORD")
echo "SMTP -> mailbox, $messages x 4 KiB, 20 senders: kurier $k msgs/s, Postfix+Dovecot $d msgs/s, ratio $(ratio "$k" "$d")"
read -r kr k50 k99 < <(python3 "$here/smtp_latency.py" $((KURIER_OFFSET + 25)) --senders 20 --messages 100)
read -r dr d50 d99 < <(python3 "$here/smtp_latency.py" $((ANCHOR_OFFSET + 25)) --senders 20 --messages 100)
echo "SMTP acceptance, 20 senders: kurier $kr msgs/s (p50 $k50 ms, p99 $k99 ms), Postfix $dr msgs/s (p50 $d50 ms, p99 $d99 ms), ratio $(ratio "$kr" "$dr")"
read -r sr s50 s99 < <(python3 "$here/smtp_latency.py" $((KURIER_OFFSET + 587)) --senders 20 --messages 100 --auth "user1@example.test:$KURIER_PASSWORD")
echo "Submission with AUTH, 20 senders: kurier $sr msgs/s (p50 $s50 ms, p99 $s99 ms); the anchor Postfix has no SASL submission to compare"

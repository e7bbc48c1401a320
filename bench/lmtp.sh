#!/usr/bin/env bash
# LMTP delivery rate: Postfix's smtp-source speaks LMTP (-L) to kurier and to Dovecot, 4 × 5
# senders, N messages of 4 KiB to 4 users, as anchors/README.md measures Dovecot. Prints msgs/s
# for both and the ratio. Usage: bench/lmtp.sh [MESSAGES]
source "$(dirname "$0")/common.sh"
messages="${1:-2000}"

build_kurier
start_kurier; start_anchor
trap 'stop_kurier; stop_anchor' EXIT
k=$(lmtp_rate $((KURIER_OFFSET + 24)))
d=$(lmtp_rate $((ANCHOR_OFFSET + 24)))
echo "LMTP delivery, $messages x 4 KiB, 20 senders: kurier $k msgs/s, Dovecot $d msgs/s, ratio $(ratio "$k" "$d")"

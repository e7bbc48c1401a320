#!/usr/bin/env bash
# POP3 commands/s under the same load (bench/pop3_load.py: mail checks of USER, PASS, STAT, UIDL,
# LIST, RETR, TOP, QUIT) against kurier and Dovecot, after filling each user's INBOX with the
# same messages over LMTP; then the memory per idle logged-in POP3 connection on both.
# Usage: bench/pop3.sh [CLIENTS] [SECONDS] [IDLE_CONNECTIONS <= BENCH_USERS]
source "$(dirname "$0")/common.sh"
clients="${1:-20}"; seconds="${2:-20}"; idle="${3:-$USERS}"
here="$(dirname "$0")"

build_kurier
start_kurier; start_anchor
trap 'stop_kurier; stop_anchor' EXIT
fill_mailboxes "$clients" 16384 $((KURIER_OFFSET + 24)); fill_mailboxes "$clients" 16384 $((ANCHOR_OFFSET + 24))
k=$(python3 "$here/pop3_load.py" $((KURIER_OFFSET + 110)) "$KURIER_PASSWORD" --clients "$clients" --seconds "$seconds")
d=$(python3 "$here/pop3_load.py" $((ANCHOR_OFFSET + 110)) "$ANCHOR_PASSWORD" --clients "$clients" --seconds "$seconds")
echo "POP3 load, $clients clients, ${seconds}s: kurier $k commands/s, Dovecot $d commands/s, ratio $(ratio "$k" "$d")"
mem() { python3 "$here/pop3_idle_mem.py" "$@" | sed -n 's/.*: \([0-9.]*\) KiB per idle POP3 connection/\1/p'; }
km=$(mem $((KURIER_OFFSET + 110)) "$idle" kurier --users "$USERS" --password "$KURIER_PASSWORD")
dm=$(mem $((ANCHOR_OFFSET + 110)) "$idle" pop3,pop3-login,dovecot,auth,anvil,log,config --users "$USERS" --password "$ANCHOR_PASSWORD")
echo "Idle POP3 connections ($idle logged in): kurier $km KiB each, Dovecot $dm KiB each, Dovecot/kurier $(ratio "$dm" "$km")"

#!/usr/bin/env bash
# IMAP operations/s under the same load (bench/imap_load.cpp, in C++ so the
# client does not eat the servers' CPU) against kurier and Dovecot, after
# filling each user's INBOX with the same messages over LMTP. Also the memory held per idle
# IMAP connection (anchors/imap-idle-mem). Usage: bench/imap.sh [CLIENTS] [SECONDS] [IDLE_CONNECTIONS]
source "$(dirname "$0")/common.sh"
clients="${1:-20}"; seconds="${2:-20}"; idle="${3:-2000}"
here="$(dirname "$0")"

build_kurier
build_bench_tool imap_load
hold_build_lock
start_kurier; start_anchor
trap 'stop_kurier; stop_anchor' EXIT
fill_mailboxes 20 4096 $((KURIER_OFFSET + 24)); fill_mailboxes 20 4096 $((ANCHOR_OFFSET + 24))
load="$BENCH_ROOT/build-release/imap_load"
k=$("$load" $((KURIER_OFFSET + 143)) "$KURIER_PASSWORD" --clients "$clients" --seconds "$seconds")
d=$("$load" $((ANCHOR_OFFSET + 143)) "$ANCHOR_PASSWORD" --clients "$clients" --seconds "$seconds")
echo "IMAP load, $clients clients, ${seconds}s: kurier $k ops/s, Dovecot $d ops/s, ratio $(ratio "$k" "$d")"
"$here/idle.sh" "$idle" --running

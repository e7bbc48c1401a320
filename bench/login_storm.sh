#!/usr/bin/env bash
# RCPT latency while 300 connections fail IMAP logins (issue 8): a Release kurier, the quiet
# figure and the one under the storm, and their ratio.  bench/login_storm.sh [CONNECTIONS] [SAMPLES]
source "$(dirname "$0")/common.sh"
build_kurier
hold_build_lock
start_kurier
trap stop_kurier EXIT
python3 "$BENCH_ROOT/bench/login_storm.py" 127.0.0.1 $((KURIER_OFFSET + 25)) $((KURIER_OFFSET + 143)) \
  user1@example.test "${1:-300}" "${2:-300}"

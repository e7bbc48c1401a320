#!/usr/bin/env bash
# Soak: MINUTES (default 60) of mixed load against a Release kurier — IMAP (bench/imap_load.cpp:
# SELECT, FETCH, STORE, SEARCH, APPEND, EXPUNGE, re-logins) plus SMTP and LMTP deliveries
# (smtp-source) — with the server's memory sampled every minute: RSS, and its anonymous part (heap,
# stacks: what a leak grows). The file-backed rest is the store's mmap of store.db and blobs,
# page cache that grows with the mailboxes and that the kernel takes back under pressure. Prints
# the samples and the anonymous memory's growth after the warm-up (the first WARMUP minutes,
# default 5); the goal is flat within 5%.
#   bench/soak.sh [MINUTES] [WARMUP]
source "$(dirname "$0")/common.sh"
minutes="${1:-60}"; warmup="${2:-5}"
here="$(dirname "$0")"
(( warmup < minutes )) || { echo "WARMUP must be shorter than MINUTES" >&2; exit 2; }

build_kurier
build_bench_tool imap_load
start_kurier
trap 'kill "${load_pids[@]}" 2>/dev/null || true; stop_kurier' EXIT

deliveries() {  # one minute's worth: 10 senders x 20 messages over SMTP, 10 over LMTP
  local pids=()
  for u in $(seq 1 10); do
    smtp-source -s 2 -m 20 -l 4096 -f soak@example.org -t "user$u@example.test" "127.0.0.1:$((KURIER_OFFSET + 25))" &
    pids+=($!)
    smtp-source -L -s 2 -m 20 -l 8192 -f soak@example.org -t "user$((u + 10))@example.test" "127.0.0.1:$((KURIER_OFFSET + 24))" &
    pids+=($!)
  done
  wait "${pids[@]}"
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$KURIER_PID/status"; }
anon_kib() { awk '/^RssAnon:/ { print $2 }' "/proc/$KURIER_PID/status"; }

load_pids=()
"$BENCH_ROOT/build-release/imap_load" $((KURIER_OFFSET + 143)) "$KURIER_PASSWORD" --clients 10 --seconds $((minutes * 60)) \
  >"$WORK/soak-imap.txt" &
load_pids+=($!)
( while true; do deliveries >/dev/null 2>&1; sleep 50; done ) &
load_pids+=($!)

samples=()
printf 'minute  RSS (KiB)  anonymous (KiB)\n'
for m in $(seq 1 "$minutes"); do
  sleep 60
  kill -0 "$KURIER_PID" 2>/dev/null || { echo "kurier died at minute $m; see $WORK/kurier.log" >&2; exit 1; }
  samples+=("$(anon_kib)")
  printf '%6d  %9d  %15d\n' "$m" "$(rss_kib)" "${samples[-1]}"
done
kill "${load_pids[@]}" 2>/dev/null || true
wait "${load_pids[0]}" 2>/dev/null || true
base=${samples[$((warmup - 1))]}
last=${samples[-1]}
peak=$(printf '%s\n' "${samples[@]:$warmup}" | sort -n | tail -1)
python3 - "$base" "$last" "$peak" "$minutes" "$warmup" "$(cat "$WORK/soak-imap.txt" 2>/dev/null || echo '?')" <<'PY'
import sys
base, last, peak, minutes, warmup, ops = sys.argv[1:]
base, last, peak = int(base), int(last), int(peak)
growth = (last - base) / base * 100
print(f"soak: {minutes} min, IMAP {ops} ops/s alongside SMTP+LMTP deliveries; anonymous memory after {warmup} "
      f"min warm-up {base} KiB, at the end {last} KiB (peak {peak}): growth {growth:+.1f}% (goal: within 5%)")
PY

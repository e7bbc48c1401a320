#!/usr/bin/env bash
# Soak: MINUTES (default 60) of mixed load against a Release kurier — IMAP (bench/imap_load.cpp:
# SELECT, FETCH, STORE, SEARCH, APPEND, EXPUNGE, re-logins) plus SMTP and LMTP deliveries
# (smtp-source) — with the server's memory sampled every minute: RSS, and its anonymous part (heap,
# stacks: what a leak grows). The file-backed rest is the store's mmap of store.db and blobs,
# page cache that grows with the mailboxes and that the kernel takes back under pressure. Prints
# the samples and the anonymous memory's growth after the warm-up (the first WARMUP minutes,
# default 5); the goal is flat within 5%. From the server's /metrics it also samples the heap in
# use and SQLite's part of it: SQLite's page caches fill as the store grows, up to each
# connection's cache_size, so "the rest" (heap in use minus SQLite) is where a leak would show.
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
metric_kib() {  # NAME: a gauge of the server's /metrics, in KiB
  curl -s "http://127.0.0.1:$((KURIER_OFFSET + 80))/metrics" | awk -v n="$1" '$1 == n { printf "%d", $2 / 1024 }'
}

load_pids=()
"$BENCH_ROOT/build-release/imap_load" $((KURIER_OFFSET + 143)) "$KURIER_PASSWORD" --clients 10 --seconds $((minutes * 60)) \
  >"$WORK/soak-imap.txt" &
load_pids+=($!)
( while true; do deliveries >/dev/null 2>&1; sleep 50; done ) &
load_pids+=($!)

samples=() rests=()
printf 'minute  RSS (KiB)  anonymous (KiB)  heap in use (KiB)  SQLite (KiB)  the rest (KiB)\n'
for m in $(seq 1 "$minutes"); do
  sleep 60
  kill -0 "$KURIER_PID" 2>/dev/null || { echo "kurier died at minute $m; see $WORK/kurier.log" >&2; exit 1; }
  samples+=("$(anon_kib)")
  heap=$(metric_kib kurier_memory_heap_in_use_bytes); sqlite=$(metric_kib kurier_memory_sqlite_bytes)
  rests+=("$((heap - sqlite))")
  printf '%6d  %9d  %15d  %17d  %12d  %14d\n' "$m" "$(rss_kib)" "${samples[-1]}" "$heap" "$sqlite" "${rests[-1]}"
done
kill "${load_pids[@]}" 2>/dev/null || true
wait "${load_pids[0]}" 2>/dev/null || true
# With the load gone (its sessions closed, their mailbox views freed) and one allocator trim
# later, what stays is what a leak would have left behind.
sleep 65
idle_anon=$(anon_kib)
idle_rest=$(( $(metric_kib kurier_memory_heap_in_use_bytes) - $(metric_kib kurier_memory_sqlite_bytes) ))
printf '%6s  %9d  %15d  %17s  %12s  %14d\n' idle "$(rss_kib)" "$idle_anon" "" "" "$idle_rest"
base=${samples[$((warmup - 1))]}
last=${samples[-1]}
peak=$(printf '%s\n' "${samples[@]:$warmup}" | sort -n | tail -1)
rest_base=${rests[$((warmup - 1))]} rest_last=${rests[-1]}
python3 - "$base" "$last" "$peak" "$minutes" "$warmup" "$(cat "$WORK/soak-imap.txt" 2>/dev/null || echo '?')" \
  "$rest_base" "$rest_last" "$idle_rest" "$idle_anon" <<'PY'
import sys
base, last, peak, minutes, warmup, ops, rest_base, rest_last, idle_rest, idle_anon = sys.argv[1:]
base, last, peak, rest_base, rest_last, idle_rest, idle_anon = map(
    int, (base, last, peak, rest_base, rest_last, idle_rest, idle_anon))
growth = (last - base) / base * 100
print(f"heap in use apart from SQLite's caches: {rest_base} KiB after the warm-up, {rest_last} KiB at the end "
      f"({(rest_last - rest_base) / rest_base * 100:+.1f}%; it holds the sessions' views of mailboxes that "
      f"grew all along), {idle_rest} KiB once the load stopped ({(idle_rest - rest_base) / rest_base * 100:+.1f}% "
      f"against the warm-up); anonymous memory then {idle_anon} KiB")
print(f"soak: {minutes} min, IMAP {ops} ops/s alongside SMTP+LMTP deliveries; anonymous memory after {warmup} "
      f"min warm-up {base} KiB, at the end {last} KiB (peak {peak}): growth {growth:+.1f}% (goal: within 5%)")
PY

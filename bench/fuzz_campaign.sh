#!/usr/bin/env bash
# The long fuzzing campaign of issue 8: runs the libFuzzer targets (fuzz/) one after another at
# idle CPU priority until each has run HOURS CPU-hours in total, over as many sessions as that
# takes. Each run's CPU time (user + sys, measured, not the wall clock) is appended to the ledger
# fuzz/campaign.tsv, which is committed, so the total per target survives a fresh clone; the
# corpus grows in build-fuzz/corpus/NAME/ between runs. A crash stops the campaign, with the
# input in build-fuzz/crashes/.
#   bench/fuzz_campaign.sh [--hours H] [--slice MINUTES] [--jobs N] [TARGET...]
#   bench/fuzz_campaign.sh --report        # the ledger's totals per target
# Pause it during benchmarks with `kill -STOP -PGID` and resume with `kill -CONT -PGID`.
set -euo pipefail
cd "$(dirname "$0")/.."
ledger=fuzz/campaign.tsv
hours=1 slice=30 jobs=1 report=0
targets=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --hours) hours=$2; shift 2 ;;
    --slice) slice=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --report) report=1; shift ;;
    *) targets+=("$1"); shift ;;
  esac
done
[[ -f $ledger ]] || printf 'date\tcommit\ttarget\tcpu_seconds\texecutions\tresult\n' >"$ledger"

cpu_seconds_of() {  # total CPU seconds the ledger holds for target $1
  awk -F'\t' -v t="$1" 'NR > 1 && $3 == t { s += $4 } END { printf "%d", s }' "$ledger"
}

print_report() {
  local t total=0 n=0
  printf '%-22s %10s\n' target cpu_hours
  for t in $(ls fuzz/*_fuzz.cpp | xargs -n1 basename | sed 's/_fuzz.cpp$//'); do
    s=$(cpu_seconds_of "$t")
    printf '%-22s %10.2f\n' "$t" "$(awk -v s="$s" 'BEGIN { print s / 3600 }')"
    total=$((total + s)); n=$((n + 1))
  done
  printf '%-22s %10.2f  (%d targets)\n' total "$(awk -v s="$total" 'BEGIN { print s / 3600 }')" "$n"
}
if [[ $report == 1 ]]; then print_report; exit 0; fi

export CCACHE_NOHASHDIR=true CCACHE_BASEDIR="$PWD" CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
cmake -S fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug >/dev/null
flock /tmp/kurier-build.lock ninja -C build-fuzz -j2 >/dev/null
mkdir -p build-fuzz/crashes build-fuzz/logs
if [[ ${#targets[@]} -eq 0 ]]; then
  for t in build-fuzz/*_fuzz; do targets+=("$(basename "$t" _fuzz)"); done
fi
goal=$(awk -v h="$hours" 'BEGIN { printf "%d", h * 3600 }')
commit=$(git rev-parse --short HEAD)

# One slice of one target: at most `slice` minutes of wall time at SCHED_IDLE, so builds and
# servers keep the CPU; the CPU time it really got is what the ledger records.
run_slice() {
  local name=$1 wall=$2 log=build-fuzz/logs/$1.campaign.log times
  times=$(mktemp)
  mkdir -p "build-fuzz/corpus/$name"
  local result=ok
  if ! /usr/bin/time -f '%U %S' -o "$times" chrt --idle 0 build-fuzz/${name}_fuzz \
      -max_total_time="$wall" -rss_limit_mb=1024 -max_len=65536 -timeout=10 \
      -artifact_prefix="build-fuzz/crashes/${name}-" -print_final_stats=1 \
      "build-fuzz/corpus/$name" "fuzz/corpus/$name" >"$log" 2>&1; then
    result=crash
  fi
  # libFuzzer's -timeout counts wall time, and at SCHED_IDLE a busy machine can starve a unit for
  # minutes (seen: "timeout after 852 seconds" on an input that runs in 1 ms). A timeout counts
  # only if its input is slow again at normal priority; a starved one is noted and dropped.
  local artifact
  artifact=$(grep -o "Test unit written to build-fuzz/crashes/${name}-timeout-[0-9a-f]*" "$log" | awk '{ print $NF }' || true)
  if [[ $result == crash && -n $artifact ]] &&
      build-fuzz/${name}_fuzz -timeout=10 -runs=1 "$artifact" >"$log.recheck" 2>&1; then
    echo "$name: the timeout was starvation at idle priority (the input runs at once): dropped"
    mv "$artifact" "build-fuzz/logs/$(basename "$artifact").starved"
    result=ok
  fi
  local cpu execs
  cpu=$(awk 'END { printf "%d", $1 + $2 }' "$times")
  execs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rm -f "$times"
  # One line per slice; flock so parallel jobs never interleave a line.
  flock "$ledger" printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$commit" "$name" "$cpu" \
    "$execs" "$result" >>"$ledger"
  echo "$name: $result, ${cpu} CPU s, ${execs} runs (total $(cpu_seconds_of "$name") s)"
  [[ $result == ok ]]
}

# Targets furthest from the goal go first; jobs run side by side, one per target.
next_targets() {
  for t in "${targets[@]}"; do
    s=$(cpu_seconds_of "$t")
    [[ $s -lt $goal ]] && echo "$s $t"
  done | sort -n | head -n "$jobs" | awk '{ print $2 }'
}
while :; do
  batch=$(next_targets)
  [[ -z $batch ]] && break
  pids=()
  for t in $batch; do run_slice "$t" $((slice * 60)) & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || { echo "crash: stopping the campaign"; exit 1; }; done
done
print_report

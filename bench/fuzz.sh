#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang + ASan/UBSan) and runs each for SECONDS (default 30),
# two at a time (one per core), starting from the seed corpus in fuzz/corpus/NAME/. New inputs go
# to build-fuzz/corpus/NAME/ (kept between runs), crashes to build-fuzz/crashes/. Prints the
# executions and CPU time per target; exits 1 if any target crashed.
#   bench/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true

export CCACHE_NOHASHDIR=true CCACHE_BASEDIR="$PWD" CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
cmake -S fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug >/dev/null
ninja -C build-fuzz -j"$(nproc)" >/dev/null

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for t in build-fuzz/*_fuzz; do targets+=("$(basename "$t" _fuzz)"); done
fi
mkdir -p build-fuzz/crashes build-fuzz/logs

run_one() {
  local name=$1 seconds=$2
  mkdir -p "build-fuzz/corpus/$name"
  # -rss_limit_mb: a parser must stay bounded; -max_len: bigger inputs than the seeds.
  if build-fuzz/${name}_fuzz -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=65536 -timeout=10 \
      -artifact_prefix="build-fuzz/crashes/${name}-" -print_final_stats=1 \
      "build-fuzz/corpus/$name" "fuzz/corpus/$name" >"build-fuzz/logs/$name.log" 2>&1; then
    echo "$name: ok, $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "build-fuzz/logs/$name.log" | grep -o '[0-9]*$') runs in ${seconds} s"
  else
    echo "$name: CRASH, see build-fuzz/logs/$name.log and build-fuzz/crashes/${name}-*"
    grep -m3 -E "ERROR|runtime error|SUMMARY" "build-fuzz/logs/$name.log" | sed 's/^/    /'
    return 1
  fi
}
export -f run_one

status=0
printf '%s\n' "${targets[@]}" | xargs -P "$(nproc)" -I{} bash -c "run_one {} $seconds" || status=1
cpu_hours=$(awk -v n="${#targets[@]}" -v s="$seconds" 'BEGIN { printf "%.3f", n * s / 3600 }')
echo "fuzzing: ${#targets[@]} targets x ${seconds} s = ${cpu_hours} CPU hours"
exit $status

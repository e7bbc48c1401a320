# Shared by the bench scripts: a Release kurier and a Postfix + Dovecot anchor on loopback,
# the same users on both (user1..userN@example.test), so every workload runs against both in one go.
set -euo pipefail
BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ANCHORS="${ANCHORS:-$BENCH_ROOT/../shared/anchors}"
WORK="${BENCH_WORK:-/tmp/kurier-bench}"
KURIER_OFFSET="${KURIER_OFFSET:-40000}"
ANCHOR_OFFSET=30000
USERS="${BENCH_USERS:-100}"
KURIER_PASSWORD="bench-password"   # kurier enforces 8+ characters
ANCHOR_PASSWORD="pass"             # what anchors/start gives Dovecot's users
KURIER="$BENCH_ROOT/build-release/kurier"

build_kurier() {
  "$BENCH_ROOT/scripts/install-deps.sh" --test
  export CCACHE_NOHASHDIR=true CCACHE_BASEDIR="$BENCH_ROOT"
  cmake -S "$BENCH_ROOT" -B "$BENCH_ROOT/build-release" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DKURIER_TESTS=OFF >/dev/null
  # One build at a time on this machine (other checkouts may be building too).
  flock /tmp/kurier-build.lock ninja -C "$BENCH_ROOT/build-release" -j"$(nproc)" kurier >/dev/null
}

# Load generators written in C++ (bench/NAME.cpp -> build-release/NAME): a Python client costs
# more CPU than the server it measures, and on a small machine it takes that CPU from the server.
build_bench_tool() {  # NAME
  local src="$BENCH_ROOT/bench/$1.cpp" out="$BENCH_ROOT/build-release/$1"
  [[ -x "$out" && "$out" -nt "$src" ]] || g++ -O2 -std=c++20 -pthread -o "$out" "$src"
}

start_kurier() {
  rm -rf "$WORK/kurier"; mkdir -p "$WORK"
  # KURIER_DIRECTORY_DSN: the directory on that MariaDB/PostgreSQL database (bench/directory_backends.sh).
  "$KURIER" init --data-dir "$WORK/kurier" --hostname localhost --bind 127.0.0.1 \
    ${KURIER_DIRECTORY_DSN:+--directory-dsn "$KURIER_DIRECTORY_DSN"} \
    --port-offset "$KURIER_OFFSET" >/dev/null
  # Benchmarks open thousands of connections from 127.0.0.1.
  sed -i 's/^\[limits\]$/[limits]\nmax_connections = 50000\nmax_connections_per_ip = 50000/' "$WORK/kurier/kurier.toml"
  local k=("$KURIER" -c "$WORK/kurier/kurier.toml")
  "${k[@]}" domain add example.test --default-quota 0 >/dev/null
  for i in $(seq 1 "$USERS"); do
    printf '%s\n' "$KURIER_PASSWORD" | "${k[@]}" user add "user$i@example.test" --password-stdin >/dev/null
  done
  "${k[@]}" serve 2>"$WORK/kurier.log" &
  KURIER_PID=$!
  for p in $((KURIER_OFFSET + 143)) $((KURIER_OFFSET + 24)) $((KURIER_OFFSET + 25)); do
    for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
  done
}

# Keeps other builds (bench/common.sh, scripts, helpers: everything that uses the build lock)
# off the CPU until this script exits, so timings are not taken while a compiler runs. Call it
# after the last build step of the script (build_kurier takes the same lock and would wait).
hold_build_lock() {
  exec {BUILD_LOCK_FD}>/tmp/kurier-build.lock
  flock "$BUILD_LOCK_FD"
}

stop_kurier() { kill -TERM "$KURIER_PID" 2>/dev/null || true; wait "$KURIER_PID" 2>/dev/null || true; }

start_anchor() {
  "$ANCHORS/start" "$WORK/anchor" "$ANCHOR_OFFSET" "$USERS" >/dev/null
}

stop_anchor() { "$ANCHORS/stop" "$WORK/anchor" >/dev/null 2>&1 || true; }

ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}x' if b else 'n/a')" "$1" "$2"; }

# LMTP delivery rate: smtp-source speaks LMTP (-L), 4 x 5 senders, $messages messages of 4 KiB to
# user1..user4. port -> msgs/s.
lmtp_rate() {  # port -> msgs/s
  local port=$1 per=$((messages / 4)) t0 t1
  t0=$(date +%s.%N)
  local pids=()
  for u in 1 2 3 4; do
    smtp-source -L -s 5 -m "$per" -l 4096 -f bench@example.org -t "user$u@example.test" "127.0.0.1:$port" &
    pids+=($!)
  done
  wait "${pids[@]}"  # not a bare wait: the servers are background jobs of this shell too
  t1=$(date +%s.%N)
  python3 -c "print(f'{$messages / ($t1 - $t0):.0f}')"
}

# Fills the INBOX of user1..userN with 100 messages of SIZE bytes each over LMTP.
fill_mailboxes() {  # USERS SIZE PORT
  local pids=()
  for u in $(seq 1 "$1"); do
    smtp-source -L -s 2 -m 100 -l "$2" -f fill@example.org -t "user$u@example.test" "127.0.0.1:$3" &
    pids+=($!)
  done
  wait "${pids[@]}"  # not a bare wait: the servers are background jobs of this shell too
}

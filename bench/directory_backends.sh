#!/usr/bin/env bash
# Directory lookups under load on each backend (issue 12 target: MariaDB and PostgreSQL at >= 80%
# of SQLite's rate): a Release kurier per backend, its directory on SQLite, then on a MariaDB and
# a PostgreSQL started by tests/integration/db_support.py on loopback; RCPT lookups/s and IMAP
# logins/s (bench/directory_load.py), and each server backend's ratio to SQLite.
# The backends run in the order ROUNDS times forth and back (sqlite mariadb postgresql postgresql
# mariadb sqlite ...), so a machine whose load drifts during the run (other builds) biases none of
# them; each figure is the mean of its runs.
#   bench/directory_backends.sh [USERS] [CLIENTS] [SECONDS] [ROUNDS]
source "$(dirname "$0")/common.sh"
users="${1:-100}"; clients="${2:-8}"; seconds="${3:-10}"; rounds="${4:-1}"
export USERS="$users"
[ -x "$KURIER" ] || build_kurier

run_backend() {  # BACKEND -> "rcpt/s logins/s"
  local backend=$1
  if [ "$backend" = sqlite ]; then
    start_kurier
    trap stop_kurier EXIT
    python3 "$BENCH_ROOT/bench/directory_load.py" 127.0.0.1 $((KURIER_OFFSET + 25)) $((KURIER_OFFSET + 143)) \
      "$KURIER_PASSWORD" "$users" --clients "$clients" --seconds "$seconds"
    stop_kurier
    trap - EXIT
  else
    # db_support starts the server and gives its DSN; the same setup as start_kurier, on that DSN.
    /usr/bin/python3 "$BENCH_ROOT/tests/integration/db_support.py" "$backend" -- \
      bash -c "source '$BENCH_ROOT/bench/common.sh'; USERS=$users; KURIER_DIRECTORY_DSN=\$KURIER_TEST_${backend^^}_DSN
        start_kurier; trap stop_kurier EXIT
        python3 '$BENCH_ROOT/bench/directory_load.py' 127.0.0.1 $((KURIER_OFFSET + 25)) $((KURIER_OFFSET + 143)) \
          '$KURIER_PASSWORD' $users --clients $clients --seconds $seconds"
  fi
}

declare -A rcpt login runs
order=()
for _ in $(seq "$rounds"); do order+=(sqlite mariadb postgresql postgresql mariadb sqlite); done
for backend in "${order[@]}"; do
  read -r r l < <(run_backend "$backend")
  echo "$backend: $r RCPT lookups/s, $l logins/s (load average $(cut -d' ' -f1 /proc/loadavg))"
  rcpt[$backend]=$(python3 -c "print(${rcpt[$backend]:-0} + $r)")
  login[$backend]=$(python3 -c "print(${login[$backend]:-0} + $l)")
  runs[$backend]=$(( ${runs[$backend]:-0} + 1 ))
done
for backend in sqlite mariadb postgresql; do
  rcpt[$backend]=$(python3 -c "print(round(${rcpt[$backend]} / ${runs[$backend]}))")
  login[$backend]=$(python3 -c "print(round(${login[$backend]} / ${runs[$backend]}, 1))")
  echo "$backend (mean of ${runs[$backend]}): ${rcpt[$backend]} RCPT lookups/s, ${login[$backend]} logins/s"
done
for backend in mariadb postgresql; do
  echo "$backend vs sqlite: RCPT $(ratio "${rcpt[$backend]}" "${rcpt[sqlite]}"), logins $(ratio "${login[$backend]}" "${login[sqlite]}")"
done

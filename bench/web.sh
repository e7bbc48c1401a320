#!/usr/bin/env bash
# Web API benchmarks against a Release kurier (bench/web_load.py):
#  1. the account list of 10,000 accounts walked page by page (?limit=50&after=): p99 per page,
#     target < 20 ms;
#  2. IMAP and SMTP p99 latency alone, then while 200 API clients keep the API busy: the
#     slowdown, target <= 10%.
# The 10,000 accounts are rows copied with sqlite3 from one made by the CLI (same password hash),
# so the setup does not spend minutes hashing passwords. usage: bench/web.sh [SECONDS]
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/common.sh"
# Another checkout's bench may hold common.sh's ports.
KURIER_OFFSET="${WEB_BENCH_OFFSET:-41000}"
seconds="${1:-20}"
accounts=10000
build_kurier
hold_build_lock
start_kurier
trap stop_kurier EXIT
db="$WORK/kurier/directory.db"
sqlite3 "$db" <<SQL
PRAGMA busy_timeout = 10000;
WITH RECURSIVE n(i) AS (SELECT $((USERS + 1)) UNION ALL SELECT i + 1 FROM n WHERE i < $accounts)
INSERT INTO accounts (domain_id, login, address, display_name, password_hash, scram_secret, quota, enabled, services, created_at)
SELECT a.domain_id, 'bulk' || i || '@example.test', 'bulk' || i || '@example.test', 'Bulk ' || i, a.password_hash,
       a.scram_secret, a.quota, 1, a.services, a.created_at
FROM n, (SELECT * FROM accounts WHERE address = 'user1@example.test') a;
SQL
echo "accounts: $(sqlite3 "$db" 'SELECT count(*) FROM accounts')"
http=$((KURIER_OFFSET + 80))
printf '%s\n' "$KURIER_PASSWORD" > "$WORK/admin-pw"
"$KURIER" -c "$WORK/kurier/kurier.toml" admin add bench --super --password-file "$WORK/admin-pw" >/dev/null

read -r n p50 p99 max < <(python3 "$here/web_load.py" pages $http bench "$KURIER_PASSWORD" --limit 50 --rounds 3)
echo "account pages (limit 50, $n pages over $accounts accounts): p50 ${p50} ms, p99 ${p99} ms, max ${max} ms (target p99 < 20 ms)"

smtp_p99() { python3 "$here/smtp_latency.py" $((KURIER_OFFSET + 25)) --senders 10 --messages 200 | awk '{print $3}'; }
imap_p99() { python3 "$here/web_load.py" imap $((KURIER_OFFSET + 143)) "$KURIER_PASSWORD" --clients 4 --seconds "$seconds" | awk '{print $3}'; }
s0=$(smtp_p99); i0=$(imap_p99)
# The 200 API clients stand for remote ones: their generator runs at nice 19, or on a 2-core
# machine its own CPU (a busy Python process) would be the slowdown measured, not kurier's.
nice -n 19 python3 "$here/web_load.py" api $http bench "$KURIER_PASSWORD" --clients 200 --seconds $((seconds * 3)) > "$WORK/api.out" &
load=$!
sleep 3  # the 200 clients log in first
s1=$(smtp_p99); i1=$(imap_p99)
wait "$load"
read -r rps a50 a99 < "$WORK/api.out"
echo "200 API clients: $rps requests/s, p50 ${a50} ms, p99 ${a99} ms"
echo "SMTP p99: ${s0} ms alone, ${s1} ms under API load ($(ratio "$s1" "$s0"))"
echo "IMAP p99: ${i0} ms alone, ${i1} ms under API load ($(ratio "$i1" "$i0"))"

#!/usr/bin/env bash
# The web UI's first page load in bytes transferred, compressed (issue 11: < 250 KB): a Release
# kurier on loopback (bench/common.sh), Debian's Chromium with an empty cache through
# bench/webui_size.mjs, which prints every response and the total. KURIER_BIN=path uses that
# binary instead of building one (the embedded assets are the same in every build type).
source "$(dirname "$0")/common.sh"
USERS=1
KURIER_OFFSET="${WEBUI_BENCH_OFFSET:-41000}"  # beside, not on, the other benches' ports
if [[ -n "${KURIER_BIN:-}" ]]; then KURIER="$KURIER_BIN"; else build_kurier; fi
start_kurier
trap stop_kurier EXIT
admin_password="bench-admin-password"
printf '%s\n' "$admin_password" | "$KURIER" -c "$WORK/kurier/kurier.toml" admin add webbench --super --password-stdin >/dev/null
port=$((KURIER_OFFSET + 80))
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
node "$BENCH_ROOT/bench/webui_size.mjs" "http://127.0.0.1:$port" webbench "$admin_password"

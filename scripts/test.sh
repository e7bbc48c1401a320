#!/usr/bin/env bash
# Runs every test: installs what they need (Debian packages), builds kurier in Debug with
# AddressSanitizer + UBSan, runs the unit tests (ctest) and the integration tests (pytest against
# a real `kurier serve`). Idempotent. Usage: scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test

# Relative paths in the cache key: a fresh clone elsewhere reuses earlier compilations.
export CCACHE_NOHASHDIR=true CCACHE_BASEDIR="$PWD" CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
build=build-test
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKURIER_SANITIZE=ON >/dev/null
t0=$(date +%s)
ninja -C "$build" -j"$(nproc)"
echo "build: $(( $(date +%s) - t0 )) s"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
t0=$(date +%s)
(cd "$build" && ctest --output-on-failure -j"$(nproc)" --timeout 300)
echo "unit tests: $(( $(date +%s) - t0 )) s"

# The parsers' fuzz targets, briefly (bench/fuzz.sh runs them as long as asked).
t0=$(date +%s)
bench/fuzz.sh "${KURIER_FUZZ_SECONDS:-30}"
echo "fuzzing: $(( $(date +%s) - t0 )) s"

# The browser tests (test_webui_browser.py) save a screenshot of every page of the web UI at
# desktop and phone width here.
export KURIER_BROWSER_ARTIFACTS="$PWD/$build/browser-artifacts"
rm -rf "$KURIER_BROWSER_ARTIFACTS"
t0=$(date +%s)
rc=0
KURIER_BIN="$PWD/$build/kurier" /usr/bin/python3 -m pytest -c tests/integration/pytest.ini tests/integration "$@" || rc=$?
echo "integration tests: $(( $(date +%s) - t0 )) s"
echo "web UI screenshots (desktop and phone): $KURIER_BROWSER_ARTIFACTS"

# The directory on real MariaDB and PostgreSQL servers (tests/integration/db_support.py starts
# them on loopback in temporary data dirs): the SQL layer's and the directory's unit tests, then
# the directory-facing integration tests once per backend.
t0=$(date +%s)
/usr/bin/python3 tests/integration/db_support.py mariadb postgresql -- \
  sh -c "$build/tests/unit/unit_sqldb --gtest_brief=1 && $build/tests/unit/unit_directory --gtest_brief=1" || rc=$?
# (test_directory_backends.py and test_sql_directory.py start servers of their own in the run above.)
directory_tests=(test_cli.py test_auth.py test_account_removal.py test_serve.py test_managesieve.py
                 test_lmtp.py test_import_web_cyradm.py test_directory_cache.py)
for backend in mariadb postgresql; do
  KURIER_DIRECTORY_BACKEND=$backend KURIER_BIN="$PWD/$build/kurier" /usr/bin/python3 -m pytest \
    -c tests/integration/pytest.ini "${directory_tests[@]/#/tests/integration/}" -q || rc=$?
done
echo "directory backends: $(( $(date +%s) - t0 )) s"
exit "$rc"

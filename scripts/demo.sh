#!/usr/bin/env bash
# Brings up a demo kurier in ./demo on 127.0.0.1 with port offset 10000 (SMTP 10025, IMAP 10143,
# web admin 10080 …): installs the packages, builds (Release), initialises ./demo once, adds the
# domain example.test and the user demo@example.test, then runs the server in the foreground.
# Idempotent: run it again and it starts the same server. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
export CCACHE_NOHASHDIR=true CCACHE_BASEDIR="$PWD"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DKURIER_TESTS=OFF >/dev/null
ninja -C build -j"$(nproc)" kurier

kurier="build/kurier"
config="demo/kurier.toml"
admin_password="demo-admin-password"
user_password="demo-password"
if [[ ! -f "$config" ]]; then
  "$kurier" init --data-dir demo --hostname localhost --bind 127.0.0.1 --port-offset 10000 \
    --admin-password-file <(printf '%s\n' "$admin_password") >/dev/null
fi
"$kurier" -c "$config" domain show example.test >/dev/null 2>&1 || "$kurier" -c "$config" domain add example.test
"$kurier" -c "$config" user show demo@example.test >/dev/null 2>&1 ||
  printf '%s\n' "$user_password" | "$kurier" -c "$config" user add demo@example.test --password-stdin --name "Demo User"

cat <<INFO

kurier demo on 127.0.0.1 (data in ./demo, config $config)
  SMTP (MX)          127.0.0.1:10025        submission 10587 (STARTTLS), 10465 (TLS)
  LMTP               127.0.0.1:10024        and unix socket demo/lmtp.sock
  IMAP               127.0.0.1:10143 (STARTTLS), 10993 (TLS)
  POP3               127.0.0.1:10110 (STLS), 10995 (TLS)
  ManageSieve        127.0.0.1:14190
  Web admin + API    http://127.0.0.1:10080/  https://127.0.0.1:10443/
  Mail login         demo@example.test / $user_password
  Web admin login    admin / $admin_password
  The TLS certificate is self-signed: demo/tls/cert.pem
  Administer:        $kurier -c $config user list

INFO
exec "$kurier" -c "$config" serve

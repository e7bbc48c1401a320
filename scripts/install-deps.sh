#!/usr/bin/env bash
# Installs the Debian 12 packages kurier needs to build (and, with --test, to run its tests).
# Idempotent: packages already present are skipped, and apt-get update runs only when needed.
set -euo pipefail

build_pkgs=(g++ cmake ninja-build ccache pkg-config libboost-dev libssl-dev libsqlite3-dev sqlite3
            libcrypt-dev libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libfmt-dev
            libc-ares-dev zlib1g-dev libgtest-dev libgmock-dev libmariadb-dev libpq-dev)
# cyrus-imapd conflicts with dovecot-imapd (both are imap-server), which the anchors need: tests that
# need a real Cyrus unpack its .deb with `apt-get download cyrus-imapd` + `dpkg -x` (cyrus-common has
# its libraries) and run it from there.
test_pkgs=(python3 python3-pytest swaks libnet-ssleay-perl libio-socket-ssl-perl isync curl postfix openssl
           python3-dkim python3-cryptography procps clang libclang-rt-14-dev sslscan dovecot-sieve sieve-connect
           mariadb-server postgresql chromium dnsmasq-base dovecot-imapd cyrus-common cyrus-admin)
# The import tests run Cyrus from cyrus-common (master, lmtpd) plus the imapd binary unpacked
# from the cyrus-imapd package without installing it (tests/integration/import_support.py).

# The web UI (web/) builds with Node.js >= 18 and npm, which this machine image brings from
# NodeSource; Debian's nodejs/npm packages would conflict with those, so they are not installed
# here. The build runs `npm ci` in web/ itself (web/package-lock.json pins every package).
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [[ "$node_major" -lt 18 ]] || ! command -v npm >/dev/null; then
  echo "kurier's web UI needs Node.js 18 or newer with npm on PATH (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "On Debian 12 without NodeSource: apt-get install nodejs npm" >&2
  exit 1
fi

want=("${build_pkgs[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
echo "installing: ${missing[*]}" >&2
# postfix asks a debconf question; answer it so the install never blocks.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -q >/dev/null
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null

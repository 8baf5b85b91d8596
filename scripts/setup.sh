#!/usr/bin/env bash
# One-command setup: Debian packages, the pinned DuckDB (npm tarballs, sha256-checked),
# the web UI (npm packages from web/package-lock.json, then vite build into web/dist), the build.
# Safe to run again: each step checks what is already there and does only what is missing.
#
#   scripts/setup.sh              install + build (Release) into build/
#   scripts/setup.sh --sanitize   also build the ASan+UBSan tree into build-asan/
#   PD_SKIP_APT=1                 skip the apt-get step (packages installed by other means)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

DUCKDB_VERSION=1.4.4
LIB_PKG="@duckdb/node-bindings-linux-x64@1.4.4-r.4"
LIB_TGZ="duckdb-node-bindings-linux-x64-1.4.4-r.4.tgz"
LIB_TGZ_SHA=732fac4dc6b8f198870b9c4bb6ddf13544466daca00ad28ba2f1d80de5d7aa4b
LIB_SO_SHA=1ef33048e12235115ac0d277a0aaccbb560e33248144f488b5ac005cd9ba81b5
HDR_PKG="duckdb@1.4.4"
HDR_TGZ="duckdb-1.4.4.tgz"
HDR_TGZ_SHA=5bb967dcbcd517670ba5f169f238fb9d6787e53752c60ebe24386169d76941ed
DEPS="$top/third_party/duckdb"

PACKAGES=(build-essential cmake pkg-config ca-certificates
    libjansson-dev libfyaml-dev libedit-dev libsodium-dev libcurl4-openssl-dev
    libpq-dev libmariadb-dev libsqlite3-dev libmicrohttpd-dev libsecret-1-dev
    gnome-keyring libsecret-tools dbus faketime
    libcmocka-dev bats
    postgresql mariadb-server mariadb-client sqlite3 python3 util-linux procps wrk
    chromium gdb clang libclang-rt-14-dev)

sanitize=0
for arg in "$@"; do
    case "$arg" in
    --sanitize) sanitize=1 ;;
    -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown option '$arg' (try: scripts/setup.sh --help)" >&2; exit 2 ;;
    esac
done

step() { printf '==> %s\n' "$*"; }

install_packages() {
    local missing=()
    # npm may come from Debian or from a Node.js install of the machine's own: either will do.
    command -v npm >/dev/null 2>&1 || missing+=(npm)
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        step "Debian packages: all present"
        return
    fi
    step "Debian packages: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

fetch_duckdb() {
    if sha_ok "$DEPS/lib/libduckdb.so" "$LIB_SO_SHA" && [ -f "$DEPS/include/duckdb.h" ]; then
        step "DuckDB $DUCKDB_VERSION: present in third_party/duckdb"
        return
    fi
    step "DuckDB $DUCKDB_VERSION: fetching with npm pack"
    local tmp
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    (cd "$tmp" && npm pack --silent "$LIB_PKG" "$HDR_PKG" >/dev/null)
    sha_ok "$tmp/$LIB_TGZ" "$LIB_TGZ_SHA" || { echo "setup: $LIB_TGZ: sha256 mismatch" >&2; exit 1; }
    sha_ok "$tmp/$HDR_TGZ" "$HDR_TGZ_SHA" || { echo "setup: $HDR_TGZ: sha256 mismatch" >&2; exit 1; }
    tar xzf "$tmp/$LIB_TGZ" -C "$tmp" package/libduckdb.so
    sha_ok "$tmp/package/libduckdb.so" "$LIB_SO_SHA" || { echo "setup: libduckdb.so: sha256 mismatch" >&2; exit 1; }
    tar xzf "$tmp/$HDR_TGZ" -C "$tmp" package/src/duckdb/src/include/duckdb.h
    mkdir -p "$DEPS/lib" "$DEPS/include"
    install -m 0644 "$tmp/package/libduckdb.so" "$DEPS/lib/libduckdb.so"
    install -m 0644 "$tmp/package/src/duckdb/src/include/duckdb.h" "$DEPS/include/duckdb.h"
}

# Readers the HTTP tests check the server with (Apache Arrow, an OpenAPI validator).
test_tools() {
    if [ -d "$top/tests/http/node_modules/apache-arrow" ] &&
        [ -d "$top/tests/http/node_modules/@seriousme/openapi-schema-validator" ]; then
        step "test tools: present in tests/http/node_modules"
        return
    fi
    step "test tools: npm ci in tests/http"
    (cd "$top/tests/http" && npm ci --silent --no-audit --no-fund >/dev/null)
}

# The web UI: Vite 7 needs Node.js 20.19 or newer.
web_ui() {
    local v
    v=$(node -e 'const [a, b] = process.versions.node.split(".").map(Number); console.log(a > 20 || (a === 20 && b >= 19) ? "ok" : process.versions.node)')
    if [ "$v" != ok ]; then
        echo "setup: the web UI needs Node.js 20.19 or newer (found $v)" >&2
        exit 1
    fi
    if [ ! -d "$top/web/node_modules/vite" ] || [ "$top/web/package-lock.json" -nt "$top/web/node_modules/.package-lock.json" ]; then
        # npm install, not npm ci: the registry lacks some other platforms' optional
        # builds of the locked rollup, which npm ci counts as a lockfile out of sync;
        # npm install installs the same locked versions and leaves the lockfile as it is.
        step "web UI: npm install (from web/package-lock.json)"
        (cd "$top/web" && npm install --silent --no-audit --no-fund >/dev/null)
    fi
    step "web UI: building web/dist and Pluto Cloud's pages, web/dist-cloud"
    (cd "$top/web" && npm run --silent build >/dev/null)
}

build() {
    local dir=$1
    shift
    step "build: $dir"
    cmake -S "$top" -B "$top/$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$top/$dir" -j "$(nproc)"
}

[ "${PD_SKIP_APT:-0}" = 1 ] || install_packages
fetch_duckdb
test_tools
web_ui
werror=OFF
[ "${CI:-}" = true ] && werror=ON
build build -DPD_WERROR=$werror
[ $sanitize = 0 ] || build build-asan -DPD_SANITIZE=ON -DPD_WERROR=$werror
step "done: $top/build/bin/pluto-duck"

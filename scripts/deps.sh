#!/bin/sh
# Install what a fresh Debian 12 machine lacks to build and test scaletop.
# As root this runs apt-get; otherwise it prints the exact command and fails.
# Used by `make test`, `make demo`, `make bench` (`scripts/deps.sh bench`) and
# .ci/run, so there is one list to keep.
set -u

# Build: compilers and libraries, looked up through pkg-config.
BUILD_PKGS="gcc make pkg-config libncurses-dev libcurl4-openssl-dev libjansson-dev \
libpq-dev libsqlite3-dev libmicrohttpd-dev libinih-dev libzstd-dev libyaml-dev"
# Tests: real peers (PostgreSQL, Prometheus's promtool), tmux for end-to-end runs,
# clang for sanitizers and fuzzing, sqlite3 and jq for inspecting files, procps (ps, pgrep)
# for checking that tests leave no process behind; tidy and chromium check that the HTML
# report is valid and opens without console errors; openssl (a TLS server with a
# throwaway CA), python3 (a header-recording HTTP server) and valgrind for the
# reliability suites.
TEST_PKGS="clang libclang-rt-14-dev clang-format postgresql postgresql-contrib \
prometheus tmux sqlite3 jq curl locales procps tidy chromium openssl python3 valgrind"

# Benchmarks (`make bench`): the peers measured side by side (Prometheus's
# promtool, htop), jq and curl for the simulator's manifest and scrapes,
# iproute2 for the private network namespace that isolates loopback bytes.
BENCH_PKGS="prometheus htop jq curl procps iproute2"

want="$BUILD_PKGS"
case "${1:-test}" in
build) ;;
bench) want="$BUILD_PKGS $BENCH_PKGS" ;;
*) want="$BUILD_PKGS $TEST_PKGS" ;;
esac

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "scaletop: missing packages:$missing" >&2
    echo "scaletop: install them with:" >&2
    echo "  sudo apt-get install -y$missing" >&2
    exit 1
fi

echo "scaletop: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || { echo "scaletop: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
    { echo "scaletop: apt-get install failed for:$missing" >&2; exit 1; }

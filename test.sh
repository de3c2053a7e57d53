#!/usr/bin/env bash
# The test command: installs what the tests need on a bare Debian machine, then runs the whole suite.
# Tests drive Debian's headless Chromium (HTML report) and start their own redis-server (shared cache); both come from
# Debian packages, installed here when missing (with sudo when not root). Extra arguments go to `dotnet test`, e.g.
#   ./test.sh -- --filter-class '*TenantIsolationTests'      one class
#   ./test.sh -- --filter-not-trait 'Category=Slow'         the fast subset
set -uo pipefail
cd "$(dirname "$0")"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
  echo "installing ${missing[*]} (Debian packages the tests need)" >&2
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null; } \
    || echo "warning: could not install ${missing[*]}; the tests that need them will fail" >&2
  # The package starts a system redis; the tests run their own on a free port.
  { command -v systemctl >/dev/null 2>&1 && $SUDO systemctl stop redis-server; } >/dev/null 2>&1 || true
fi

exec dotnet test "$@"

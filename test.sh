#!/usr/bin/env bash
# The test command: installs what the tests need on a bare Debian machine, then runs the whole suite.
# Tests drive Debian's headless Chromium (HTML report; the console through Playwright, which downloads nothing), start their own redis-server (shared cache) and their own
# PostgreSQL 15 clusters with pgvector (the PostgreSQL store), and ingest real third-party documents: the SQLite HTML
# manual (sqlite3-doc) and the gnuplot PDF manual (gnuplot-doc); the MCP tests drive npm's @modelcontextprotocol/sdk
# client with Node. All come from Debian packages, installed here when
# missing (with sudo when not root), except pgvector, which no registry packages for Debian 12: it is built from
# ../shared/vendor by tools/postgres/install-pgvector.sh (about 15 s, once). When everything is present nothing is
# downloaded. A package that cannot be installed is named in SIFT_UNINSTALLABLE, and only the tests that need it skip,
# saying so (a file missing for any other reason fails them). Extra arguments go to `dotnet test`, e.g.
#   ./test.sh -- --filter-class '*TenantIsolationTests'      one class
#   ./test.sh -- --filter-not-trait 'Category=Slow'         the fast subset
#   ./test.sh -- --filter-trait 'Category=Browser'          the console in Chromium (Playwright)
set -uo pipefail
cd "$(dirname "$0")"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -f /usr/share/doc/sqlite3/wal.html ] || missing+=(sqlite3-doc)
[ -f /usr/share/doc/gnuplot/gnuplot.pdf ] || missing+=(gnuplot-doc)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
  echo "installing ${missing[*]} (Debian packages the tests need)" >&2
  $SUDO apt-get update -qq || true
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null; then
    # One at a time, so one package that cannot be had does not keep the others out.
    failed=()
    for package in "${missing[@]}"; do
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$package" >/dev/null || failed+=("$package")
    done
    if [ ${#failed[@]} -gt 0 ]; then
      echo "warning: could not install ${failed[*]}; the tests that need them will fail or skip" >&2
      export SIFT_UNINSTALLABLE="${failed[*]}"
    fi
  fi
  # The package starts a system redis; the tests run their own on a free port.
  { command -v systemctl >/dev/null 2>&1 && $SUDO systemctl stop redis-server; } >/dev/null 2>&1 || true
fi

# pgvector: built from the vendored source against the installed server's headers (idempotent).
if ! ./tools/postgres/install-pgvector.sh; then
  echo "warning: pgvector could not be installed; the PostgreSQL store tests will fail" >&2
fi

# The MCP client the agent tests drive (the official TypeScript SDK, pinned in tests/agents/package-lock.json).
if [ ! -d tests/agents/node_modules/@modelcontextprotocol/sdk ]; then
  if ! (cd tests/agents && npm ci --no-audit --no-fund --loglevel=error); then
    echo "warning: npm could not install tests/agents; the MCP client tests will fail" >&2
  fi
fi

exec dotnet test "$@"

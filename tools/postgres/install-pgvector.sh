#!/usr/bin/env bash
# Installs what the PostgreSQL tests need on a Debian 12 machine, idempotently: the PostgreSQL 15 server (Debian's
# postgresql-15), its server headers at the same version, and pgvector built from the source in ../shared/vendor
# (no registry packages pgvector for Debian 12). Does nothing when `vector.control` is already installed. Needs root or
# sudo. Exits non-zero, saying why, when something cannot be had (test.sh then warns; the PostgreSQL tests fail).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
archive=${PGVECTOR_ARCHIVE:-$here/../../../shared/vendor/pgvector-0.8.6.tar.gz}
SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)

if [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
  echo "installing postgresql-15" >&2
  $SUDO apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql-15 >/dev/null
fi
if [ -f /usr/share/postgresql/15/extension/vector.control ]; then
  exit 0
fi
if [ ! -f "$archive" ]; then
  echo "error: pgvector source not found at $archive (set PGVECTOR_ARCHIVE)" >&2
  exit 1
fi
# The headers must match the installed server's version exactly, or the extension will not load.
server_version=$(dpkg-query -W -f='${Version}' postgresql-15)
if [ "$(dpkg-query -W -f='${Version}' postgresql-server-dev-15 2>/dev/null || true)" != "$server_version" ]; then
  echo "installing postgresql-server-dev-15=$server_version" >&2
  $SUDO apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "postgresql-server-dev-15=$server_version" >/dev/null
fi
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
tar xzf "$archive" -C "$build"
source_dir=$(find "$build" -maxdepth 1 -mindepth 1 -type d | head -1)
echo "building pgvector from $(basename "$archive")" >&2
make -s -C "$source_dir" with_llvm=no PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config >/dev/null
$SUDO make -s -C "$source_dir" with_llvm=no PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config install >/dev/null

#!/usr/bin/env bash
# Installs (if missing) and starts PostgreSQL from Debian's packages on loopback, creates a role that may create
# databases, and exports SENTINEL_TEST_POSTGRES for the tests. Source it; safe to run again.
set -euo pipefail

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

pg_version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "${pg_version}/main"; then
  pg_createcluster "$pg_version" main >/dev/null
fi
pg_port=$(pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $3}')
if ! pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $4}' | grep -qx online; then
  pg_ctlcluster "$pg_version" main start
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$pg_port" && break
  sleep 1
done

as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
as_postgres psql -q -p "$pg_port" -v ON_ERROR_STOP=1 -d postgres <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sentinel') THEN
    CREATE ROLE sentinel LOGIN CREATEDB PASSWORD 'sentinel';
  END IF;
END $$;
-- Dropping a test database WITH (FORCE) ends its other sessions, which needs this role (not superuser).
GRANT pg_signal_backend TO sentinel;
SQL
if ! as_postgres psql -p "$pg_port" -tAc "SELECT 1 FROM pg_database WHERE datname = 'sentinel_tests'" -d postgres | grep -q 1; then
  as_postgres createdb -p "$pg_port" -O sentinel sentinel_tests
fi

export SENTINEL_TEST_POSTGRES="Host=127.0.0.1;Port=${pg_port};Username=sentinel;Password=sentinel;Database=sentinel_tests"
echo "PostgreSQL ${pg_version} ready on 127.0.0.1:${pg_port}"

#!/usr/bin/env bash
# Local PostgreSQL for development and tests (DESIGN.md section 8). Idempotent.
# Uses a server already listening on 127.0.0.1:5432; otherwise installs/starts Debian's cluster.
# Then makes sure role `subsidy` (password `subsidy`) and the five service databases exist.
set -euo pipefail

HOST=127.0.0.1
PORT=5432
ROLE=subsidy
PASSWORD=subsidy
DATABASES=(intake routing eligibility payment review)
MAX_CONNECTIONS=300

say() { echo "postgres.sh: $*"; }
die() { echo "postgres.sh: ERROR: $*" >&2; exit 1; }
is_root() { [[ $(id -u) -eq 0 ]]; }
ready() { pg_isready -q -h "$HOST" -p "$PORT" >/dev/null 2>&1; }
# psql as the postgres superuser over the local socket (peer auth).
as_pg_psql() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" "$@"; }

install_pg() {
  say "installing Debian's postgresql package (apt-get)..."
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
}

server_version() {
  local bin
  bin=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' 2>/dev/null | sort -V | tail -n 1)
  [[ -n $bin ]] && basename "$(dirname "$(dirname "$bin")")"
}

wait_ready() {
  for _ in $(seq 1 30); do ready && return 0; sleep 1; done
  return 1
}

ensure_local_server() {
  local ver
  if ! ver=$(server_version); then
    is_root || die "PostgreSQL is not installed and nothing listens on $HOST:$PORT.
  Install and start it as root:  sudo $0
  (or start any PostgreSQL server on $HOST:$PORT with role '$ROLE'/'$PASSWORD' and databases: ${DATABASES[*]})"
    install_pg
    ver=$(server_version) || die "postgresql installed but no server binary found under /usr/lib/postgresql"
  fi
  is_root || die "PostgreSQL $ver is installed but not running on $HOST:$PORT; start it as root: sudo $0"
  if [[ ! -d /etc/postgresql/$ver/main ]]; then
    say "creating cluster $ver/main..."
    pg_createcluster --locale=C.UTF-8 --encoding=UTF8 -p "$PORT" "$ver" main >/dev/null
  fi
  install -d -o postgres -g postgres -m 2775 /var/run/postgresql
  say "starting cluster $ver/main..."
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  wait_ready || die "cluster $ver/main did not come up on $HOST:$PORT; see /var/log/postgresql/postgresql-$ver-main.log"
}

# Raise max_connections (tests open several pools). Needs a restart, only done when it changes.
ensure_max_connections() {
  local cur ver
  cur=$(as_pg_psql -tAc 'SHOW max_connections')
  [[ $cur -ge $MAX_CONNECTIONS ]] && return 0
  ver=$(as_pg_psql -tAc "SELECT current_setting('server_version_num')::int / 10000")
  if [[ ! -d /etc/postgresql/$ver/main ]]; then
    say "WARNING: max_connections=$cur (< $MAX_CONNECTIONS) on a server this script does not manage"
    return 0
  fi
  say "setting max_connections=$MAX_CONNECTIONS (was $cur) and restarting..."
  as_pg_psql -c "ALTER SYSTEM SET max_connections = $MAX_CONNECTIONS"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main restart
  wait_ready || die "cluster did not come back after restart"
}

ensure_role_and_databases() {
  say "ensuring role '$ROLE' and databases: ${DATABASES[*]}"
  as_pg_psql <<SQL
SELECT format('CREATE ROLE %I', '$ROLE') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$ROLE')\gexec
ALTER ROLE "$ROLE" WITH LOGIN CREATEDB PASSWORD '$PASSWORD';
SQL
  local db
  for db in "${DATABASES[@]}"; do
    as_pg_psql <<SQL
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8'' TEMPLATE template0', '$db', '$ROLE')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$db')\gexec
SQL
  done
}

can_login_all() {
  local db
  for db in "${DATABASES[@]}"; do
    PGPASSWORD=$PASSWORD PGCONNECT_TIMEOUT=5 psql -X -q -h "$HOST" -p "$PORT" -U "$ROLE" -d "$db" \
      -tAc 'SELECT 1' >/dev/null 2>&1 || return 1
  done
}

if ! command -v pg_isready >/dev/null || ! command -v psql >/dev/null; then
  is_root || die "psql/pg_isready not found; install the 'postgresql' package (sudo $0) or postgresql-client"
  install_pg
fi

if ready; then
  say "a server already listens on $HOST:$PORT, using it"
else
  ensure_local_server
fi

if is_root && id postgres >/dev/null 2>&1 && as_pg_psql -tAc 'SELECT 1' >/dev/null 2>&1; then
  ensure_max_connections
  ensure_role_and_databases
elif ! can_login_all; then
  die "the server on $HOST:$PORT is not set up: run this script as root, or create role '$ROLE'
  (LOGIN CREATEDB PASSWORD '$PASSWORD') and databases owned by it: ${DATABASES[*]}"
fi

can_login_all || die "cannot log in as '$ROLE' over TCP on $HOST:$PORT to every database (check pg_hba.conf)"
say "ready: postgresql://$ROLE:$PASSWORD@$HOST:$PORT/{$(IFS=,; echo "${DATABASES[*]}")}"

# Sourced by scripts that need a throwaway PostgreSQL: installs it from Debian's packages when
# missing, starts a cluster on 127.0.0.1 in a temporary folder, and stops it again.
find_pg_bin() {
  local d
  # Debian's versioned folders, newest first; then whatever initdb is on PATH.
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  d=$(command -v initdb 2>/dev/null) && { dirname "$(readlink -f "$d")"; return 0; }
  return 1
}

start_postgres() {
  if ! PG_BIN=$(find_pg_bin); then
    local sudo=()
    if [ "$(id -u)" != 0 ]; then
      command -v sudo >/dev/null || {
        echo "PostgreSQL is not installed and installing it needs root: run as root or" \
          "install Debian's postgresql package first." >&2
        return 1
      }
      sudo=(sudo)
    fi
    echo "== installing PostgreSQL from Debian's packages"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    PG_BIN=$(find_pg_bin)
  fi
  PG_DIR=$(mktemp -d /tmp/coach-graph-pg.XXXXXX)
  export PG_BIN PG_DIR
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local run_as=()
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres:postgres "$PG_DIR" 2>/dev/null || { useradd -r postgres 2>/dev/null || true; chown -R postgres "$PG_DIR"; }
    run_as=(runuser -u postgres --)
  fi
  "${run_as[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U coach --auth=trust -E UTF8 >/dev/null
  "${run_as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
  "${run_as[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U coach coach_graph
  export POSTGRES_URL="postgresql+asyncpg://coach@127.0.0.1:$PG_PORT/coach_graph"
  export PG_BIN PG_DIR PG_PORT
}

stop_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  local run_as=()
  [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
  "${run_as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}

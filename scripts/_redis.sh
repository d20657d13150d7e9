# Sourced by scripts that need Redis (scripts/test, scripts/bench): installs Debian's
# redis-server when missing, starts a throwaway one on 127.0.0.1 on a free port in a temporary
# folder, and stops it again. Tests that must restart Redis mid-stream start their own from the
# same binary (REDIS_SERVER_BIN).
ensure_redis_server() {
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "== installing redis-server from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  fi
  REDIS_SERVER_BIN=$(command -v redis-server)
  export REDIS_SERVER_BIN
}

start_redis() {
  ensure_redis_server
  REDIS_DIR=$(mktemp -d /tmp/coach-graph-redis.XXXXXX)
  REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$REDIS_SERVER_BIN" --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" --save "" \
    --appendonly no --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log"
  local i
  for i in $(seq 1 100); do
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.05
  done
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  export REDIS_DIR REDIS_PORT
}

stop_redis() {
  if [ -n "${REDIS_DIR:-}" ] && [ -f "$REDIS_DIR/redis.pid" ]; then
    local pid i
    pid=$(cat "$REDIS_DIR/redis.pid")
    kill "$pid" 2>/dev/null || true
    # Wait for it to exit: it may still be writing into its folder.
    for i in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
  fi
  if [ -n "${REDIS_DIR:-}" ]; then rm -rf "$REDIS_DIR" 2>/dev/null || true; fi
  return 0
}

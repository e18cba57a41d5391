#!/usr/bin/env bash
# Throwaway PostgreSQL 15 (with pgvector) and Redis servers for the test suite, on free
# loopback ports, with all their files in one directory.
#
#   scripts/test-backends.sh start DIR   # starts both; writes DIR/env (FACEID_TEST_* URLs)
#   scripts/test-backends.sh stop DIR    # stops both (idempotent) and removes DIR
#   scripts/test-backends.sh kill-postgres|start-postgres|kill-redis|start-redis DIR
#                                        # fault tests: crash one server, restart it on its port
#
# PostgreSQL refuses to run as root: when started as root the cluster belongs to `nobody`.
# fsync is off (the data dies with the test run), but commits still reach the WAL before
# they are acknowledged, so a crashed server (fault tests) keeps every committed row.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?directory}
pgbin=$(/usr/lib/postgresql/15/bin/pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; else "$@"; fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    if port_free "$p"; then
      echo "$p"
      return
    fi
  done
  echo "no free port" >&2
  exit 1
}

pg_start_on() {
  as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 start \
    -o "-p $1 -k $dir/pg -c listen_addresses=127.0.0.1 -c fsync=off \
        -c full_page_writes=off -c max_connections=400 \
        -c shared_buffers=${FACEID_PG_SHARED_BUFFERS:-64MB}" >/dev/null
}

redis_start_on() {
  redis-server --port "$1" --bind 127.0.0.1 --dir "$dir/redis" --daemonize yes \
    --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" --save "" \
    --appendonly no --databases 4096 >/dev/null 2>&1 || return 1
  for _ in $(seq 1 100); do
    redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.05
  done
  return 1
}

start_postgres() {
  mkdir -p "$dir/pg"
  [ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$dir/pg"
  as_pg "$pgbin/initdb" -D "$dir/pg/data" -U faceid --auth=trust -E UTF8 --no-locale \
    >"$dir/pg/initdb.log" 2>&1 || { cat "$dir/pg/initdb.log" >&2; exit 1; }
  local port
  for _ in 1 2 3 4 5; do
    port=$(pick_port)
    if pg_start_on "$port" 2>/dev/null; then
      echo "FACEID_TEST_PG_URL=postgresql://faceid@127.0.0.1:$port/postgres" >>"$dir/env"
      echo "FACEID_TEST_PG_PORT=$port" >>"$dir/env"
      echo "FACEID_TEST_PG_DATA=$dir/pg/data" >>"$dir/env"
      return
    fi
  done
  cat "$dir/pg/server.log" >&2
  exit 1
}

start_redis() {
  mkdir -p "$dir/redis"
  local port
  for _ in 1 2 3 4 5; do
    port=$(pick_port)
    # Many logical databases: every test server gets its own (see tests/support/backends.cpp).
    if redis_start_on "$port"; then
      echo "FACEID_TEST_REDIS_URL=redis://127.0.0.1:$port" >>"$dir/env"
      echo "FACEID_TEST_REDIS_PORT=$port" >>"$dir/env"
      return
    fi
  done
  cat "$dir/redis/redis.log" >&2 || true
  exit 1
}

stop_all() {
  if [ -f "$dir/pg/data/postmaster.pid" ]; then
    as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  if [ -f "$dir/redis/redis.pid" ]; then
    local pid
    pid=$(cat "$dir/redis/redis.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
  fi
  rm -rf "$dir"
}

# Crash (SIGKILL-like: no shutdown checkpoint) and restart on the same port, for fault tests.
kill_postgres() {
  as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -m immediate -w -t 30 stop >/dev/null
}
restart_postgres() {
  pg_start_on "$(sed -n 's/^FACEID_TEST_PG_PORT=//p' "$dir/env")"
}
kill_redis() {
  kill -9 "$(cat "$dir/redis/redis.pid")"
  rm -f "$dir/redis/redis.pid"
}
restart_redis() {
  redis_start_on "$(sed -n 's/^FACEID_TEST_REDIS_PORT=//p' "$dir/env")"
}

case "$cmd" in
  kill-postgres) kill_postgres ;;
  start-postgres) restart_postgres ;;
  kill-redis) kill_redis ;;
  start-redis) restart_redis ;;
  start)
    stop_all
    mkdir -p "$dir"
    chmod 755 "$dir"
    : >"$dir/env"
    trap 'stop_all' ERR
    start_postgres
    start_redis
    echo "backends up: $(tr '\n' ' ' <"$dir/env")"
    ;;
  stop) stop_all ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac

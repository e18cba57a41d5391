#!/usr/bin/env bash
# Face logins/s over HTTP: two `faceid serve` replicas (WORKERS=1 each) on a shared PostgreSQL
# + pgvector and Redis, next to the embedded default (one server, WORKERS=2, SQLite + in-process
# index), on the same machine. Both setups hold the same USERS accounts (USERS - 1 synthetic
# ones from bench_seed_users with the same seed, plus one real live capture registered through
# the API) and run with rate limits on (limits too high to trip, so every login pays for its
# limiter check: in memory or in Redis). The client (bench/replicas_client.py) spreads the
# requests over both replicas in turn, as a load balancer would; for the embedded setup it
# sends them all to the one server. The setups alternate, ROUNDS times (ABBA order), so
# background load falls on both alike; each turn measures sequential (1 connection) and
# concurrent (CONNS connections) logins for SECS seconds.
# Usage: bench/replicas.sh [BUILD_DIR] [USERS] [ROUNDS] [SECS] [CONNS]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
USERS=${2:-1000}
ROUNDS=${3:-4}
SECS=${4:-15}
CONNS=${5:-4}
FACE=${FACE_FILE:-../shared/testdata/liveness/live_none_silentface_image_T1.jpg}
BIN=$(realpath "$BUILD/src/faceid")
work=$(mktemp -d)
chmod 755 "$work"  # the PostgreSQL cluster below belongs to `nobody` when run as root
backends=$work/backends
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/test-backends.sh stop "$backends" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_server NAME PORT VAR=value...: a server in its own data dir, logging to NAME.log.
start_server() {
  local name=$1 port=$2
  shift 2
  mkdir -p "$work/$name"
  (cd "$work/$name" && exec env HOST=127.0.0.1 PORT="$port" RATE_LIMIT_ENABLED=true \
    RATE_LIMIT_LOGIN=1000000/minute RATE_LIMIT_DEFAULT=1000000/minute \
    RATE_LIMIT_REGISTER=1000000/minute LOG_LEVEL=warning \
    SECRET_KEY=bench-secret-0123456789abcdef0123456789 MODELS_DIR="$OLDPWD/models" \
    DATA_DIR="$work/$name" "$@" "$BIN" serve >"$work/$name.log" 2>&1) &
  pids+=($!)
}

wait_ready() {
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$1/ready" >/dev/null && return; sleep 0.1; done
  echo "server on port $1 not ready" >&2
  cat "$work"/*.log >&2
  exit 1
}

register_real() {
  curl -sf -o /dev/null -F username=bench_real -F email=real@bench.invalid \
    -F password=Bench-Password-1 -F "face_image=@$FACE" "http://127.0.0.1:$1/api/v1/auth/register"
}

scripts/test-backends.sh start "$backends" >/dev/null
# shellcheck disable=SC1091
. "$backends/env"
"$BUILD/bench/load/bench_seed_users" "$work/embedded" $((USERS - 1)) >/dev/null
"$BUILD/bench/load/bench_seed_users" "$FACEID_TEST_PG_URL" $((USERS - 1)) >/dev/null

pe=$(free_port)
pa=$(free_port)
pb=$(free_port)
start_server embedded "$pe" WORKERS=2
start_server replica_a "$pa" WORKERS=1 DATABASE_URL="$FACEID_TEST_PG_URL" REDIS_URL="$FACEID_TEST_REDIS_URL"
wait_ready "$pa"  # the first replica migrates; the second finds the schema in place
start_server replica_b "$pb" WORKERS=1 DATABASE_URL="$FACEID_TEST_PG_URL" REDIS_URL="$FACEID_TEST_REDIS_URL"
wait_ready "$pe"
wait_ready "$pb"
register_real "$pe"
register_real "$pa"

declare -A urls=(
  [embedded]="http://127.0.0.1:$pe"
  [replicas]="http://127.0.0.1:$pa http://127.0.0.1:$pb"
)
client() {  # SETUP CONNS SECS -> "logins/s p50 p99 ok failed"
  # shellcheck disable=SC2086
  python3 bench/replicas_client.py "$FACE" "$3" "$2" ${urls[$1]}
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "accounts: $USERS; photo: $(basename "$FACE"); liveness on; rate limits on (not tripping)"
echo "embedded: 1 server, WORKERS=2, SQLite; replicas: 2 servers, WORKERS=1 each, PostgreSQL 15 + pgvector, Redis"
echo "rounds: $ROUNDS (ABBA); per turn: sequential (1 connection) and concurrent ($CONNS connections), ${SECS}s each"
for setup in embedded replicas; do client "$setup" 2 3 >/dev/null; done  # warm-up
results=$work/results
: >"$results"
printf '%-5s %-9s %-10s %9s %8s %8s %6s %6s %s\n' round setup mode logins/s p50_ms p99_ms ok failed kinds
for r in $(seq "$ROUNDS"); do
  order="embedded replicas"
  [ $((r % 2)) -eq 0 ] && order="replicas embedded"
  for setup in $order; do
    for mode in sequential concurrent; do
      c=1
      [ "$mode" = concurrent ] && c=$CONNS
      line=$(client "$setup" "$c" "$SECS")
      echo "$r $setup $mode $line" >>"$results"
      # shellcheck disable=SC2086
      printf '%-5s %-9s %-10s %9s %8s %8s %6s %6s %s\n' "$r" "$setup" "$mode" $line
    done
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# Where a login's time goes, server side (means over every login of the run, from /metrics):
# the whole request, the 1:N search alone.
for name in embedded replica_a replica_b; do
  port=$pe
  [ "$name" = replica_a ] && port=$pa
  [ "$name" = replica_b ] && port=$pb
  curl -s "http://127.0.0.1:$port/metrics" | awk -v name="$name" '
    /^faceid_http_request_duration_seconds_(sum|count)\{method="POST",route="\/api\/v1\/auth\/login"\}/ {
      if ($1 ~ /_sum/) rs = $2; else rc = $2 }
    /^faceid_vector_search_duration_seconds_sum/ {ss = $2}
    /^faceid_vector_search_duration_seconds_count/ {sc = $2}
    END {printf "server side %-9s logins %5d  mean request %6.1f ms  mean 1:N search %5.2f ms\n",
         name, rc, 1000 * rs / rc, 1000 * ss / sc}'
done

# Medians over the rounds, and replicas / embedded.
python3 - "$results" "$SECS" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
secs = float(sys.argv[2])
med, pooled = {}, {}
for mode in ("sequential", "concurrent"):
    for setup in ("embedded", "replicas"):
        sel = [r for r in rows if r[1] == setup and r[2] == mode]
        med[setup, mode] = [statistics.median(float(r[i]) for r in sel) for i in (3, 4, 5)]
        failed = sum(int(r[7]) for r in sel)
        # Every login of every round over the whole measured time: steadier than a median
        # when the background load swings from round to round.
        pooled[setup, mode] = sum(int(r[6]) for r in sel) / (len(sel) * secs)
        print(f"median {setup:9} {mode:10} {med[setup, mode][0]:7.2f} logins/s  "
              f"p50 {med[setup, mode][1]:6.1f} ms  p99 {med[setup, mode][2]:6.1f} ms  "
              f"failed {failed}  (all rounds pooled: {pooled[setup, mode]:.2f} logins/s)")
    e, p = med["embedded", mode], med["replicas", mode]
    print(f"ratio replicas/embedded {mode:10} logins/s {p[0] / e[0]:.3f} "
          f"(pooled {pooled['replicas', mode] / pooled['embedded', mode]:.3f})  "
          f"p50 {p[1] / e[1]:.3f}  p99 {p[2] / e[2]:.3f}")
EOF

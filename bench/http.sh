#!/usr/bin/env bash
# HTTP core benchmark: GET /health req/s and p99 (wrk -c32), then face logins/s over HTTP
# (wrk -c4, one registered live capture, liveness on, rate limits off); both again while 200
# slow clients (bench/http_slow_clients.py: slow heads, silent sockets, slow bodies) stay
# connected. Runs the build under test and, when given, a second binary for comparison (the
# civetweb server of an older commit: "before").
# Usage: bench/http.sh [BUILD_DIR] [BEFORE_BINARY]
# Environment: CONNS (32), SECS (10 per run), SLOW (200), WORKERS (8, the default config).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
BEFORE=${2:-}
CONNS=${CONNS:-32}
SECS=${SECS:-10}
SLOW=${SLOW:-200}
FACE=${FACE_FILE:-../shared/testdata/liveness/live_none_silentface_image_T1.jpg}
work=$(mktemp -d)
pid=
slow=
cleanup() {
  [ -n "$slow" ] && kill "$slow" 2>/dev/null
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# wrk's summary as "req/s p50 p99 completed failed" (failed: non-2xx, socket errors, timeouts).
summary() {
  awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /requests in/ {n=$1}
       /Non-2xx/ {bad+=$NF} /Socket errors/ {gsub(",", ""); bad+=$4+$6+$8+$10}
       END {printf "%10s req/s  p50 %9s  p99 %9s  completed %6s  failed %s\n", rps, p50, p99, n+0, bad+0}'
}

run_server() {  # $1 label, $2 binary
  local label=$1 bin port
  bin=$(realpath "$2")
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  rm -rf "$work/data"
  mkdir -p "$work/data"
  (cd "$work" && HOST=127.0.0.1 PORT=$port WORKERS=${WORKERS:-8} RATE_LIMIT_ENABLED=false \
    LOG_LEVEL=warning SECRET_KEY=bench-secret-0123456789abcdef0123456789 \
    MODELS_DIR="$OLDPWD/models" DATA_DIR="$work/data" exec "$bin" serve >/dev/null 2>&1) &
  pid=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
  curl -sf -o /dev/null -F username=bench_real -F email=real@bench.invalid \
    -F password=Bench-Password-1 -F "face_image=@$FACE" "http://127.0.0.1:$port/api/v1/auth/register"
  local url="http://127.0.0.1:$port"
  for phase in quiet slow; do
    if [ "$phase" = slow ]; then
      python3 bench/http_slow_clients.py 127.0.0.1 "$port" "$SLOW" &
      slow=$!
      sleep 3
    fi
    printf '%-7s %-5s /health %s' "$label" "$phase" ""
    wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 5s --latency "$url/health" | summary
    printf '%-7s %-5s login   %s' "$label" "$phase" ""
    FACE_FILE="$FACE" wrk -t2 -c4 -d"${SECS}s" --timeout 10s --latency -s bench/load/login.lua \
      "$url/api/v1/auth/login" | summary
  done
  kill "$slow" 2>/dev/null || true
  wait "$slow" 2>/dev/null || true
  slow=
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "WORKERS=${WORKERS:-8}; /health: wrk -t2 -c$CONNS -d${SECS}s; login: wrk -t2 -c4 -d${SECS}s; slow clients: $SLOW"
[ -n "$BEFORE" ] && run_server before "$BEFORE"
run_server after "$BUILD/src/faceid"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

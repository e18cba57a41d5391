#!/usr/bin/env bash
# HTTP core benchmark: GET /health req/s and p99 (wrk -c32), then face logins/s over HTTP
# (wrk -c4, one registered live capture, liveness on, rate limits off); both again while 200
# slow clients (bench/http_slow_clients.py: slow heads, silent sockets, slow bodies) stay
# connected. Runs the build under test and, when given, a second binary for comparison (the
# civetweb server of an older commit: "before").
# Then the equal-rate phase: wrk's closed loop gives a faster server more requests (and a
# longer queue), so p99 there does not compare servers. Here every connection is paced
# (bench/load/paced.lua) so each server is offered the same RATES req/s on /health, REPEAT
# times, alternating servers point by point, with p50/p90/p99 from wrk --latency.
# Usage: bench/http.sh [BUILD_DIR] [BEFORE_BINARY]
# Environment: CONNS (32), SECS (10 per run), SLOW (200), WORKERS (8, the default config),
#   RATES ("1000 4000"), RATE_CONNS (8: civetweb serves only WORKERS connections at once and
#   leaves the others unserved, so more would halve its achieved rate), REPEAT (2),
#   PHASES ("closed rate": either or both).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
BEFORE=${2:-}
CONNS=${CONNS:-32}
SECS=${SECS:-10}
SLOW=${SLOW:-200}
RATES=${RATES:-1000 4000}
RATE_CONNS=${RATE_CONNS:-8}
REPEAT=${REPEAT:-2}
PHASES=${PHASES:-closed rate}
FACE=${FACE_FILE:-../shared/testdata/liveness/live_none_silentface_image_T1.jpg}
work=$(mktemp -d)
slow=
declare -A pids urls
cleanup() {
  [ -n "$slow" ] && kill "$slow" 2>/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
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

# Starts binary $2 as $1 (its own data folder); sets pids[$1] and urls[$1].
start_server() {
  local label=$1 bin port
  bin=$(realpath "$2")
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  rm -rf "$work/data-$label"
  mkdir -p "$work/data-$label"
  (cd "$work" && HOST=127.0.0.1 PORT=$port WORKERS=${WORKERS:-8} RATE_LIMIT_ENABLED=false \
    LOG_LEVEL=warning SECRET_KEY=bench-secret-0123456789abcdef0123456789 \
    MODELS_DIR="$OLDPWD/models" DATA_DIR="$work/data-$label" exec "$bin" serve >/dev/null 2>&1) &
  pids[$label]=$!
  urls[$label]="http://127.0.0.1:$port"
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
}

stop_server() {
  kill "${pids[$1]}" 2>/dev/null || true
  wait "${pids[$1]}" 2>/dev/null || true
  unset "pids[$1]"
}

run_server() {  # $1 label, $2 binary: the closed-loop phases
  local label=$1
  start_server "$label" "$2"
  local url=${urls[$label]}
  curl -sf -o /dev/null -F username=bench_real -F email=real@bench.invalid \
    -F password=Bench-Password-1 -F "face_image=@$FACE" "$url/api/v1/auth/register"
  for phase in quiet slow; do
    if [ "$phase" = slow ]; then
      python3 bench/http_slow_clients.py 127.0.0.1 "${url##*:}" "$SLOW" &
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
  stop_server "$label"
}

# wrk's latency distribution as "req/s p50 p90 p99 failed".
percentiles() {
  awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +90%/ {p90=$2} /^ +99%/ {p99=$2}
       /Non-2xx/ {bad+=$NF} /Socket errors/ {gsub(",", ""); bad+=$4+$6+$8+$10}
       END {printf "%9s req/s  p50 %9s  p90 %9s  p99 %9s  failed %s", rps, p50, p90, p99, bad+0}'
}

# Equal offered rate: both servers up at once, alternating run by run.
equal_rate() {
  local labels=(after) label rate rep
  [ -n "$BEFORE" ] && labels=(before after)
  [ -n "$BEFORE" ] && start_server before "$BEFORE"
  start_server after "$BUILD/src/faceid"
  echo "equal rate: GET /health, wrk -t2 -c$RATE_CONNS -d${SECS}s -s bench/load/paced.lua"
  for rep in $(seq "$REPEAT"); do
    for rate in $RATES; do
      for label in "${labels[@]}"; do
        printf '%-7s offered %5s/s  ' "$label" "$rate"
        RATE=$rate CONNS=$RATE_CONNS wrk -t2 -c"$RATE_CONNS" -d"${SECS}s" --timeout 5s --latency \
          -s bench/load/paced.lua "${urls[$label]}/health" | percentiles
        echo "  load $(cut -d' ' -f1 /proc/loadavg)"
      done
    done
  done
  for label in "${labels[@]}"; do stop_server "$label"; done
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "WORKERS=${WORKERS:-8}; /health: wrk -t2 -c$CONNS -d${SECS}s; login: wrk -t2 -c4 -d${SECS}s; slow clients: $SLOW"
if [[ " $PHASES " == *" closed "* ]]; then
  [ -n "$BEFORE" ] && run_server before "$BEFORE"
  run_server after "$BUILD/src/faceid"
fi
if [[ " $PHASES " == *" rate "* ]]; then
  equal_rate
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

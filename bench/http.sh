#!/usr/bin/env bash
# HTTP core throughput: wrk against GET /health on the release build.
# Usage: bench/http.sh [BUILD_DIR] [CONNECTIONS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
CONNS=${2:-32}
SECS=${3:-10}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$work" && HOST=127.0.0.1 PORT=$port WORKERS=${WORKERS:-8} LOG_LEVEL=${LOG_LEVEL:-info} \
  SECRET_KEY=bench-secret-0123456789abcdef0123456789 MODELS_DIR="$OLDPWD/models" \
  exec "$OLDPWD/$BUILD/src/faceid" serve >/dev/null 2>&1) &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "wrk -t2 -c$CONNS -d${SECS}s --latency http://127.0.0.1:$port/health (LOG_LEVEL=${LOG_LEVEL:-info})"
wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "http://127.0.0.1:$port/health" |
  grep -E "Requests/sec|Latency|50%|75%|90%|99%|requests in|Non-2xx|Socket errors"

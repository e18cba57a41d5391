#!/usr/bin/env bash
# Concurrent face logins over HTTP with USERS registered accounts (default 1000): one real
# live capture registered through the API, the rest synthetic (bench_seed_users). Liveness on.
# Usage: bench/load.sh [BUILD_DIR] [USERS] [CONNECTIONS] [SECONDS]
# BENCH_ENV="VAR=value ..." adds environment for the server (e.g. WORKERS or library threads).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
USERS=${2:-1000}
CONNS=${3:-4}
SECS=${4:-20}
FACE=${FACE_FILE:-../shared/testdata/liveness/live_none_silentface_image_T1.jpg}
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BUILD/bench/load/bench_seed_users" "$work/data" $((USERS - 1)) >/dev/null
(cd "$work" && export ${BENCH_ENV:-FACEID_BENCH=1} && HOST=127.0.0.1 PORT=$port WORKERS=${WORKERS:-4} RATE_LIMIT_ENABLED=false \
  LOG_LEVEL=warning SECRET_KEY=bench-secret-0123456789abcdef0123456789 \
  MODELS_DIR="$OLDPWD/models" DATA_DIR="$work/data" exec "$OLDPWD/$BUILD/src/faceid" serve \
  >/dev/null 2>&1) &
pid=$!
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
curl -sf -o /dev/null -F username=bench_real -F email=real@bench.invalid \
  -F password=Bench-Password-1 -F "face_image=@$FACE" "http://127.0.0.1:$port/api/v1/auth/register"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "accounts: $USERS; photo: $(basename "$FACE"); liveness on; WORKERS=${WORKERS:-4}"
echo "wrk -t2 -c$CONNS -d${SECS}s --latency -s bench/load/login.lua /api/v1/auth/login"
FACE_FILE="$FACE" wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 10s --latency -s bench/load/login.lua \
  "http://127.0.0.1:$port/api/v1/auth/login" |
  grep -E "Requests/sec|Latency|50%|75%|90%|99%|requests in|status|Non-2xx|Socket errors"

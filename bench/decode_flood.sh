#!/usr/bin/env bash
# Decode flood: N parallel face logins with a huge generated image (6300x6300 by default,
# under the 40 MP header limit and the 10 MB upload limit), sent ROUNDS times, while /health is
# polled every 100 ms. Prints the answers' status codes, the server's peak RSS (VmHWM of
# /proc/PID/status, minus its RSS when idle) and the /health latencies. Runs the build under
# test and, when given, a second binary for comparison ("before").
# Usage: bench/decode_flood.sh [BUILD_DIR] [BEFORE_BINARY]
# Environment: PARALLEL (16), ROUNDS (2), SIDE (6300), FORMATS (png jpeg webp webp-lossless),
# WORKERS (8, the default config), extra server settings in SERVER_ENV ("K=V K=V").
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
BEFORE=${2:-}
PARALLEL=${PARALLEL:-16}
ROUNDS=${ROUNDS:-2}
SIDE=${SIDE:-6300}
FORMATS=${FORMATS:-png jpeg webp webp-lossless}
FACE=${FACE_FILE:-../shared/testdata/faces/obama_1.jpg}
work=$(mktemp -d)
pid=
poller=
cleanup() {
  [ -n "$poller" ] && kill "$poller" 2>/dev/null
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

[ -x "$BUILD/bench/decode/make_big_image" ] || cmake --build "$BUILD" --target make_big_image >/dev/null
for f in $FORMATS; do
  "$BUILD/bench/decode/make_big_image" "$FACE" "$work/big.$f" "$f" "$SIDE" >/dev/null
done

kb() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$pid/status"; }

flood() {  # $1 label, $2 binary, $3 format
  local label=$1 bin port url
  bin=$(realpath "$2")
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  rm -rf "$work/data"
  mkdir -p "$work/data"
  (cd "$work" && exec env HOST=127.0.0.1 PORT=$port WORKERS=${WORKERS:-8} RATE_LIMIT_ENABLED=false \
    LIVENESS_ENABLED=false LOG_LEVEL=warning SECRET_KEY=bench-secret-0123456789abcdef0123456789 \
    MODELS_DIR="$OLDPWD/models" DATA_DIR="$work/data" ${SERVER_ENV:-} "$bin" serve \
    >/dev/null 2>&1) &
  pid=$!
  url="http://127.0.0.1:$port"
  for _ in $(seq 300); do curl -sf "$url/ready" >/dev/null && break; sleep 0.1; done
  # One small login first, so the idle figure includes what any first request allocates.
  curl -s -o /dev/null -F "face_image=@$FACE" "$url/api/v1/auth/login" || true
  local idle
  idle=$(kb VmRSS)
  (while true; do curl -s -o /dev/null -w '%{time_total}\n' --max-time 30 "$url/health"; sleep 0.1; done) \
    >"$work/health" &
  poller=$!
  : >"$work/codes"
  local start=$SECONDS
  for _ in $(seq "$ROUNDS"); do
    for _ in $(seq "$PARALLEL"); do
      curl -s -o /dev/null -w '%{http_code}\n' --max-time 120 -F "face_image=@$work/big.$3" \
        "$url/api/v1/auth/login" >>"$work/codes" &
    done
    wait $(jobs -p | grep -v "^$poller\$" | grep -v "^$pid\$") 2>/dev/null || true
  done
  local secs=$((SECONDS - start))
  kill "$poller" 2>/dev/null || true
  wait "$poller" 2>/dev/null || true
  poller=
  local hwm
  hwm=$(kb VmHWM)
  printf '%-7s %-14s %3ss  codes: %-22s idle RSS %4d MB  peak RSS %4d MB (+%d)  /health %s\n' \
    "$label" "$3" "$secs" "$(sort "$work/codes" | uniq -c | awk '{printf "%s x%s ", $2, $1}')" \
    $((idle / 1024)) $((hwm / 1024)) $(((hwm - idle) / 1024)) \
    "$(sort -n "$work/health" | awk '{a[NR]=$1} END {printf "n %d p50 %.0f ms  max %.0f ms", NR, a[int((NR+1)/2)]*1000, a[NR]*1000}')"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "WORKERS=${WORKERS:-8}; $PARALLEL parallel logins x $ROUNDS rounds; ${SIDE}x${SIDE}; ${SERVER_ENV:-}"
for f in $FORMATS; do
  [ -n "$BEFORE" ] && flood before "$BEFORE" "$f"
  flood after "$BUILD/src/faceid" "$f"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Start-up time and resident memory of the whole service with USERS accounts (issue 10,
# item 5): seeds USERS synthetic accounts (one random unit template each) straight into
# SQLite, then starts `faceid serve` twice:
#   1. cold: no saved index, it is rebuilt from the database (and saved);
#   2. restart: the saved index beside the database is loaded.
# For each: seconds from exec to /ready answering (and the CPU seconds used by then: on a
# shared machine the wall time mostly measures the other work), VmRSS once ready, VmHWM.
# Usage: bench/search/startup.sh [BUILD_DIR] [USERS] [DATA_DIR]
# DATA_DIR (optional) keeps the seeded database between runs (seeding 1M takes minutes).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
USERS=${2:-100000}
work=$(mktemp -d)
DATA=${3:-$work/data}
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

if [ ! -f "$DATA/faceid.db" ]; then
  mkdir -p "$DATA"
  start=$(date +%s.%N)
  "$BUILD/bench/load/bench_seed_users" "$DATA" "$USERS" --bulk >/dev/null
  echo "seeded $USERS accounts in $(echo "$(date +%s.%N) - $start" | bc) s"
fi

status() { grep -E "^$2:" "/proc/$1/status" | awk '{printf "%.0f MiB", $2 / 1024}'; }
# CPU seconds the process used so far (user + system, all threads): the part of the start-up
# time that does not depend on what else runs on the machine.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$1/stat"; }

run() {
  local label=$1 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local start
  start=$(date +%s.%N)
  (cd "$work" && HOST=127.0.0.1 PORT=$port LOG_LEVEL=warning RATE_LIMIT_ENABLED=false \
    SECRET_KEY=bench-secret-0123456789abcdef0123456789 MODELS_DIR="$OLDPWD/models" \
    DATA_DIR="$DATA" exec "$OLDPWD/$BUILD/src/faceid" serve >"$work/serve.log" 2>&1) &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/ready" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
    sleep 0.1
  done
  local ready
  ready=$(echo "$(date +%s.%N) - $start" | bc)
  printf "%-30s ready after %6.1f s (CPU %s s)   RSS %s   peak RSS %s\n" "$label" "$ready" \
    "$(cpu "$pid")" "$(status "$pid" VmRSS)" "$(status "$pid" VmHWM)"
  kill -TERM "$pid"
  wait "$pid" || true
  pid=
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); accounts: $USERS"
rm -rf "$DATA/faceid.db.index"
run "cold start (index rebuilt)"
run "restart (saved index loaded)"
echo "index files: $(du -sh "$DATA/faceid.db.index" | cut -f1) on disk (vectors.f32 stays in the page cache, not in RSS)"

#!/usr/bin/env bash
# PostgreSQL + pgvector face search and the Redis limiter, on a throwaway cluster:
#   bench/pgvector.sh [BUILD=build] [N=100000] [extra bench_pgvector args...]
# With PGVECTOR_BENCH_DIR=DIR the cluster lives in DIR and survives the run (stop it with
# scripts/test-backends.sh stop DIR); with --db=NAME a later run searches the same loaded and
# indexed database again, skipping the long load and build.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
N=${2:-100000}
shift $(( $# > 2 ? 2 : $# ))
# The index should fit in shared buffers, as it would in production.
export FACEID_PG_SHARED_BUFFERS=${FACEID_PG_SHARED_BUFFERS:-1GB}
if [ -n "${PGVECTOR_BENCH_DIR:-}" ]; then
  dir=$PGVECTOR_BENCH_DIR
  if [ ! -f "$dir/env" ] || ! /usr/lib/postgresql/15/bin/pg_isready -q -h 127.0.0.1 \
    -p "$(sed -n 's/^FACEID_TEST_PG_PORT=//p' "$dir/env")"; then
    scripts/test-backends.sh start "$dir" >/dev/null
  fi
else
  dir=$(mktemp -d /tmp/faceid-bench-pg-XXXXXX)
  rmdir "$dir"
  trap 'scripts/test-backends.sh stop "$dir"' EXIT
  scripts/test-backends.sh start "$dir" >/dev/null
fi
# shellcheck disable=SC1091
. "$dir/env"
"$BUILD/bench/pgvector/bench_pgvector" "$FACEID_TEST_PG_URL" "$FACEID_TEST_REDIS_URL" "$N" "$@"

#!/usr/bin/env bash
# PostgreSQL + pgvector face search and the Redis limiter, on a throwaway cluster:
#   bench/pgvector.sh [BUILD=build] [N=100000] [extra bench_pgvector args...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
N=${2:-100000}
shift $(( $# > 2 ? 2 : $# ))
# The index should fit in shared buffers, as it would in production.
export FACEID_PG_SHARED_BUFFERS=${FACEID_PG_SHARED_BUFFERS:-1GB}
dir=$(mktemp -d /tmp/faceid-bench-pg-XXXXXX)
rmdir "$dir"
trap 'scripts/test-backends.sh stop "$dir"' EXIT
scripts/test-backends.sh start "$dir" >/dev/null
# shellcheck disable=SC1091
. "$dir/env"
"$BUILD/bench/pgvector/bench_pgvector" "$FACEID_TEST_PG_URL" "$FACEID_TEST_REDIS_URL" "$N" "$@"

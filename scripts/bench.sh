#!/usr/bin/env bash
# `make bench`: every benchmark in bench/, one after another, printing their numbers.
# Benchmarks are not tests: run them on a quiet machine and copy the figures with the
# command into docs/performance.md. SEARCH_N sets the vector-search size (default 1,000,000,
# which takes several minutes to build).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
photo=../shared/testdata/faces/obama_640x480.jpg

echo "== HTTP core: bench/http.sh"
bench/http.sh "$BUILD" 32 10
echo
echo "== Huge image uploads, 16 in parallel: bench/decode_flood.sh"
bench/decode_flood.sh "$BUILD"
echo
echo "== Face pipeline (1 core): face_pipeline_bench"
"$BUILD/bench/face_pipeline/face_pipeline_bench" models "$photo" 100
echo
echo "== Face logins over HTTP, 1,000 accounts: bench/load.sh"
bench/load.sh "$BUILD" 1000 4 20
echo
echo "== Vector search: bench_search ${SEARCH_N:-1000000}"
"$BUILD/bench/search/bench_search" "${SEARCH_N:-1000000}"
echo
echo "== Face logins over HTTP: two replicas on PostgreSQL + Redis vs embedded: bench/replicas.sh"
bench/replicas.sh "$BUILD" 1000 4 15 4

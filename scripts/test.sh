#!/usr/bin/env bash
# Runs every test against a build dir: unit, end-to-end (real binary, real photos, real
# models; the e2e suites twice: embedded SQLite, then PostgreSQL + pgvector and Redis started
# by the harness) and a short fuzz run of the image decoder. Called by `make test`.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
log=$(mktemp)
# CTest starts the throwaway PostgreSQL + Redis (fixture faceid_backends, see tests/CMakeLists.txt)
# and stops them after the last test that needs them, failed or not; this trap also stops them
# when the run itself is interrupted. Same directory name as CMake derives from the build dir.
backends_dir="/tmp/faceid-backends-$(printf '%s' "$(cd "$BUILD" && pwd)" | md5sum | cut -c1-10)"
trap 'rm -f "$log"; scripts/test-backends.sh stop "$backends_dir" >/dev/null 2>&1 || true' EXIT

# Models are converted once into models/ (a cached dlib file); later runs only load them.
"$BUILD/src/faceid" models >/dev/null || { echo "model preparation failed"; exit 1; }

ctest --test-dir "$BUILD" --output-on-failure -j "${CTEST_JOBS:-2}" --timeout 900 | tee "$log"
ctest_status=${PIPESTATUS[0]}
total=$(sed -nE 's/.* tests failed out of ([0-9]+).*/\1/p' "$log" | tail -1)
failed=$(sed -nE 's/.* ([0-9]+) tests failed out of .*/\1/p' "$log" | tail -1)
total=${total:-0}
failed=${failed:-0}

fuzz_status=0
if [ -z "${FACEID_SKIP_FUZZ:-}" ] && [ -x scripts/fuzz.sh ]; then
  FUZZ_SEED=${FUZZ_SEED:-1} FUZZ_RUNS=${FUZZ_RUNS:-1000000} scripts/fuzz.sh "${FUZZ_SECONDS:-90}" ||
    fuzz_status=$?
  total=$((total + 1))
  [ "$fuzz_status" -eq 0 ] || failed=$((failed + 1))
fi

echo "$((total - failed)) passed, $failed failed"
[ "$ctest_status" -eq 0 ] && [ "$fuzz_status" -eq 0 ]

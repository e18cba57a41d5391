#!/usr/bin/env bash
# Runs every test against a build dir: unit, end-to-end (real binary, real photos, real
# servers started here on loopback) and a short fuzz run. Called by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}

# Models are converted once into models/ (cached dlib file); later runs only load them.
if "$BUILD/src/faceid" --help 2>/dev/null | grep -q "models"; then
  "$BUILD/src/faceid" models >/dev/null
fi

status=0
ctest --test-dir "$BUILD" --output-on-failure -j "${CTEST_JOBS:-2}" --timeout 900 || status=$?

if [ -z "${FACEID_SKIP_FUZZ:-}" ] && [ -x scripts/fuzz.sh ]; then
  scripts/fuzz.sh "${FUZZ_SECONDS:-60}" || status=$?
fi
exit $status

#!/usr/bin/env bash
# check_apt_closure_test.sh BUILD_DIR
# Proves scripts/check-apt-closure.sh passes with the real apt list and fails, naming the
# package and the file, when the list lacks a package this build's configure resolved: a
# package configuration file (libopencv-dev: OpenCVConfig.cmake, the bug a fresh machine hit)
# and a pkg-config library (libjwt-dev: libjwt.so).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export APT_CLOSURE_CACHE="$work/cache"  # a cold cache: the closure is computed, not reused
check="$ROOT/scripts/check-apt-closure.sh"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect_status STATUS LIST [WORD...]: runs the check on LIST, wants STATUS and every WORD.
expect() {
  local want=$1 list=$2 out status
  shift 2
  out=$("$check" "$BUILD" "$list" 2>&1)
  status=$?
  echo "--- $(basename "$list"): exit $status"
  echo "$out"
  [ "$status" -eq "$want" ] || fail "$(basename "$list"): exit $status, expected $want"
  for word in "$@"; do
    grep -qF -- "$word" <<<"$out" || fail "$(basename "$list"): output does not name $word"
  done
}

# without PKG: a copy of the real list lacking PKG.
without() {
  grep -vx "$1" "$ROOT/deps/apt-packages.txt" >"$work/without-$1.txt"
  echo "$work/without-$1.txt"
}

expect 0 "$ROOT/deps/apt-packages.txt"
expect 0 "$ROOT/deps/apt-packages.txt"  # second run: from the cache
expect 1 "$(without libopencv-dev)" libopencv-dev OpenCVConfig.cmake OpenCV_DIR
expect 1 "$(without libjwt-dev)" libjwt-dev libjwt.so pkgcfg_lib_LIBJWT_jwt
# A removed package that something else on the list depends on is still brought.
expect 0 "$(without libfmt-dev)"

[ "$failures" -eq 0 ] && echo "check_apt_closure_test: all passed"
exit $((failures > 0))

#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs them for SECONDS in total,
# build included (default 60; `make fuzz` runs 600): the HTTP form/head parsers get a fifth of
# the time (at least 10 s), the image decoder the rest. Exits non-zero when a fuzzer finds a
# crash; the reproducer is left in build-fuzz/artifacts/.
#   scripts/fuzz.sh 60        # the short run of `make test`
#   scripts/fuzz.sh 3600      # a longer campaign; the corpus in build-fuzz/corpus persists
# FUZZ_SEED and FUZZ_RUNS pin the mutation sequence and its length (make test does, so that a
# CI run is reproducible rather than a lottery; longer campaigns explore freely).
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-60}
start=$(date +%s)
build=${FUZZ_BUILD_DIR:-build-fuzz}
cxx=$(command -v clang++-14 || command -v clang++)
cc=$(command -v clang-14 || command -v clang)

if [ ! -f "$build/build.ninja" ]; then
  cmake -S fuzz -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" >/dev/null
fi
cmake --build "$build" >/dev/null

# Seed corpus: a few small real photos (read from the shared testdata, never committed)
# plus tiny synthetic PNGs covering grey, palette, 16-bit, alpha and interlaced variants.
corpus="$build/corpus"
mkdir -p "$corpus" "$build/artifacts"
if [ -z "$(ls -A "$corpus")" ]; then
  testdata=${FACEID_TESTDATA_DIR:-$(sed -n 's/^FACEID_TESTDATA_DIR:PATH=//p' "$build/CMakeCache.txt")}
  for f in faces/obama_small.jpg faces/obama_240p.jpg; do
    [ -f "$testdata/$f" ] && cp "$testdata/$f" "$corpus/$(basename "$f")"
  done
  python3 - "$corpus" <<'PY'
import struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
def png(width, height, bit_depth, color_type, interlace=0, extra=b""):
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    row = bytes([0]) + bytes(range(256))[: (width * channels * bit_depth + 7) // 8]
    raw = row * height
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
out = sys.argv[1]
seeds = {
    "grey8.png": png(8, 8, 8, 0),
    "grey1.png": png(16, 4, 1, 0),
    "rgb16.png": png(4, 4, 16, 2),
    "rgba8.png": png(6, 5, 8, 6),
    "greyalpha16.png": png(3, 3, 16, 4),
    "palette.png": png(8, 8, 4, 3, extra=chunk(b"PLTE", bytes(range(48))) + chunk(b"tRNS", b"\x00\x80")),
    "interlaced.png": png(9, 9, 8, 2, interlace=1),
}
for name, data in seeds.items():
    open(f"{out}/{name}", "wb").write(data)
PY
fi

# Seed corpus of the form/head parsers: the first byte picks the parser (0 multipart with
# boundary XyZ, 1 urlencoded, 2 request head).
form_corpus="$build/corpus-form"
mkdir -p "$form_corpus"
if [ -z "$(ls -A "$form_corpus")" ]; then
  printf '\000preamble\r\n--XyZ\r\nContent-Disposition: form-data; name="username"\r\n\r\nann\r\n--XyZ\r\nContent-Disposition: form-data; name="frames"; filename="f.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\377\330\377\r\n--XyZ--\r\n' >"$form_corpus/multipart"
  printf '\001username=ann&password=x%%21y+z&frames=1&frames=2' >"$form_corpus/urlencoded"
  printf '\002POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody' >"$form_corpus/head"
  printf '\002POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' >"$form_corpus/chunked"
fi

elapsed=$(( $(date +%s) - start ))
form_run=$(( (budget - elapsed) / 5 ))
[ "$form_run" -lt 10 ] && form_run=10
echo "fuzz: form_parser_fuzzer for ${form_run}s"
"$build/form_parser_fuzzer" "$form_corpus" -dict=fuzz/form.dict -max_total_time="$form_run" \
  -max_len=8192 -timeout=10 -print_final_stats=1 ${FUZZ_SEED:+-seed=$FUZZ_SEED} \
  ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} \
  -artifact_prefix="$build/artifacts/" 2>"$build/last-form-run.log" || {
  status=$?
  tail -n 60 "$build/last-form-run.log"
  echo "fuzz: form_parser_fuzzer FAILED (exit $status); reproducer in $build/artifacts/" >&2
  exit "$status"
}
grep -E "stat::number_of_executed_units|cov:" "$build/last-form-run.log" | tail -n 2

elapsed=$(( $(date +%s) - start ))
run=$(( budget - elapsed ))
[ "$run" -lt 10 ] && run=10
echo "fuzz: image_decoder_fuzzer for ${run}s (build took ${elapsed}s)"
# A small ASan quarantine keeps RSS well under the limit with multi-megabyte images.
ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=32} \
"$build/image_decoder_fuzzer" "$corpus" -dict=fuzz/image.dict -max_total_time="$run" \
  -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 ${FUZZ_SEED:+-seed=$FUZZ_SEED} \
  ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} \
  -artifact_prefix="$build/artifacts/" 2>"$build/last-run.log" || {
  status=$?
  tail -n 60 "$build/last-run.log"
  echo "fuzz: FAILED (exit $status); reproducer in $build/artifacts/" >&2
  exit "$status"
}
grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov:" "$build/last-run.log" | tail -n 3
echo "fuzz: no crash"

#!/usr/bin/env bash
# Accuracy on LFW: embeds every photo with the engine ("ours") and with the face_recognition
# reference pipeline ("ref"), then prints the tables of docs/accuracy.md and writes the
# calibration table. LFW is read by path (never copied into the repository):
#   git clone https://github.com/umass-vis-lfw/umass-vis-lfw.github.io LFW_DIR
# Usage: bench/accuracy/lfw.sh LFW_DIR [OUT_DIR] [BUILD_DIR]
#   OUT_DIR/ours.tsv, ref.tsv (kept: delete them to re-embed), report.md, calibration.csv
# ~5 min on 2 cores. OMP_NUM_THREADS=1: one process per core; oneDNN's OpenMP threads would
# otherwise spin against each other.
set -euo pipefail
cd "$(dirname "$0")/../.."
LFW=${1:?usage: lfw.sh LFW_DIR [OUT_DIR] [BUILD_DIR]}
OUT=${2:-bench-out/lfw}
BUILD=${3:-build}
SHARDS=${SHARDS:-$(nproc)}
mkdir -p "$OUT"
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
"$BUILD/src/faceid" models >/dev/null
for pipeline in ours ref; do
  [ -s "$OUT/$pipeline.tsv" ] && continue
  pids=()
  for ((i = 0; i < SHARDS; i++)); do
    "$BUILD/bench/accuracy/lfw_embed" "$LFW" models "$pipeline" "$OUT/$pipeline.$i.tsv" "$i/$SHARDS" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  cat "$OUT/$pipeline".[0-9]*.tsv > "$OUT/$pipeline.tsv"
  rm -f "$OUT/$pipeline".[0-9]*.tsv
done
"$BUILD/bench/accuracy/lfw_eval" "$LFW" "$OUT/ours.tsv" --ref "$OUT/ref.tsv" \
  --table "$OUT/calibration.csv" | tee "$OUT/report.md"

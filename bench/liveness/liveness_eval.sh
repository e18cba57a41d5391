#!/usr/bin/env bash
# Measures the active liveness challenge on the real data in testdata (docs/liveness.md):
#  - live: every possible challenge answered with frames of the live clips, cut in the order
#    asked (webcam_blink_turns_tfjs: blink and both turns; webcam_turns_headtrackr_4 and
#    webcam_leans_headtrackr_5: turns only);
#  - attacks: each photo in testdata/liveness repeated as every frame, and each photo tilted
#    by perspective ramps imitating a turn (amplitudes 0.2, 0.3, 0.4).
# Prints one line per response: what was asked, the verdict and why.
# Usage: bench/liveness/liveness_eval.sh BUILD_DIR [MODELS_DIR] [TESTDATA_DIR]
set -euo pipefail
build=${1:-build}
models=${2:-models}
data=${3:-../shared/testdata}
probe="$build/bench/liveness/liveness_probe"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cut() {  # every third frame of a clip, numbered by source frame / 3
  mkdir -p "$tmp/$2"
  ffmpeg -nostdin -loglevel error -y -i "$data/liveness/sequences/$1" \
    -vf "select=not(mod(n\,3)),scale='min(640,iw)':-2" -vsync vfr -q:v 3 -start_number 0 "$tmp/$2/%04d.jpg"
}
frames() {  # stem, source frame numbers...
  local stem=$1; shift
  for n in "$@"; do printf '%s/%s/%04d.jpg ' "$tmp" "$stem" $((n / 3)); done
}
verdict() { "$probe" "$models" --actions "$1" "${@:2}" | awk -F'\t' '/^verdict/ {print $2, $3}'; }

challenges2="turn_left,turn_right turn_right,turn_left turn_left,blink blink,turn_left turn_right,blink blink,turn_right"
challenges3=""
for a in turn_left turn_right blink; do for b in turn_left turn_right blink; do for c in turn_left turn_right blink; do
  [[ $a != "$b" && $b != "$c" ]] && challenges3+=" $a,$b,$c"
done; done; done

# Segments (source frame numbers) measured with liveness_probe; tests/liveness/challenge_actions.h.
declare -A tfjs=([frontal]="3 9 15" [blink]="21 24 27 30 33 36 39"
  [turn_right]="45 54 63 72 81 90 99 108" [turn_left]="138 147 156 165 174 183 192")
declare -A ht4=([frontal]="0 6 12" [turn_right]="33 39 45 51 57 63" [turn_left]="66 72 78 84 90 96")
declare -A ht5=([frontal]="0 6 12" [turn_right]="36 42 48 54 60 66" [turn_left]="75 81 87 93 99 105")

cut webcam_blink_turns_tfjs.mp4 tfjs
cut webcam_turns_headtrackr_4.mp4 ht4
cut webcam_leans_headtrackr_5.mp4 ht5

# SKIP_TFJS=1 leaves out the 18 tfjs challenges (the slowest part).
[[ -n ${SKIP_TFJS:-} ]] || echo "== live: webcam_blink_turns_tfjs, every challenge"
[[ -n ${SKIP_TFJS:-} ]] || for ch in $challenges2 $challenges3; do
  list="${tfjs[frontal]}"
  for a in ${ch//,/ }; do list+=" ${tfjs[$a]}"; done
  echo "live tfjs $ch: $(verdict "$ch" $(frames tfjs $list))"
done
for clip in ht4 ht5; do
  echo "== live: $clip, turn-only challenges (the clip shows no readable blink; 320x240 frames"
  echo "   fail the quality gate, so actions are judged with it ignored: LIVENESS_PROBE_IGNORE_QUALITY)"
  declare -n seg=$clip
  for ch in turn_left,turn_right turn_right,turn_left turn_left,turn_right,turn_left turn_right,turn_left,turn_right; do
    list="${seg[frontal]}"
    for a in ${ch//,/ }; do list+=" ${seg[$a]}"; done
    echo "live $clip $ch: $(LIVENESS_PROBE_IGNORE_QUALITY=1 verdict "$ch" $(frames $clip $list))"
  done
done

echo "== attack: a photo repeated as every frame"
for p in "$data"/liveness/*.jpg "$data"/liveness/*.png; do
  ffmpeg -nostdin -loglevel error -y -i "$p" -vf "scale='min(640,iw)':-2" -q:v 3 "$tmp/still.jpg"
  still=$(for i in $(seq 20); do printf '%s ' "$tmp/still.jpg"; done)
  echo "still $(basename "$p") turn_left,blink: $(verdict turn_left,blink $still)"
done

echo "== attack: a photo tilted by perspective to imitate a turn"
tilt() {  # photo, amount (+: right side recedes), out
  local d=${2#-} c
  if [[ $2 == -* ]]; then c="x0=W*$d:y0=H*$d:x1=W:y1=0:x2=W*$d:y2=H*(1-$d):x3=W:y3=H"
  else c="x0=0:y0=0:x1=W*(1-$d):y1=H*$d:x2=0:y2=H:x3=W*(1-$d):y3=H*(1-$d)"; fi
  ffmpeg -nostdin -loglevel error -y -i "$1" -vf "scale=640:-2,perspective=$c:sense=destination" -q:v 3 "$3"
}
for p in "$data"/liveness/*.jpg "$data"/liveness/*.png; do
  for amp in 0.20 0.30 0.40; do
    ramp=""
    i=0
    for f in -1 -1 -1 -0.8 -0.6 -0.3 0 0.3 0.6 0.8 1 1; do
      t=$(echo "$f * $amp" | bc -l)
      tilt "$p" "$t" "$tmp/tilt_$i.jpg"
      ramp+="$tmp/tilt_$i.jpg "
      i=$((i + 1))
    done
    echo "tilt $(basename "$p") amp $amp turn_left,blink: $(verdict turn_left,blink $ramp)"
  done
done

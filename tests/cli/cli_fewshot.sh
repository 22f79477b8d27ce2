#!/usr/bin/env bash
# Few-shot with the default settings (issue 12): one image per class of three clearly different
# objects (tests/data/golden: astronaut, cat, coffee cup), every learner gets all three right.
# With the library's bare defaults (4 epochs of one mini-batch) the head learners got 2 of 3.
# Needs the default backbone (models/mobilenet_v2.tflite); skips (77) without it.
source "$(dirname "$0")/lib.sh" "$1"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
G=$SRC/tests/data/golden
[ -r "$SRC/models/mobilenet_v2.tflite" ] || { echo "SKIP: models/mobilenet_v2.tflite absent"; exit 77; }
mkdir -p "$T/p/astronaut" "$T/p/cat" "$T/p/coffee"
cp "$G/astronaut.png" "$T/p/astronaut/"
cp "$G/chelsea.png" "$T/p/cat/"
cp "$G/coffee.png" "$T/p/coffee/"
run_ok "extract" "$EDGECL" extract -q --out "$T/f.ecf" "$T/p"
for L in replay naive slda ncm; do
    run_ok "$L: learn one image per class" "$EDGECL" learn --state "$T/$L.ecls" --features "$T/f.ecf" --learner $L
    run_ok "$L: predict" "$EDGECL" predict --state "$T/$L.ecls" --features "$T/f.ecf"
    grep -q "^# accuracy: 1.0000 (3/3" "$T/out" || fail "$L: not 3/3: $(grep -v '^#' "$T/out")"
    # calibrated: the winner's probability is a probability and the clear favourite
    awk -F, 'NR > 1 && !/^#/ { if ($4 <= 0.34 || $4 > 1) bad = 1 } END { exit bad }' "$T/out" ||
        fail "$L: top probabilities out of (1/3, 1]: $(grep -v '^#' "$T/out")"
done
finish

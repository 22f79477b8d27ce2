#!/bin/bash
# The exported classifiers in TFLite itself: cli_export.sh builds the cases (every learner kind,
# float32 and uint8 MobileNetV2), tools/tflite_ref/run_tflite.mjs runs them in npm
# @tensorflow/tfjs-tflite (headless Chromium), export_tflite_check.py compares with edgecl's
# top-1. Exit 77 (skip) when the runner, node, chromium or the npm packages are absent.
# usage: export_tflite.sh EDGECL SOURCE_DIR EXPORT_INPUTS
set -u
EDGECL=$1 SRC=$2 INPUTS=$3
RUNNER="$SRC/tools/tflite_ref/run_tflite.mjs"
[ -f "$RUNNER" ] || { echo "SKIP: $RUNNER absent"; exit 77; }
command -v node >/dev/null || { echo "SKIP: no node"; exit 77; }
D=$(mktemp -d /tmp/ecl_export_tfl_XXXXXX)
trap 'rm -rf "$D"' EXIT
EDGECL_EXPORT_CHECK_DIR="$D" bash "$SRC/tests/cli/cli_export.sh" "$EDGECL" "$SRC" "$INPUTS" >"$D.log" 2>&1 ||
    { tail -20 "$D.log"; rm -f "$D.log"; echo "FAIL: cli_export.sh"; exit 1; }
rm -f "$D.log"
node "$RUNNER" --cases "$D/cases.txt" --models "$D/models" --out "$D/ref"
rc=$?
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || { echo "FAIL: run_tflite.mjs exit $rc"; exit 1; }
python3 "$SRC/tests/cli/export_tflite_check.py" "$D" "$D/ref"

#!/usr/bin/env bash
# tflref_live.sh - reruns TFLite (tools/tflite_ref/run_tflite.mjs) on the committed single-op
# cases and checks that it reproduces the committed goldens byte for byte: the goldens are
# TFLite's, and stay reproducible. Exit 77 (skipped) without chromium, node or the npm packages.
#   tests/tflref/tflref_live.sh BUILD_DIR
set -u
src="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-/tmp}/tflref_live"
command -v node >/dev/null || { echo "SKIP: node is not installed"; exit 77; }
[[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] || { echo "SKIP: no chromium"; exit 77; }
[[ -d "$src/third_party/npm/_tensorflow_tfjs-tflite/wasm" ]] ||
  { echo "SKIP: npm @tensorflow/tfjs-tflite missing (scripts/fetch-npm.sh)"; exit 77; }
data="$src/tests/data/tflite_ref/ops"
rm -rf "$out" && mkdir -p "$out"
node "$src/tools/tflite_ref/run_tflite.mjs" --cases "$data/cases.txt" --models "$data" \
  --out "$out" 2>"$out/run.log"
rc=$?
((rc == 77)) && { cat "$out/run.log"; exit 77; }
((rc == 0)) || { tail -20 "$out/run.log"; echo "FAIL: run_tflite.mjs exited $rc"; exit 1; }
# the case/out lines (not the header: versions and paths) and every output file must match
if ! diff <(grep -E '^(case|out) ' "$data/golden/golden.txt") <(grep -E '^(case|out) ' "$out/golden.txt"); then
  echo "FAIL: golden.txt differs from the committed one"
  exit 1
fi
n=0
for f in "$data"/golden/*.bin; do
  cmp -s "$f" "$out/$(basename "$f")" || { echo "FAIL: $(basename "$f") differs"; exit 1; }
  n=$((n + 1))
done
echo "tflref-live: TFLite reproduced all $n committed single-op goldens"

#!/usr/bin/env bash
# selfcheck.sh NODE - converter self-check for CTest (tests/golden.cmake): skips (77) when the
# pinned npm packages are not fetched; else runs make_goldens.mjs --check on two images and
# checks the CLI's argument errors and --help.
set -u -o pipefail
node=${1:-node}
root=$(cd "$(dirname "$0")/../.." && pwd)
for d in nsfwjs _tensorflow_tfjs; do
  if [ ! -d "$root/third_party/npm/$d" ]; then
    echo "SKIP: third_party/npm/$d absent (run scripts/fetch-npm.sh)"
    exit 77
  fi
done
fail=0
"$node" "$root/tools/convert/nsfwjs2tflite.mjs" --help | grep -q -- '--until' || { echo "FAIL: --help"; fail=1; }
out=$("$node" "$root/tools/convert/nsfwjs2tflite.mjs" --bogus 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "unknown argument" <<<"$out" || { echo "FAIL: bad argument not refused: $out"; fail=1; }
out=$("$node" "$root/tools/convert/nsfwjs2tflite.mjs" --out /dev/null --until no_such_layer 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "no such layer" <<<"$out" || { echo "FAIL: bad --until not refused: $out"; fail=1; }
"$node" "$root/tools/convert/make_goldens.mjs" --check --images 2 2>&1 | grep -v "^=*$\|Hi, looks" || fail=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# a truncated model ends at the requested layer
"$node" "$root/tools/convert/nsfwjs2tflite.mjs" --out "$tmp/m13.tflite" --until block_13_expand_relu 2>/dev/null || fail=1
"$node" --input-type=module -e "
import fs from 'node:fs';
import { readTflite } from '$root/tools/convert/tflite_reader.mjs';
const g = readTflite(fs.readFileSync('$tmp/m13.tflite'));
const last = g.ops.at(-1).outputs[0];
if (g.outputs.join() !== 'block_13_expand_relu' || last !== 'block_13_expand_relu' || g.ops.length !== 52)
  { console.log('FAIL: --until model: outputs', g.outputs, 'ops', g.ops.length); process.exit(1); }
console.log('--until block_13_expand_relu: 52 ops, output block_13_expand_relu');
" || fail=1
# int8: calibrate on tests/data/calib (not the test images), check (simulated) against tfjs on a
# golden image: measured worst relative L2 ~0.1 (docs/backbone.md), bound 0.2
"$node" "$root/tools/convert/nsfwjs2tflite.mjs" --int8 --calib "$root/tests/data/calib" \
  --out "$tmp/q.tflite" >/dev/null 2>&1 || { echo "FAIL: int8 conversion"; fail=1; }
"$node" "$root/tools/convert/make_goldens.mjs" --check --model "$tmp/q.tflite" --images 1 --tol 0.2 2>&1 |
  grep -E "worst|FAIL|argmax" || fail=1
if [ $fail -ne 0 ]; then echo "0 passed, 1 failed"; exit 1; fi
echo "1 passed, 0 failed"

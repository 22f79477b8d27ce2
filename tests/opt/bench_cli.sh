#!/usr/bin/env bash
# bench_backbone: --help, clear errors on bad input, and a quick run (no ORT) whose optimised
# output must agree with the reference kernels'. usage: bench_cli.sh BENCH_BINARY SOURCE_DIR
set -u
bin="$1"; src="$2"; fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }

out="$("$bin" --help)"; rc=$?
check "--help exits 0 and prints usage" '[[ $rc -eq 0 && "$out" == *usage:* ]]'
err="$("$bin" --runs zero 2>&1 >/dev/null)"; rc=$?
check "bad --runs is refused" '[[ $rc -eq 2 && "$err" == *"--runs needs a positive integer"* ]]'
err="$("$bin" --frobnicate 2>&1 >/dev/null)"; rc=$?
check "unknown option is refused" '[[ $rc -eq 2 && "$err" == *"unknown or incomplete argument"* ]]'
err="$("$bin" --model /nonexistent/m.tflite --no-ort 2>&1 >/dev/null)"; rc=$?
check "missing model: clear error" '[[ $rc -eq 1 && "$err" == *"cannot read /nonexistent/m.tflite"* ]]'
tmp="$(mktemp)"; head -c 1000 /dev/urandom > "$tmp"
err="$("$bin" --model "$tmp" --no-ort 2>&1 >/dev/null)"; rc=$?; rm -f "$tmp"
check "garbage model: refused, no crash" '[[ $rc -eq 1 ]]'

model="$src/models/mobilenet_v2.tflite"
if [[ ! -f "$model" ]]; then
    echo "SKIP quick run: $model not generated"; [[ $fail -eq 0 ]] && exit 77 || exit 1
fi
out="$("$bin" --model "$model" --no-ort --runs 1 --ref-runs 1 --warmup 1 2>/dev/null)"; rc=$?
echo "$out"
check "quick run succeeds" '[[ $rc -eq 0 ]]'
diff="$(sed -n 's/^opt vs ref output: max |diff| \([^ ]*\) (max |ref| \([^)]*\)).*/\1 \2/p' <<<"$out")"
check "opt output matches ref within 1e-4 relative" \
    '[[ -n "$diff" ]] && awk -v d="${diff% *}" -v m="${diff#* }" "BEGIN{exit !(d <= 1e-4*(1+m))}"'

# ONNX side: export the model, run ONNX Runtime on it through bench_backbone, outputs must agree
if command -v node >/dev/null && [[ -f "$src/third_party/npm/onnxruntime-node/package.json" &&
      -f "$src/third_party/npm/onnxruntime-common/package.json" &&
      -f "$src/third_party/npm/nsfwjs/package.json" ]]; then
    onnx="$(mktemp --suffix=.onnx)"
    node "$src/tools/convert/onnx_export.mjs" --out "$onnx" 2>/dev/null; rc=$?
    check "onnx_export.mjs writes a model" '[[ $rc -eq 0 && -s "$onnx" ]]'
    err="$(node "$src/tools/convert/onnx_export.mjs" --until no_such_layer --out "$onnx.x" 2>&1)"; rc=$?
    check "onnx_export.mjs: unknown cut layer refused" '[[ $rc -ne 0 && "$err" == *no_such_layer* ]]'
    out="$("$bin" --model "$model" --onnx "$onnx" --runs 2 --ref-runs 1 --warmup 1 2>/dev/null)"; rc=$?
    echo "$out" | tail -6
    check "ORT runs and its output matches edgecl's" '[[ $rc -eq 0 && "$out" == *"ORT vs edgecl output"*OK* ]]'
    rm -f "$onnx" "$onnx.x"
    # the int8 model against its QDQ export: outputs compared in LSBs
    int8="$src/models/mobilenet_v2_int8.tflite"
    if [[ -f "$int8" ]]; then
        node "$src/tools/convert/onnx_int8_export.mjs" --model "$int8" --out "$onnx" 2>/dev/null; rc=$?
        check "onnx_int8_export.mjs writes a model" '[[ $rc -eq 0 && -s "$onnx" ]]'
        out="$("$bin" --model "$int8" --onnx "$onnx" --runs 2 --ref-runs 1 --warmup 1 2>/dev/null)"; rc=$?
        echo "$out" | tail -5
        check "ORT int8 runs beside edgecl int8, output within the LSB bound" \
            '[[ $rc -eq 0 && "$out" == *"ORT, 1 thread"* && "$out" == *"LSB of the quantised output"*OK* ]]'
        rm -f "$onnx"
    else
        echo "skip ORT int8 check: $int8 not generated"
    fi
else
    echo "skip ORT check: node or third_party/npm/{onnxruntime-node,onnxruntime-common,nsfwjs} missing"
fi
exit $fail

#!/usr/bin/env bash
# CTest ort_int8_export: tests/opt/ort_int8_check.mjs (the int8 QDQ ONNX export vs edgecl's int8
# model under ONNX Runtime), skipped (77) without node. usage: ort_int8.sh EDGECL_BINARY SOURCE_DIR
if ! command -v node >/dev/null; then
    echo "SKIP: node not found (the ONNX Runtime check needs Node.js and onnxruntime-node)"
    exit 77
fi
exec node "$2/tests/opt/ort_int8_check.mjs" "$1" "$2"

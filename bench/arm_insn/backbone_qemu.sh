#!/usr/bin/env bash
# A whole quantized backbone on AArch64 under qemu-user, optimised vs reference kernels: cross-builds
# bench/backbone.c with the library (neon_dot.c with -march=armv8.2-a+dotprod, as in the build)
# and runs it once per model under `-cpu max` (table neondot) and `-cpu cortex-a57` (table neon),
# printing the table used and bench_backbone's "opt vs ref output: max |diff|" (0: bit-exact).
# The times it prints are qemu's, not an ARM core's: ignore them. Needs gcc-aarch64-linux-gnu and
# qemu-user (exit 77 without).
#   bash bench/arm_insn/backbone_qemu.sh [MODEL.tflite...]
#   (default: models/mobilenet_v2_int8.tflite and the quantized MobileNets of ../shared/models/)
set -u
src="$(cd "$(dirname "$0")/../.." && pwd)"
cc=aarch64-linux-gnu-gcc
if ! command -v $cc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
    echo "SKIP: needs $cc (gcc-aarch64-linux-gnu) and qemu-aarch64 (qemu-user)"; exit 77
fi
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
    for m in "$src/models/mobilenet_v2_int8.tflite" \
        "$src/../shared/models/mobilenet_v2_1.0_224_quant.tflite" \
        "$src/../shared/models/tf2_mobilenet_v2_1.0_224_ptq.tflite" \
        "$src/../shared/models/mobilenet_v1_0.25_128_quant.tflite"; do
        [ -e "$m" ] && models+=("$m") || echo "(absent, skipped: $m)"
    done
fi
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
$cc -std=c11 -O2 -march=armv8.2-a+dotprod -I"$src/src" -I"$src/include" \
    -c "$src/src/kernels/opt/arm/neon_dot.c" -o "$tmp/neon_dot.o" || exit 1
lib=()
for d in core tflite tflite/ops kernels/ref kernels/opt train replay learn state port; do
    lib+=("$src"/src/$d/*.c)
done
$cc -std=c11 -O2 -static -DECL_SOURCE_DIR="\"$src\"" -I"$src/src" -I"$src/include" \
    "$src/bench/backbone.c" "$src/bench/ort_peer.c" "${lib[@]}" "$src/src/kernels/opt/arm/neon_kernels.c" \
    "$src/src/kernels/opt/arm/neon_i8.c" "$src/src/kernels/opt/arm/neon_dw_i8.c" \
    "$tmp/neon_dot.o" -lm -lpthread -o "$tmp/bench_backbone" || exit 1
rc=0
for m in "${models[@]}"; do
    for cpu in max cortex-a57; do
        out="$(qemu-aarch64 -cpu $cpu "$tmp/bench_backbone" --model "$m" --no-ort --runs 1 \
            --ref-runs 1 --warmup 0 2>&1)" || rc=1
        tab="$(grep -o 'kernels neon[a-z]*' <<<"$out" | head -1)"
        printf "%-45s -cpu %-10s %-16s %s\n" "$(basename "$m")" "$cpu" "$tab" \
            "$(grep 'opt vs ref' <<<"$out" || echo 'no comparison (failed)')"
        grep -q 'max |diff| 0 ' <<<"$out" || rc=1
    done
done
exit $rc

#!/usr/bin/env bash
# NEON kernels vs reference on AArch64, without ARM hardware: cross-compile
# tests/test_kernels_opt*.c (with a tiny cmocka stand-in) and run it under qemu-user twice:
#   -cpu max         the core has the dot-product extension: the SDOT int8 kernels are installed
#                    ("kernels: neondot") and tested, and the plain NEON ones explicitly too;
#   -cpu cortex-a57  Armv8.0, no dot product: the plain NEON int8 kernels are installed
#                    ("kernels: neon"), the SDOT tests report SKIPPED (never run: they would SIGILL).
# neon_dot.c alone is compiled with -march=armv8.2-a+dotprod, as in the library build.
# Skipped (77) unless gcc-aarch64-linux-gnu and qemu-user are installed.
set -u
src="$1"
cc=aarch64-linux-gnu-gcc
if ! command -v $cc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
    echo "SKIP: needs $cc (gcc-aarch64-linux-gnu) and qemu-aarch64 (qemu-user)"; exit 77
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
out="$tmp/test_kernels_opt"
$cc -std=c11 -O2 -march=armv8.2-a+dotprod -I"$src/src" -I"$src/include" \
    -c "$src/src/kernels/opt/arm/neon_dot.c" -o "$tmp/neon_dot.o" || {
    echo "FAIL: cross-compile neon_dot.c"; exit 1; }
$cc -std=c11 -O2 -static -DECL_TEST_ARM_TABLES -I"$src/src" -I"$src/include" \
    -I"$src/tests/opt/cmocka_shim" \
    "$src/tests/test_kernels_opt.c" "$src/tests/test_kernels_opt_f32.c" \
    "$src/tests/test_kernels_opt_i8.c" "$src/tests/test_kernels_opt_rq.c" \
    "$src/tests/test_kernels_opt_tables.c" "$src/tests/kernels_opt_util.c" \
    "$src/src/kernels/opt/opt_install.c" \
    "$src/src/kernels/opt/arm/neon_kernels.c" "$src/src/kernels/opt/arm/neon_i8.c" \
    "$src/src/kernels/opt/arm/neon_dw_i8.c" \
    "$tmp/neon_dot.o" "$src"/src/kernels/ref/*.c "$src"/src/core/*.c \
    -lm -lpthread -o "$out" || { echo "FAIL: cross-compile"; exit 1; }
fail=0
for cpu in max:neondot cortex-a57:neon; do
    log="$(qemu-aarch64 -cpu "${cpu%%:*}" "$out" 2>&1)"; rc=$?
    echo "== qemu-aarch64 -cpu ${cpu%%:*}"
    echo "$log"
    if [[ $rc -ne 0 || "$log" != *"kernels: ${cpu##*:}"$'\n'* || "$log" != *"ALL PASSED"* ]]; then
        echo "FAIL (-cpu ${cpu%%:*})"; fail=1
    fi
done
exit $fail

#!/usr/bin/env bash
# NEON kernels vs reference on AArch64, without ARM hardware: cross-compile
# tests/test_kernels_opt.c (with a tiny cmocka stand-in) and run it under qemu-user.
# Skipped (77) unless gcc-aarch64-linux-gnu and qemu-user are installed.
set -u
src="$1"
cc=aarch64-linux-gnu-gcc
if ! command -v $cc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
    echo "SKIP: needs $cc (gcc-aarch64-linux-gnu) and qemu-aarch64 (qemu-user)"; exit 77
fi
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
$cc -std=c11 -O2 -static -I"$src/src" -I"$src/include" -I"$src/tests/opt/cmocka_shim" \
    "$src/tests/test_kernels_opt.c" "$src/src/kernels/opt/opt_install.c" \
    "$src/src/kernels/opt/arm/neon_kernels.c" "$src"/src/kernels/ref/*.c "$src"/src/core/*.c \
    -lm -lpthread -o "$out" || { echo "FAIL: cross-compile"; exit 1; }
log="$(qemu-aarch64 "$out" 2>&1)"; rc=$?
echo "$log"
[[ $rc -eq 0 && "$log" == *"kernels: neon"* && "$log" == *"ALL PASSED"* ]] || { echo FAIL; exit 1; }

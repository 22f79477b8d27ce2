#!/usr/bin/env bash
# Instructions executed by one int8 kernel call on AArch64, counted under qemu-user (not timed:
# emulation speed says nothing about an ARM core's). Cross-compiles kernel_once.c with the library's
# kernels (neon_dot.c with -march=armv8.2-a+dotprod, as in the build), runs each (table, layer)
# with 0 and 1 calls under `qemu-aarch64 -cpu max -d in_asm,exec,nochain` and prints the
# difference, the instructions per multiply-accumulate, and the output checksum (equal across
# tables: bit-exact). Needs gcc-aarch64-linux-gnu and qemu-user (exit 77 without).
#   bash bench/arm_insn/insn_count.sh [LAYER...]     (default: pw exp s2 fc)
# TABLES="neon neondot" to leave out the (slow to emulate) reference.
set -u
src="$(cd "$(dirname "$0")/../.." && pwd)"
cc=aarch64-linux-gnu-gcc
if ! command -v $cc >/dev/null || ! command -v qemu-aarch64 >/dev/null; then
    echo "SKIP: needs $cc (gcc-aarch64-linux-gnu) and qemu-aarch64 (qemu-user)"; exit 77
fi
layers=("$@"); [ ${#layers[@]} -gt 0 ] || layers=(pw exp s2 fc)
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
$cc -std=c11 -O2 -march=armv8.2-a+dotprod -I"$src/src" -I"$src/include" \
    -c "$src/src/kernels/opt/arm/neon_dot.c" -o "$tmp/neon_dot.o" || exit 1
$cc -std=c11 -O2 -static -I"$src/src" -I"$src/include" "$src/bench/arm_insn/kernel_once.c" \
    "$src/src/kernels/opt/opt_install.c" "$src/src/kernels/opt/arm/neon_kernels.c" \
    "$src/src/kernels/opt/arm/neon_i8.c" \
    "$src/src/kernels/opt/arm/neon_dw_i8.c" "$tmp/neon_dot.o" "$src"/src/kernels/ref/*.c \
    "$src"/src/core/*.c -lm -o "$tmp/kernel_once" || exit 1
mkfifo "$tmp/log"
count() { # table layer calls -> instructions (the log streams through a FIFO: it can be GBs)
    python3 "$src/bench/arm_insn/count_tb.py" <"$tmp/log" >"$tmp/n" &
    qemu-aarch64 -cpu max -d in_asm,exec,nochain -D "$tmp/log" "$tmp/kernel_once" "$@" \
        >"$tmp/out" || exit 1
    wait $!
    cat "$tmp/n"
}
printf "%-6s %-8s %12s %14s %10s  %s\n" layer kernels macs instructions insn/mac checksum
for layer in "${layers[@]}"; do
    for tab in ${TABLES:-ref neon neondot}; do
        base=$(count "$tab" "$layer" 0); one=$(count "$tab" "$layer" 1)
        read -r _ _ _ macs _ sum <"$tmp/out"
        printf "%-6s %-8s %12s %14s %10.3f  %s\n" "$layer" "$tab" "$macs" $((one - base)) \
            "$(echo "($one - $base) / $macs" | bc -l)" "$sum"
    done
done

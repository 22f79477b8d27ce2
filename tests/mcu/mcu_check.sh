#!/bin/bash
# Microcontroller check: cross-compile the library (no port layer) for Cortex-M4F with
# arm-none-eabi-gcc + newlib, link a tiny program with --specs=nosys.specs, and check that no
# library object references malloc/free/stdio/exit (the library must run without an OS heap or
# files). Prints the library's .text/.data/.bss sizes. Exit 77 (skip) without the toolchain
# (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi).
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CC=${ARM_CC:-arm-none-eabi-gcc}
command -v "$CC" >/dev/null || { echo "SKIP: $CC not found"; exit 77; }
NM=${CC%gcc}nm
SIZE=${CC%gcc}size
T=$(mktemp -d /tmp/ecl_mcu_XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

ARCH="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
CFLAGS="$ARCH -std=c11 -Os -g0 -ffunction-sections -fdata-sections -Wall -Wextra -Wno-unused-parameter
        -DECL_NO_TLS -I$SRC/include -I$SRC/src"
# kernels/opt: only opt_install.c (top level), which installs nothing on Cortex-M but is what
# kernels/ref/dispatch.c calls; the x86/ and arm/ (NEON) subfolders are not for M-profile.
# -DECL_NO_TLS: proposed switch for interp.c's __thread planner scratch (see the TLS check).
AREAS="core train replay learn state tflite tflite/ops kernels/ref kernels/opt"

# 1. compile every library source (a compile error or warning here is a portability bug)
objs=()
for a in $AREAS; do
    for f in "$SRC"/src/$a/*.c; do
        [ -e "$f" ] || continue
        o="$T/$(echo "${f#$SRC/src/}" | tr / _).o"
        if ! $CC $CFLAGS -c "$f" -o "$o" 2>"$T/cc.err"; then
            fail "compile ${f#$SRC/}: $(head -5 "$T/cc.err")"
            continue
        fi
        [ -s "$T/cc.err" ] && echo "warning(s) in ${f#$SRC/}:" && head -10 "$T/cc.err"
        objs+=("$o")
    done
done
[ ${#objs[@]} -gt 10 ] || fail "only ${#objs[@]} objects compiled"
echo "compiled ${#objs[@]} library sources for Cortex-M4F ($CC $($CC -dumpversion))"

# 2. what the library objects need from outside: no heap, no stdio, no process control
$NM -u "${objs[@]}" 2>/dev/null | awk 'NF == 2 { print $2 }' | sort -u >"$T/undef"
defined=$($NM --defined-only "${objs[@]}" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u)
comm -23 "$T/undef" <(echo "$defined") >"$T/external"
echo "external symbols used by the library: $(tr '\n' ' ' <"$T/external")"
bad=$(grep -Ex 'malloc|calloc|realloc|free|_malloc_r|_free_r|_calloc_r|_realloc_r|aligned_alloc|posix_memalign|(v?f|v?s|v?sn|v?as)?printf|_printf_r|puts|putchar|fputs|fputc|fopen|fclose|fread|fwrite|fflush|fseek|ftell|open|close|read|write|_write|_read|exit|abort|getenv|time|clock|__assert_func|__errno' "$T/external")
if [ -n "$bad" ]; then
    for s in $bad; do
        fail "library references $s in: $($NM -A -u "${objs[@]}" | grep -w "$s" | sed "s|$T/||; s|:.*||" | tr '\n' ' ')"
    done
else
    echo "ok: no malloc/free/stdio/exit references in the library objects"
fi
dbl=$(grep -Ec '^__aeabi_d|2d$' "$T/external")
[ "$dbl" -gt 0 ] && echo "note: $dbl software double-precision helpers used (the M4F FPU is single precision) by: $($NM -A -u "${objs[@]}" | grep -E ' __aeabi_d|2d$' | sed "s|$T/||; s|:.*||" | sort -u | tr '\n' ' ')"

# 3. sizes
echo "library object sizes (bytes):"
printf '  %-12s %8s %8s %8s\n' area text data bss
tt=0 td=0 tb=0
for a in $AREAS; do
    pat="$T/$(echo "$a" | tr / _)_"
    set -- $(ls "$pat"*.o 2>/dev/null | xargs -r $SIZE 2>/dev/null | awk 'NR > 1 { t += $1; d += $2; b += $3 } END { print t + 0, d + 0, b + 0 }')
    printf '  %-12s %8d %8d %8d\n' "$a" "$1" "$2" "$3"
    tt=$((tt + $1)) td=$((td + $2)) tb=$((tb + $3))
done
printf '  %-12s %8d %8d %8d\n' total $tt $td $tb
tls=$($SIZE -A "${objs[@]}" 2>/dev/null | awk '$1 == ".tbss" || $1 ~ /^\.tbss\./ { s += $2 } END { print s + 0 }')
# Thread-local storage needs an OS/RTOS thread pointer (__aeabi_read_tp) and TLS set-up that a
# bare-metal startup does not have: the library must not need it on a microcontroller.
if [ "$tls" -gt 0 ] || grep -qx '__aeabi_read_tp' "$T/external"; then
    fail "library uses $tls bytes of thread-local storage (needs __aeabi_read_tp): $($NM -A -u "${objs[@]}" | grep -w __aeabi_read_tp | sed "s|$T/||; s|:.*||" | sort -u | tr '\n' ' ')"
fi

# 4. link the tiny program (static arenas, nosys stubs) and report the image size
if $CC $CFLAGS -c "$SRC/tests/mcu/mcu_main.c" -o "$T/main.o" 2>"$T/cc.err" &&
    $CC $CFLAGS -c "$SRC/tests/mcu/tls_shim.c" -o "$T/tls_shim.o" 2>>"$T/cc.err" &&
    $CC $ARCH --specs=nosys.specs -Wl,--gc-sections -o "$T/mcu.elf" "$T/main.o" "${objs[@]}" \
        $(grep -qx '__aeabi_read_tp' "$T/external" && echo "$T/tls_shim.o") -lm \
        2>"$T/ld.err"; then
    echo "linked tests/mcu/mcu_main.c (learner + interpreter) for Cortex-M4F:"
    $SIZE "$T/mcu.elf" | sed 's/^/  /'
    [ -n "${MCU_ELF_OUT:-}" ] && cp "$T/mcu.elf" "$MCU_ELF_OUT"
else
    fail "link: $(cat "$T/cc.err" "$T/ld.err" | head -10)"
fi
if [ $fails -ne 0 ]; then echo "$fails failure(s)" >&2; exit 1; fi
echo "all passed"

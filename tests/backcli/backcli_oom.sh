#!/bin/bash
# classify / extract when malloc fails: a clear "out of memory" message and exit 1, never a crash.
# An LD_PRELOAD shim (failmalloc.c, $ECL_FAILMALLOC) fails the n-th malloc of one size; a
# synthetic model with an unusual output size N makes the CLI's N-float buffers the only
# requests of that size (classify used to write its scores into an unchecked malloc).
# Skipped (77) where the shim is not built (sanitizer/fuzzer builds, non-Linux).
source "$(dirname "$0")/lib.sh" "$@"
need_mkmodel
if [ -z "${ECL_FAILMALLOC:-}" ] || [ ! -f "$ECL_FAILMALLOC" ]; then
    echo "SKIP: no failmalloc shim in this build"; exit 77
fi
G=$GOLDEN/chelsea.png
N=12347
"$MKMODEL" wide-fc "$T/wide.tflite" $N || fail "mkmodel wide-fc"
run_ok "classify on the wide model" "$EDGECL" classify --model "$T/wide.tflite" --top 3 "$G"
run_ok "the shim is inert unless asked" env LD_PRELOAD="$ECL_FAILMALLOC" "$EDGECL" classify --model "$T/wide.tflite" --top 3 "$G"
for c in classify extract; do
    o=""; [ $c = extract ] && o="--quiet --cut output --out $T/x.ecf"
    failed=0
    for nth in 1 2 3 4; do
        env LD_PRELOAD="$ECL_FAILMALLOC" ECL_FAILMALLOC_SIZE=$((4 * N)) ECL_FAILMALLOC_NTH=$nth \
            "$EDGECL" $c --model "$T/wide.tflite" $o "$G" >"$T/out" 2>"$T/err"
        rc=$?
        if [ $rc -ge 128 ]; then fail "$c, malloc #$nth of $((4 * N)) bytes fails: crashed (exit $rc)"; continue; fi
        if [ $rc -ne 0 ]; then
            grep -Eqi "out of memory|cannot allocate" "$T/err" || fail "$c, malloc #$nth fails: unclear message: $(cat "$T/err")"
            failed=$((failed + 1))
        fi
    done
    # the feature extractor's output buffer and the command's own result buffer
    [ $failed -eq 2 ] && ok "$c: both $N-float buffers checked" || fail "$c: $failed of the N-float mallocs reported (expected 2)"
done
finish

#!/bin/bash
# edgecl classify on the real MobileNetV2: one line per image, --top K entries sorted by value,
# softmax outputs summing to 1, and the same top-1 class with --ref and the default kernels.
source "$(dirname "$0")/lib.sh" "$@"
need_model
IMGS=("$GOLDEN/astronaut.png" "$GOLDEN/chelsea.png" "$GOLDEN/rocket.png")

run_ok "classify (default kernels)" "$EDGECL" classify --model "$MODEL" --top 100000 "${IMGS[@]}"
cp "$T/out" "$T/opt.txt"
run_ok "classify --ref" "$EDGECL" classify --model "$MODEL" --ref --top 100000 "${IMGS[@]}"
cp "$T/out" "$T/ref.txt"
[ "$(wc -l <"$T/opt.txt")" -eq ${#IMGS[@]} ] || fail "expected ${#IMGS[@]} lines: $(cat "$T/opt.txt")"
for i in "${!IMGS[@]}"; do
    l=$((i + 1))
    o=$(sed -n ${l}p "$T/opt.txt")
    r=$(sed -n ${l}p "$T/ref.txt")
    [ "${o%% *}" = "${IMGS[$i]}" ] || fail "line $l does not start with the image path: $o"
    # all classes printed (--top clamps to the output size): values sorted, sum 1 (softmax)
    awk '{ s = 0; prev = 2; for (i = 2; i <= NF; i++) { split($i, a, ":"); v = a[2] + 0;
           if (v > prev + 1e-6 || v < 0) exit 1; prev = v; s += v }
           if (NF < 3 || s < 0.99 || s > 1.01) exit 1 }' <<<"$o" ||
        fail "line $l: not sorted probabilities summing to 1: $o"
    top_o=$(awk '{ split($2, a, ":"); print a[1] }' <<<"$o")
    top_r=$(awk '{ split($2, a, ":"); print a[1] }' <<<"$r")
    if [ "$top_o" = "$top_r" ] && [ -n "$top_o" ]; then ok "${IMGS[$i]##*/}: top-1 $top_o with both kernels"; else
        fail "${IMGS[$i]##*/}: top-1 differs: default '$o' vs ref '$r'"; fi
    # probabilities agree closely too (printed with 4 decimals)
    paste <(tr ' ' '\n' <<<"$o" | grep ':' | sort) <(tr ' ' '\n' <<<"$r" | grep ':' | sort) |
        awk '{ split($1, a, ":"); split($2, b, ":"); d = a[2] - b[2]; if (d < 0) d = -d;
               if (a[1] != b[1] || d > 2e-4) exit 1 }' || fail "line $l: ref/default values differ: '$o' vs '$r'"
done
run_ok "classify --top 2 --threads 2" "$EDGECL" classify --model "$MODEL" --top 2 --threads 2 "${IMGS[0]}"
[ "$(wc -w <"$T/out")" -eq 3 ] || fail "--top 2: $(cat "$T/out")"
[ "$(awk '{ print $2 }' "$T/out")" = "$(head -1 "$T/opt.txt" | awk '{ print $2 }')" ] ||
    fail "--threads 2 top-1 differs: $(cat "$T/out")"
# a bad image among good ones: reported, the others still classified, exit non-zero
head -c 3000 "$GOLDEN/chelsea.png" >"$T/broken.png"
"$EDGECL" classify --model "$MODEL" --top 1 "${IMGS[0]}" "$T/broken.png" "${IMGS[1]}" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -ne 0 ] && [ $rc -lt 128 ] || fail "broken image in a list: exit $rc"
[ "$(wc -l <"$T/out")" -eq 2 ] || fail "the good images were not all classified: $(cat "$T/out")"
grep -q "broken.png.*truncated" "$T/err" || fail "no message for broken.png: $(cat "$T/err")"
finish

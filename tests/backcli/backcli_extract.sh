#!/bin/bash
# edgecl inspect + extract on the real MobileNetV2: a folder of class subfolders gives a feature
# file with the right n, dim, labels and class names; reference and optimised kernels (and 1 vs
# 2 threads) give the same features within 1e-4 relative L2; learn accepts the file.
source "$(dirname "$0")/lib.sh" "$@"
need_model
CUT=block_13_expand_relu

# inspect: the cut layer is listed, marked as a good cut, and its channel count is the dim
run_ok "inspect" "$EDGECL" inspect --model "$MODEL"
line=$(grep -E "^[0-9]+ +\*? +$CUT +" "$T/out")
[ -n "$line" ] || fail "inspect does not list $CUT"
grep -q '\*' <<<"$line" || fail "inspect does not mark $CUT as a good cut: $line"
shape=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+(x[0-9]+)+$/) { print $i; exit } }' <<<"$line")
DIM=${shape##*x}
[ "$DIM" -gt 0 ] 2>/dev/null || fail "no channel count in '$line'"
head -1 "$T/out" | grep -Eq '[0-9]+ tensors, [0-9]+ operators' || fail "inspect header: $(head -1 "$T/out")"
run_ok "inspect --ops --cut" "$EDGECL" inspect --model "$MODEL" --ops --cut $CUT
grep -Eq "^cut $CUT: [0-9]+ ops, arena [0-9]+ bytes" "$T/out" || fail "inspect --cut: no arena line"
grep -q "unsupported" "$T/out" && fail "inspect --ops reports unsupported ops in the model"
n_ops=$(grep -cE '^[0-9]+ +[A-Z_0-9]+ ' "$T/out")
[ "$n_ops" -gt 50 ] || fail "inspect --ops lists only $n_ops operators"

# extract on a class-folder tree
photo_tree "$T/photos"
run_ok "extract folder (default kernels)" "$EDGECL" extract --model "$MODEL" --cut $CUT --out "$T/opt.ecf" "$T/photos"
grep -q "wrote 5 vectors of dim $DIM (3 classes)" "$T/err" || fail "extract summary: $(tail -1 "$T/err")"
grep -q '5/5' "$T/err" || fail "extract shows no progress on stderr"
"$FEATCHECK" info "$T/opt.ecf" >"$T/info" || fail "featcheck info failed"
grep -qx "n=5 dim=$DIM names=animals,people,things labels=0,1,2,2,2" "$T/info" ||
    fail "feature file header/labels: $(head -1 "$T/info")"
grep -q '^finite=1 ' "$T/info" || fail "non-finite features"
nz=$(sed -n 's/.*nonzero=//p' "$T/info")
[ "${nz:-0}" -gt $((5 * DIM / 4)) ] || fail "features are mostly zero ($nz non-zero values)"

# an empty class folder is skipped with a warning, not made a class without samples (which
# shifted every later label and named a class nothing was learned for)
photo_tree "$T/photos2"
mkdir -p "$T/photos2/aaa_empty" "$T/photos2/middle"
echo "no images here" >"$T/photos2/middle/readme.txt"
run_ok "extract folder with empty class folders" "$EDGECL" extract --model "$MODEL" --cut $CUT --quiet --out "$T/e.ecf" "$T/photos2"
grep -q "warning: class folder .*aaa_empty has no images.*skipped" "$T/err" || fail "no warning for aaa_empty: $(cat "$T/err")"
grep -q "warning: class folder .*middle has no images.*skipped" "$T/err" || fail "no warning for middle: $(cat "$T/err")"
grep -q "wrote 5 vectors of dim $DIM (3 classes)" "$T/err" || fail "empty classes counted: $(tail -1 "$T/err")"
"$FEATCHECK" info "$T/e.ecf" | grep -qx "n=5 dim=$DIM names=animals,people,things labels=0,1,2,2,2" ||
    fail "with empty class folders: $("$FEATCHECK" info "$T/e.ecf" | head -1)"
run_ok "same features as without the empty folders" "$FEATCHECK" cmp "$T/opt.ecf" "$T/e.ecf" 0

run_ok "extract folder --ref" "$EDGECL" extract --model "$MODEL" --cut $CUT --ref --quiet --out "$T/ref.ecf" "$T/photos"
# (the stray notes.txt is still named: issue 12, nothing is left out silently)
[ -z "$(grep -v 'wrote\|note: ignoring .*notes.txt (not an image)' "$T/err")" ] || fail "--quiet still prints: $(cat "$T/err")"
run_ok "--ref vs default within 1e-4" "$FEATCHECK" cmp "$T/ref.ecf" "$T/opt.ecf" 1e-4
cat "$T/out"
run_ok "extract --threads 2 (csv)" "$EDGECL" extract --model "$MODEL" --cut $CUT --threads 2 --quiet --out "$T/t2.csv" "$T/photos"
run_ok "1 vs 2 threads within 1e-4" "$FEATCHECK" cmp "$T/opt.ecf" "$T/t2.csv" 1e-4
# whole images on N threads (one backbone each): the same records in the same order, bit for
# bit, as one thread; an unreadable file among them is named once and skipped in both
cp "$T/photos/animals/"* "$T/photos2/middle/" 2>/dev/null
printf 'JUNK' >"$T/photos2/middle/broken.png"
run_fail_ok() { "$@" >"$T/out" 2>"$T/err"; [ $? -eq 1 ] || fail "$1 ${*:2}: expected exit 1: $(cat "$T/err")"; }
run_fail_ok "$EDGECL" extract --model "$MODEL" --cut $CUT --threads 1 --quiet --out "$T/th1.ecf" "$T/photos2"
grep -c "skipping .*broken.png" "$T/err" | grep -qx 1 || fail "--threads 1: broken.png not named once: $(cat "$T/err")"
run_fail_ok "$EDGECL" extract --model "$MODEL" --cut $CUT --threads 3 --quiet --out "$T/th3.ecf" "$T/photos2"
grep -c "skipping .*broken.png" "$T/err" | grep -qx 1 || fail "--threads 3: broken.png not named once: $(cat "$T/err")"
"$FEATCHECK" info "$T/th3.ecf" | head -1 | grep -q "^n=6 " || fail "--threads 3: $("$FEATCHECK" info "$T/th3.ecf" | head -1)"
[ "$("$FEATCHECK" info "$T/th1.ecf" | head -1)" = "$("$FEATCHECK" info "$T/th3.ecf" | head -1)" ] ||
    fail "1 vs 3 threads: labels/names differ"
run_ok "1 vs 3 threads: identical features" "$FEATCHECK" cmp "$T/th1.ecf" "$T/th3.ecf" 0
run_ok "extract --threads 3 loose" "$EDGECL" extract --model "$MODEL" --cut $CUT --threads 3 --quiet --out "$T/l3.ecf" "$GOLDEN/hubble.png" "$GOLDEN/chelsea.png" "$GOLDEN/hubble.png"
run_ok "extract --threads 1 loose" "$EDGECL" extract --model "$MODEL" --cut $CUT --threads 1 --quiet --out "$T/l1.ecf" "$GOLDEN/hubble.png" "$GOLDEN/chelsea.png" "$GOLDEN/hubble.png"
run_ok "loose images, 1 vs 3 threads: same order and bytes" "$FEATCHECK" cmp "$T/l1.ecf" "$T/l3.ecf" 0

# different photos give different features (the backbone is not returning a constant)
run_ok "extract loose images --label 7" "$EDGECL" extract --model "$MODEL" --cut $CUT --label 7 --quiet --out "$T/loose.ecf" "$GOLDEN/chelsea.png" "$GOLDEN/chelsea.png" "$GOLDEN/hubble.png"
"$FEATCHECK" info "$T/loose.ecf" | grep -qx "n=3 dim=$DIM names= labels=7,7,7" || fail "loose: $("$FEATCHECK" info "$T/loose.ecf" | head -1)"
"$FEATCHECK" cmp "$T/loose.ecf" "$T/loose.ecf" 0 >/dev/null || fail "featcheck cmp self"
# same image twice -> identical vectors; chelsea vs hubble -> far apart
run_ok "extract same image twice" "$EDGECL" extract --model "$MODEL" --cut $CUT --quiet --out "$T/c1.ecf" "$GOLDEN/chelsea.png" "$GOLDEN/hubble.png"
run_ok "extract again" "$EDGECL" extract --model "$MODEL" --cut $CUT --quiet --out "$T/c2.ecf" "$GOLDEN/chelsea.png" "$GOLDEN/hubble.png"
run_ok "deterministic" "$FEATCHECK" cmp "$T/c1.ecf" "$T/c2.ecf" 0
run_ok "extract reversed" "$EDGECL" extract --model "$MODEL" --cut $CUT --quiet --out "$T/c3.ecf" "$GOLDEN/hubble.png" "$GOLDEN/chelsea.png"
"$FEATCHECK" cmp "$T/c1.ecf" "$T/c3.ecf" 0.1 >/dev/null && fail "chelsea and hubble give near-identical features"

# the model output as cut layer: dim = number of classes of the model's classifier
run_ok "extract --cut output" "$EDGECL" extract --model "$MODEL" --cut output --quiet --out "$T/out.ecf" "$T/photos"
"$FEATCHECK" info "$T/out.ecf" | grep -Eq "^n=5 dim=[0-9]+ names=animals,people,things" || fail "--cut output"

# a truncated photo among good ones is skipped with a message; the rest is written
head -c 3000 "$GOLDEN/chelsea.png" >"$T/photos/animals/broken.png"
# (issue 12: a skipped image makes the exit code 1, for every command)
"$EDGECL" extract --model "$MODEL" --cut $CUT --quiet --out "$T/skip.ecf" "$T/photos" 2>"$T/err"
[ $? -eq 1 ] || fail "extract with one broken image: exit code is not 1"
grep -q "skipping .*broken.png: .*truncated" "$T/err" || fail "no skip message for broken.png: $(cat "$T/err")"
grep -q "1 file skipped" "$T/err" || fail "summary does not say images were skipped"
"$FEATCHECK" info "$T/skip.ecf" | grep -qx "n=5 dim=$DIM names=animals,people,things labels=0,1,2,2,2" ||
    fail "with a broken image: $("$FEATCHECK" info "$T/skip.ecf" | head -1)"

# the feature file feeds the learning commands
run_ok "learn from extracted features" "$EDGECL" learn --state "$T/s.ecls" --features "$T/opt.ecf" --learner ncm
run_ok "predict on extracted features" "$EDGECL" predict --state "$T/s.ecls" --features "$T/opt.ecf"
finish

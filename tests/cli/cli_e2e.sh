#!/bin/bash
# End to end: gen-gauss -> learn in several calls (state persisted between them) -> predict,
# info; CSV feature files work the same as binary ones.
source "$(dirname "$0")/lib.sh" "$@"

run_ok "gen-gauss" "$EDGECL" gen-gauss --out "$T/tr.ecf" --test "$T/te.ecf" --classes 6 --dim 32 \
    --n 120 --n-test 50 --seed 7
# split the training file into three parts with disjoint classes: 0-1, 2-3, 4-5
python3 - "$T" <<'PY'
import struct, sys, zlib
d = sys.argv[1]
b = open(d + "/tr.ecf", "rb").read()
magic, ver, dim, n, nn = struct.unpack_from("<4sIIII", b, 0)
off = 20 + 32 * nn
names = b[20:off]
recs = [b[off + i * (4 + 4 * dim): off + (i + 1) * (4 + 4 * dim)] for i in range(n)]
for part in range(3):
    sel = [r for r in recs if struct.unpack_from("<i", r)[0] // 2 == part]
    body = struct.pack("<4sIIII", magic, ver, dim, len(sel), nn) + names + b"".join(sel)
    open(d + "/part%d.ecf" % part, "wb").write(body + struct.pack("<I", zlib.crc32(body)))
PY
[ -s "$T/part2.ecf" ] || fail "python split of the feature file"

for L in replay slda ncm naive; do
    S="$T/$L.ecls"
    run_ok "$L: learn part 0 (creates state)" "$EDGECL" learn --state "$S" --features "$T/part0.ecf" \
        --learner $L --max-classes 8 --seed 3 --epochs 4 --optimizer adam --lr 0.001 --lr-after 0
    grep -q "^created" "$T/out" || fail "$L: first learn should report 'created'"
    run_ok "$L: learn part 1" "$EDGECL" learn --state "$S" --features "$T/part1.ecf"
    grep -q "^updated" "$T/out" || fail "$L: second learn should report 'updated'"
    run_ok "$L: learn part 2" "$EDGECL" learn --state "$S" --features "$T/part2.ecf"
    grep -q "classes 6, samples seen 720" "$T/out" || fail "$L: expected 6 classes / 720 seen: $(cat "$T/out")"
    run_ok "$L: predict" "$EDGECL" predict --state "$S" --features "$T/te.ecf" --top 3 --out "$T/pred.csv"
    acc=$(num "$T/out" "accuracy:")
    echo "   $L accuracy after 3 learn calls: $acc"
    lines=$(grep -c . "$T/pred.csv")
    [ "$lines" = 301 ] || fail "$L: predictions CSV has $lines lines, expected 301"
    head -1 "$T/pred.csv" | grep -q "^sample,label,pred,prob,pred_2,prob_2,pred_3,prob_3$" ||
        fail "$L: bad CSV header: $(head -1 "$T/pred.csv")"
    # accuracy recomputed from the CSV must match the summary
    acc2=$(awk -F, 'NR > 1 { n++; h += ($2 == $3) } END { printf "%.4f", h / n }' "$T/pred.csv")
    [ "$acc2" = "$acc" ] || fail "$L: CSV accuracy $acc2 != summary $acc"
    case $L in
        naive) ge 0.75 "$acc" || fail "naive should forget old classes (acc $acc >= 0.75)";;
        *) ge "$acc" 0.9 || fail "$L should remember all classes (acc $acc < 0.9)";;
    esac
    run_ok "$L: info" "$EDGECL" info --state "$S"
    grep -q "learner: *$L" "$T/out" || fail "$L: info lacks kind"
    grep -q "dim: *32" "$T/out" || fail "$L: info lacks dim"
    grep -q "classes: *6 of max 8" "$T/out" || fail "$L: info lacks classes"
    grep -q "class5" "$T/out" || fail "$L: info lacks class names"
    grep -q "samples seen: *720" "$T/out" || fail "$L: info lacks samples seen"
    grep -q "crc ok" "$T/out" || fail "$L: info lacks crc"
    size=$(stat -c %s "$S")
    grep -q "($size bytes" "$T/out" || fail "$L: info file size != $size"
    if [ $L = replay ]; then
        grep -q "replay: .* samples, policy" "$T/out" || fail "replay: info lacks replay line"
        grep -q "head: *32 -> " "$T/out" || fail "replay: info lacks head shape"
    fi
    run_ok "$L: info --json" "$EDGECL" info --json "$S"
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['kind']=='$L' and d['n_classes']==6 and d['samples_seen']==720, d" "$T/out" ||
        fail "$L: info --json wrong"
done

# stdout mode: CSV + '#' summary
run_ok "predict to stdout" "$EDGECL" predict --state "$T/ncm.ecls" --features "$T/te.ecf"
grep -q "^# accuracy: " "$T/out" || fail "predict stdout summary missing"
[ "$(grep -vc '^#' "$T/out")" = 301 ] || fail "predict stdout CSV rows"

# CSV feature files give the same result as binary ones
run_ok "gen-gauss CSV" "$EDGECL" gen-gauss --out "$T/tr.csv" --test "$T/te.csv" --classes 6 --dim 32 \
    --n 120 --n-test 50 --seed 7
run_ok "learn CSV" "$EDGECL" learn --state "$T/csv.ecls" --features "$T/tr.csv" --learner ncm
run_ok "predict CSV" "$EDGECL" predict -q --state "$T/csv.ecls" --features "$T/te.csv"
a1=$(num "$T/out" "accuracy:")
run_ok "learn bin" "$EDGECL" learn --state "$T/bin.ecls" --features "$T/tr.ecf" --learner ncm
run_ok "predict bin" "$EDGECL" predict -q --state "$T/bin.ecls" --features "$T/te.ecf"
a2=$(num "$T/out" "accuracy:")
[ -n "$a1" ] && [ "$a1" = "$a2" ] || fail "CSV accuracy $a1 != binary accuracy $a2"
cmp -s "$T/csv.ecls" "$T/bin.ecls" || fail "NCM state from CSV differs from state from binary"

# unlabelled samples: predictions but no accuracy
printf '# unlabelled\n-1%s\n' "$(printf ',0.5%.0s' $(seq 32))" >"$T/unl.csv"
run_ok "predict unlabelled" "$EDGECL" predict --state "$T/ncm.ecls" --features "$T/unl.csv"
grep -q "no labelled samples" "$T/out" || fail "unlabelled: expected 'no labelled samples'"

# --dry-run leaves the state untouched
cp "$T/ncm.ecls" "$T/before.ecls"
run_ok "learn --dry-run" "$EDGECL" learn --state "$T/ncm.ecls" --features "$T/part0.ecf" --dry-run
cmp -s "$T/ncm.ecls" "$T/before.ecls" || fail "--dry-run modified the state"
finish

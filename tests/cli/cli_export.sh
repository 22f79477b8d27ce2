#!/bin/bash
# edgecl export end to end: class folders of tests/data/golden/*.png -> extract -> learn (every
# learner kind) -> export; the exported .tflite, run by edgecl's own interpreter (`classify`),
# must give predict's top-1 on every image and near-equal probabilities:
#   naive/replay: predict's scores are the head's probabilities;
#   slda: softmax(predict's scores)        ncm: softmax(-(predict's score)^2)  (export.h).
# Backbones: models/mobilenet_v2.tflite (float32), models/mobilenet_v2_int8.tflite and the uint8
# ../shared/models/mobilenet_v2_1.0_224_quant.tflite (exported with its quantised ops and a
# DEQUANTIZE at the cut).
#
# For a check in real TFLite (tests/cli/export_tflite.sh with tools/tflite_ref/), every case is
# left in a folder: EDGECL_EXPORT_CHECK_DIR keeps it (default: a temporary one). Layout:
#   models/<model>_<learner>.tflite (+ .labels.txt)   the exported classifiers
#   inputs/<model>/<k>.in.bin   image k's input tensor exactly as edgecl feeds the backbone
#                               (export_inputs: resize, normalise or quantise), raw little-endian
#   cases.txt                   tools/tflite_ref's case list: each classifier on each image
#   expected/<model>_<learner>.csv   image,top1,top1_name,p0,p1,... : edgecl's top-1 (predict)
#                               and probabilities (predict's scores transformed as above)
# usage: cli_export.sh EDGECL SOURCE_DIR [EXPORT_INPUTS]
# usage: cli_export.sh EDGECL SOURCE_DIR
source "$(dirname "$0")/lib.sh" "$1"
SRC=${2:?usage: $0 EDGECL SOURCE_DIR [EXPORT_INPUTS]}
INPUTS=${3:-}
CHECK=${EDGECL_EXPORT_CHECK_DIR:-$T/check}
TOL=0.002

mkdir -p "$T/img"
for f in "$SRC"/tests/data/golden/*.png; do
    n=$(basename "$f" .png)
    mkdir -p "$T/img/$n"
    cp "$f" "$T/img/$n/"
done
IMGS=("$T"/img/*/*.png) # sorted: the same order as the class folders' labels
SRCIMGS=("$SRC"/tests/data/golden/*.png)
mkdir -p "$CHECK/models" "$CHECK/expected" "$CHECK/inputs"
: >"$CHECK/cases.txt"

# compare KIND PREDICT_CSV CLASSIFY_OUT EXPECTED_CSV LABELS: top-1 and probabilities. LABELS
# (the exported labels file) gives each class name its index in the exported model's output.
compare() {
    awk -v kind="$1" -v tol="$TOL" -v exp_csv="$4" -v imgs="${SRCIMGS[*]}" -v labels="$5" '
    function tr(s) { return kind == "ncm" ? -s * s : s }
    BEGIN { while ((getline l < labels) > 0) idx[l] = nl++ }
    FNR == 1 { file++ }
    file == 1 && FNR > 1 && /^[0-9]/ {         # predict --raw CSV: sample,label,pred,score,(pred_k,score_k)*
        n = split($0, f, ","); i = f[1]; np++
        top[i] = idx[f[3]]; s[i, idx[f[3]]] = f[4]; nc = 1
        for (k = 5; k + 1 <= n; k += 2) if (f[k] != "") { s[i, idx[f[k]]] = f[k + 1]; nc++ }
        ncls = nc; name[i] = f[3]
    }
    file == 2 {                                 # classify: path  k:p  k:p ...
        i = FNR - 1; ctop[i] = -1
        for (k = 2; k <= NF; k++) { split($k, kv, ":"); q[i, kv[1]] = kv[2]; if (k == 2) ctop[i] = kv[1] }
    }
    END {
        split(imgs, im, " "); bad = 0; worst = 0
        for (i = 0; i < np; i++) {
            if (kind == "slda" || kind == "ncm") {  # softmax of the (transformed) scores
                m = -1e300
                for (c = 0; c < ncls; c++) if (s[i, c] != "-inf" && tr(s[i, c]) > m) m = tr(s[i, c])
                z = 0
                for (c = 0; c < ncls; c++) { e[c] = s[i, c] == "-inf" ? 0 : exp(tr(s[i, c]) - m); z += e[c] }
                for (c = 0; c < ncls; c++) p[c] = e[c] / z
            } else for (c = 0; c < ncls; c++) p[c] = s[i, c]
            if (top[i] != ctop[i]) { printf "image %d: predict top-1 %s, exported %s\n", i, top[i], ctop[i]; bad++ }
            line = im[i + 1] "," top[i] "," name[i]
            for (c = 0; c < ncls; c++) {
                d = p[c] - q[i, c]; if (d < 0) d = -d; if (d > worst) worst = d
                line = line "," sprintf("%.6g", p[c])
            }
            print line > exp_csv
        }
        if (np != length(ctop) || np == 0) { print "image counts differ: " np " vs " length(ctop); bad++ }
        printf "max |probability difference| %.2g over %d images\n", worst, np
        if (worst > tol) { print "difference above " tol; bad++ }
        exit bad != 0
    }' "$2" "$3"
}

# drop_label IN OUT LABEL: a copy of a feature file without the records of LABEL
drop_label() {
    python3 - "$1" "$2" "$3" <<'PY'
import struct, sys, zlib
b = open(sys.argv[1], "rb").read(); drop = int(sys.argv[3])
magic, ver, dim, n, nn = struct.unpack_from("<4sIIII", b, 0)
off = 20 + 32 * nn; rs = 4 + 4 * dim
recs = [b[off + i * rs: off + (i + 1) * rs] for i in range(n)]
sel = [r for r in recs if struct.unpack_from("<i", r)[0] != drop]
body = struct.pack("<4sIIII", magic, ver, dim, len(sel), nn) + b[20:off] + b"".join(sel)
open(sys.argv[2], "wb").write(body + struct.pack("<I", zlib.crc32(body)))
PY
}

run_case() { # MODEL_TAG MODEL_PATH
    local tag=$1 model=$2
    run_ok "$tag: extract" "$EDGECL" extract --model "$model" --out "$T/$tag.ecf" --quiet "$T/img"
    mkdir -p "$CHECK/inputs/$tag"
    in_type=float32 in_shape=224x224x3
    if [ -n "$INPUTS" ]; then
        run_ok "$tag: input tensors for another runtime" "$INPUTS" "$model" "$CHECK/inputs/$tag" "${IMGS[@]}"
        in_type=$(awk 'NR == 1 { print $2 }' "$T/out")
        in_shape=$(awk 'NR == 1 { sub(/^1x/, "", $3); print $3 }' "$T/out")
    fi
    for L in naive replay slda ncm; do
        local c="${tag}_$L" S="$T/${tag}_$L.ecls" feats="$T/$tag.ecf"
        local mf="$CHECK/models/$c.tflite" lf="$CHECK/models/$c.labels.txt"
        if [ $L = slda ] || [ $L = ncm ]; then
            # without class 2's records: a learner whose classes are not the feature file's
            drop_label "$T/$tag.ecf" "$T/${tag}_no2.ecf" 2 && feats="$T/${tag}_no2.ecf"
        fi
        run_ok "$tag/$L: learn" "$EDGECL" learn --state "$S" --features "$feats" --learner $L \
            --max-classes 8 --hidden 32 --epochs 20 --seed 5
        run_ok "$tag/$L: learn again (a second increment)" "$EDGECL" learn --state "$S" \
            --features "$feats"
        run_ok "$tag/$L: predict" "$EDGECL" predict --state "$S" --features "$T/$tag.ecf" \
            --top 8 --raw --out "$T/pred.csv"
        run_ok "$tag/$L: export" "$EDGECL" export --state "$S" --model "$model" \
            --out "$mf"
        # classes are names: the records dropped above never introduce 'coffee' to slda/ncm
        want_labels='astronaut\nchelsea\ncoffee\nhubble\nrocket'
        [ $L = slda ] || [ $L = ncm ] && want_labels='astronaut\nchelsea\nhubble\nrocket'
        [ "$(cat "$lf")" = "$(printf "$want_labels")" ] ||
            fail "$tag/$L: labels file: $(tr '\n' ' ' <"$lf")"
        # TFLite metadata: labels.txt in the zip appended to the model (tflite-support's layout)
        [ "$(python3 -c 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read("labels.txt").decode())' "$mf")" = \
            "$(cat "$lf")" ] || fail "$tag/$L: labels.txt not in the model's metadata zip"
        grep -aq TFLITE_METADATA "$mf" || fail "$tag/$L: no TFLITE_METADATA entry"
        run_ok "$tag/$L: classify with the exported model" "$EDGECL" classify \
            --model "$mf" --top 8 "${IMGS[@]}"
        cp "$T/out" "$T/cls.txt"
        if [ $tag = mnv2 ] && [ $L = ncm ]; then # edgecl reads the input normalisation back
            run_ok "$tag/$L: export from the exported model" "$EDGECL" export --state "$S" \
                --model "$mf" --out "$T/again.tflite"
            grep -q "x - 0) / 255 (from the model's metadata)" "$T/out" ||
                fail "$tag/$L: metadata normalisation not read back: $(cat "$T/out")"
        fi
        if [ $L = naive ]; then # --hidden 32: FC+ReLU, FC, SOFTMAX after the pooling
            "$EDGECL" inspect --model "$mf" >"$T/insp"
            grep -Eq "edgecl/dense_0 +1x32 " "$T/insp" && grep -Eq "probabilities +1x5 " "$T/insp" ||
                fail "$tag/$L: exported head layers: $(grep edgecl/ "$T/insp" | tr -s ' ' | tr '\n' ';')"
        fi
        if compare $L "$T/pred.csv" "$T/cls.txt" "$CHECK/expected/$c.csv" "$lf" >"$T/cmp" 2>&1; then
            ok "$tag/$L: same top-1 as predict on ${#IMGS[@]} images, $(tail -1 "$T/cmp")"
        else
            fail "$tag/$L: exported model disagrees with predict: $(tr '\n' ';' <"$T/cmp")"
        fi
        local in_name
        in_name=$("$EDGECL" inspect --model "$mf" | awk '$NF == "(input)" || / \(input\)/ { print $2; exit }')
        for k in "${!IMGS[@]}"; do
            printf 'case %s_%d %s.tflite\nin %s %s 1x%s inputs/%s/%d.in.bin\n' "$c" "$k" "$c" \
                "$in_name" "$in_type" "$in_shape" "$tag" "$k" >>"$CHECK/cases.txt"
        done
    done
}

run_case mnv2 "$SRC/models/mobilenet_v2.tflite"
if [ -f "$SRC/models/mobilenet_v2_int8.tflite" ]; then # int8 per-channel, int8 input
    run_case mnv2int8 "$SRC/models/mobilenet_v2_int8.tflite"
else
    echo "SKIP (part): models/mobilenet_v2_int8.tflite absent"
fi
Q="$SRC/../shared/models/mobilenet_v2_1.0_224_quant.tflite"
if [ -f "$Q" ]; then
    run_case mnv2quant "$Q"
    grep -q "DEQUANTIZE" <("$EDGECL" inspect --model "$CHECK/models/mnv2quant_ncm.tflite") ||
        fail "uint8 export: no DEQUANTIZE at the cut"
    "$EDGECL" inspect --model "$CHECK/models/mnv2quant_ncm.tflite" | grep -q " u8 .*CONV_2D" ||
        fail "uint8 export: the backbone's convolutions are not uint8"
else
    echo "SKIP (part): $Q absent, the uint8 backbone is not exported"
fi

# --no-pool: the 4-D cut flattened (RESHAPE instead of MEAN), NCM on 14x14x576 = 112896-d latents
M="$SRC/models/mobilenet_v2.tflite"
run_ok "no-pool: extract" "$EDGECL" extract --model "$M" --no-pool --out "$T/np.ecf" --quiet "$T/img"
run_ok "no-pool: learn" "$EDGECL" learn --state "$T/np.ecls" --features "$T/np.ecf" --learner ncm
run_ok "no-pool: predict" "$EDGECL" predict --state "$T/np.ecls" --features "$T/np.ecf" --top 8 \
    --raw --out "$T/pred.csv"
run_fail "no-pool state exported pooled" "expects 112896-d latents.*gives 576" "$EDGECL" export \
    --state "$T/np.ecls" --model "$M" --out "$T/x.tflite"
run_ok "no-pool: export" "$EDGECL" export --state "$T/np.ecls" --model "$M" --no-pool \
    --out "$CHECK/models/mnv2nopool_ncm.tflite"
"$EDGECL" inspect --model "$CHECK/models/mnv2nopool_ncm.tflite" | grep -Eq "edgecl/latent +1x112896 .*RESHAPE" ||
    fail "no-pool: no RESHAPE to 1x112896"
run_ok "no-pool: classify with the exported model" "$EDGECL" classify \
    --model "$CHECK/models/mnv2nopool_ncm.tflite" --top 8 "${IMGS[@]}"
cp "$T/out" "$T/cls.txt"
if compare ncm "$T/pred.csv" "$T/cls.txt" "$CHECK/expected/mnv2nopool_ncm.csv" \
    "$CHECK/models/mnv2nopool_ncm.labels.txt" >"$T/cmp" 2>&1; then
    ok "no-pool/ncm: same top-1 as predict, $(tail -1 "$T/cmp")"
else
    fail "no-pool/ncm: exported model disagrees with predict: $(tr '\n' ';' <"$T/cmp")"
fi
for k in "${!IMGS[@]}"; do
    printf 'case mnv2nopool_ncm_%d mnv2nopool_ncm.tflite\nin input_1 float32 1x224x224x3 inputs/mnv2/%d.in.bin\n' \
        "$k" "$k" >>"$CHECK/cases.txt"
done

# errors: one clear line, non-zero exit
S="$T/mnv2_ncm.ecls"
run_ok "--help" "$EDGECL" export --help
run_fail "no --out" "required" "$EDGECL" export --state "$S"
run_fail "missing state" "$T/nope.ecls" "$EDGECL" export --state "$T/nope.ecls" --out "$T/x.tflite"
run_fail "cut of another size" "expects 576-d latents.*gives 96" "$EDGECL" export --state "$S" \
    --model "$SRC/models/mobilenet_v2.tflite" --cut block_12_add --out "$T/x.tflite"
run_fail "no such cut" "no tensor named" "$EDGECL" export --state "$S" --cut nope --out "$T/x.tflite"
run_fail "unwritable output" "$T/no/dir" "$EDGECL" export --state "$S" --out "$T/no/dir/x.tflite"
[ -e "$T/x.tflite" ] && fail "a refused export left a file"
finish

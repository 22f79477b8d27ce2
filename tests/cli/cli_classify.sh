#!/usr/bin/env bash
# classify --labels/--json (issue 9 item 5) on Google's MobileNetV2 (1001 outputs, index 0 =
# background) with the ImageNet labels of ../shared/images: the coffee photo's best class is a
# coffee drink or cup, by name. Skips (77) when ../shared is absent.
source "$(dirname "$0")/lib.sh" "$1"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
M=$SRC/../shared/models/mobilenet_v2_1.0_224_quant.tflite
LB=$SRC/../shared/images/imagenet_labels.txt
[ -r "$M" ] && [ -r "$LB" ] || { echo "SKIP: $M or $LB absent (../shared)"; exit 77; }
IMG=$SRC/tests/data/golden/coffee.png
run_ok "classify --labels" "$EDGECL" classify --model "$M" --labels "$LB" "$IMG"
[ "$(head -1 "$T/out")" = "$IMG" ] || fail "first line is not the image path: $(head -1 "$T/out")"
[ "$(grep -c '^  [01]\.[0-9]\{4\}  ' "$T/out")" = 5 ] || fail "expected 5 ranked lines: $(cat "$T/out")"
sed -n 2p "$T/out" | grep -Eq '^  0\.[0-9]+  (espresso|cup|coffee mug|coffeepot) \([0-9]+\)$' ||
    fail "top class of the coffee photo: $(sed -n 2p "$T/out")"
[ -s "$T/err" ] && fail "unexpected stderr: $(cat "$T/err")"
run_ok "classify --json" "$EDGECL" classify --model "$M" --labels "$LB" --json --top 3 "$IMG" "$IMG"
python3 -c "
import json,sys; d=json.load(open(sys.argv[1])); assert len(d)==2, d
t=d[0]['top']; assert len(t)==3 and t[0]['p']>=t[1]['p']>=t[2]['p'] and t[0]['label'] in ('espresso','cup','coffee mug','coffeepot'), t
lines=open(sys.argv[2]).read().split('\n'); assert all(lines[e['index']]==e['label'] for e in t), t" "$T/out" "$LB" ||
    fail "classify --json: $(cat "$T/out")"
head -1000 "$LB" | tail -999 >"$T/short.txt"
run_ok "classify with a labels file one short" "$EDGECL" classify --model "$M" --labels "$T/short.txt" "$IMG"
grep -q "999 names but the model has 1001 outputs" "$T/err" || fail "no warning for a short labels file: $(cat "$T/err")"
run_fail "missing labels file" "cannot open the labels file" "$EDGECL" classify --model "$M" --labels "$T/none.txt" "$IMG"
finish

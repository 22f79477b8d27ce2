#!/usr/bin/env bash
# Classes by name (issue 12): learn 3 classes from class folders, then a 4th from a folder that
# holds only the new class; all four must be predicted by name, nothing renamed. A real name
# conflict is an error and leaves the state byte-identical. Images: tests/data/golden (shipped).
# Needs the default backbone (models/mobilenet_v2.tflite); skips (77) without it.
source "$(dirname "$0")/lib.sh" "$1"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
G=$SRC/tests/data/golden
[ -r "$SRC/models/mobilenet_v2.tflite" ] || { echo "SKIP: models/mobilenet_v2.tflite absent"; exit 77; }
mkdir -p "$T/photos/astronaut" "$T/photos/cat" "$T/photos/coffee" "$T/more/rocket"
cp "$G/astronaut.png" "$T/photos/astronaut/"
cp "$G/chelsea.png" "$T/photos/cat/"
cp "$G/coffee.png" "$T/photos/coffee/"
cp "$G/rocket.png" "$T/more/rocket/"
S=$T/my.ecls

run_ok "learn 3 classes from folders" "$EDGECL" learn -q --state "$S" "$T/photos/"
grep -q "classes 3" "$T/out" || fail "expected 3 classes: $(cat "$T/out")"
# the README way: a feature file of a folder with only the new class
run_ok "extract the new class" "$EDGECL" extract -q --out "$T/more.ecf" "$T/more/"
run_ok "learn the 4th class from its own folder" "$EDGECL" learn --state "$S" --features "$T/more.ecf"
grep -q "classes 4" "$T/out" || fail "expected 4 classes after adding rocket: $(cat "$T/out")"
grep -qi "renamed" "$T/err" && fail "learn renamed a class: $(cat "$T/err")"
grep -q "new class 'rocket'" "$T/err" || fail "learn did not report the new class: $(cat "$T/err")"
run_ok "info" "$EDGECL" info --state "$S"
for c in astronaut cat coffee rocket; do
    grep -Eq "^ +[0-9]+ +$c\$" "$T/out" || fail "info does not list class $c: $(cat "$T/out")"
done

# all four predicted by name, each row naming its image
mkdir -p "$T/all"
cp -r "$T/photos/"* "$T/more/"* "$T/all/"
run_ok "predict the four classes" "$EDGECL" predict --state "$S" --top 2 "$T/all"
for c in astronaut cat coffee rocket; do
    grep -Eq "^$T/all/$c/[a-z]+\.png,$c,$c,0\.[0-9]+,[a-z]+,0\.[0-9]+" "$T/out" ||
        fail "$c not predicted as $c with path and probabilities: $(grep "/$c/" "$T/out")"
done
grep -q "^# accuracy: 1.0000 (4/4" "$T/out" || fail "accuracy not 4/4: $(grep accuracy "$T/out")"
grep -q "^# confusion" "$T/out" || fail "no confusion matrix"
# evaluation matches by name: a feature file whose label 0 is 'rocket' scores against rocket
run_ok "predict a one-class feature file by name" "$EDGECL" predict -q --state "$S" --features "$T/more.ecf"
grep -q "accuracy: 1.0000 (1/1" "$T/out" || fail "label 0 of more.ecf not matched by name: $(cat "$T/out")"
run_ok "predict --json" "$EDGECL" predict --json --state "$S" "$T/all/cat/chelsea.png"
python3 -c "
import json,sys; d=json.load(open(sys.argv[1])); s=d['samples'][0]
assert s['sample'].endswith('chelsea.png') and s['top'][0]['class']=='cat' and 0<s['top'][0]['p']<=1, d" "$T/out" ||
    fail "predict --json wrong: $(cat "$T/out")"
run_ok "predict --svg" "$EDGECL" predict -q --state "$S" --svg "$T/conf.svg" "$T/all"
grep -q "<svg" "$T/conf.svg" && grep -q ">rocket<" "$T/conf.svg" || fail "confusion SVG lacks class names"

# eval matches the test file's labels by name: a test folder with only cat and rocket numbers
# them 0 and 1, the training file (all four) 1 and 3
mkdir -p "$T/sub"
cp -r "$T/all/cat" "$T/all/rocket" "$T/sub/"
run_ok "extract all four" "$EDGECL" extract -q --out "$T/all.ecf" "$T/all"
run_ok "extract cat+rocket" "$EDGECL" extract -q --out "$T/sub.ecf" "$T/sub"
run_ok "eval by name" "$EDGECL" eval --scenario split --learner ncm --features "$T/all.ecf" --test "$T/sub.ecf" --svg "$T/ev.svg"
grep -q "acc_all 1.0000" "$T/out" || fail "eval did not match test labels by name: $(grep final "$T/out")"
grep -q "^confusion" "$T/out" || fail "eval prints no confusion matrix"
grep -Eq "^cat +0 +1 +0 +0$" "$T/out" || fail "eval confusion row of cat: $(grep -A5 ^confusion "$T/out")"
grep -q ">rocket<" "$T/ev.svg" || fail "eval --svg: no confusion SVG with names"

# learning an old class again adds to it (same class number, no new class)
run_ok "learn cat again" "$EDGECL" learn --state "$S" "$T/photos/"
grep -q "classes 4" "$T/out" || fail "re-learning known classes changed the class count: $(cat "$T/out")"

# a real conflict: a file naming label 0 'cat' (state class 1) with an unnamed label 1
mkdir -p "$T/conf/cat"
cp "$G/chelsea.png" "$T/conf/cat/"
"$EDGECL" extract -q --out "$T/conf.ecf" --label 1 "$G/hubble.png" "$T/conf/" 2>/dev/null
cp "$S" "$T/before.ecls"
run_fail "name conflict is an error" "also class 'cat'.*unchanged" "$EDGECL" learn --state "$S" --features "$T/conf.ecf"
cmp -s "$S" "$T/before.ecls" || fail "the state changed after a refused learn"
finish

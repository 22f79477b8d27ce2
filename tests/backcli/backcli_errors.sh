#!/bin/bash
# Bad inputs to inspect / extract / classify: non-zero exit, a clear one-line message, no crash.
source "$(dirname "$0")/lib.sh" "$@"
need_model
G=$GOLDEN/chelsea.png
head -c 3000 "$G" >"$T/trunc.png"
echo "hello, I am text" >"$T/text.png"
: >"$T/empty.png"
echo "plain text" >"$T/notes.txt"
head -c 100000 "$MODEL" >"$T/trunc.tflite"
mkdir -p "$T/emptydir" "$T/tree/a"
echo x >"$T/tree/a/notes.txt"

for c in extract classify; do
    o=""; [ $c = extract ] && o="--out $T/x.ecf"
    run_fail "$c: missing model" "nonexistent.tflite.*(not found|cannot)" "$EDGECL" $c --model "$T/nonexistent.tflite" $o "$G"
    run_fail "$c: model is a PNG" "not a TFLite model" "$EDGECL" $c --model "$G" $o "$G"
    run_fail "$c: truncated model" "trunc.tflite: " "$EDGECL" $c --model "$T/trunc.tflite" $o "$G"
    run_fail "$c: model is a directory" "emptydir: is a directory" "$EDGECL" $c --model "$T/emptydir" $o "$G"
    # image errors name the file once ("classify: x.png: x.png: bad PNG" was printed before)
    run_fail "$c: truncated PNG" "trunc.png.*truncated" "$EDGECL" $c --model "$MODEL" $o "$T/trunc.png"
    once "$T/err" trunc.png "$c: truncated PNG"
    run_fail "$c: text file named .png" "text.png.*not a PNG, JPEG or BMP" "$EDGECL" $c --model "$MODEL" $o "$T/text.png"
    once "$T/err" text.png "$c: text file named .png"
    run_fail "$c: empty file" "empty.png.*not a PNG, JPEG or BMP" "$EDGECL" $c --model "$MODEL" $o "$T/empty.png"
    once "$T/err" empty.png "$c: empty file"
    run_fail "$c: .txt file" "notes.txt.*not a PNG, JPEG or BMP" "$EDGECL" $c --model "$MODEL" $o "$T/notes.txt"
    once "$T/err" notes.txt "$c: .txt file"
    run_fail "$c: missing image" "nope.png.*(not found|cannot)" "$EDGECL" $c --model "$MODEL" $o "$T/nope.png"
    once "$T/err" nope.png "$c: missing image"
    run_fail "$c: unknown option" "unknown option '--bogus'" "$EDGECL" $c --model "$MODEL" $o --bogus "$G"
    run_fail "$c: --threads 0" "threads" "$EDGECL" $c --model "$MODEL" $o --threads 0 "$G"
    run_fail "$c: --threads abc" "threads" "$EDGECL" $c --model "$MODEL" $o --threads abc "$G"
    run_fail "$c: --model without value" "needs a value" "$EDGECL" $c "$G" $o --model
done
[ -e "$T/x.ecf" ] && fail "a failed extract wrote its output file"
run_fail "classify: no images" "no images" "$EDGECL" classify --model "$MODEL"
run_fail "classify: image is a directory" "emptydir: is a directory" "$EDGECL" classify --model "$MODEL" "$T/emptydir"
run_fail "classify: --top 0" "top" "$EDGECL" classify --model "$MODEL" --top 0 "$G"

run_fail "extract: unknown --cut" "no tensor named 'no_such_layer'" "$EDGECL" extract --model "$MODEL" --cut no_such_layer --out "$T/x.ecf" "$G"
run_fail "extract: no --out" "need --out" "$EDGECL" extract --model "$MODEL" "$G"
run_fail "extract: no inputs" "need --out and at least one image" "$EDGECL" extract --model "$MODEL" --out "$T/x.ecf"
run_fail "extract: folder without class subfolders" "no class subfolders" "$EDGECL" extract --model "$MODEL" --out "$T/x.ecf" "$T/emptydir"
run_fail "extract: class folder without images" "no images found" "$EDGECL" extract --model "$MODEL" --out "$T/x.ecf" "$T/tree"
run_fail "extract: unwritable output" "x.ecf" "$EDGECL" extract --model "$MODEL" --quiet --out "$T/no/such/dir/x.ecf" "$G"
run_fail "extract: bad --label" "label" "$EDGECL" extract --model "$MODEL" --label -2 --out "$T/x.ecf" "$G"
[ -e "$T/x.ecf" ] && fail "a failed extract wrote its output file"

# a constant (weights) as the cut layer: refused by name, not run as if it were a layer
"$EDGECL" inspect --model "$MODEL" --all >"$T/all" 2>&1 || fail "inspect --all: $(tail -3 "$T/all")"
W=$(awk '$NF == "(weights)" && $4 == "f32" { print $2; exit }' "$T/all")
[ -n "$W" ] || fail "inspect --all lists no weights"
run_fail "extract: --cut at weights" "cut tensor '$W' is a constant, not an activation" "$EDGECL" extract --model "$MODEL" --cut "$W" --out "$T/x.ecf" "$G"
run_fail "inspect: --cut at weights" "cut tensor '$W' is a constant, not an activation" "$EDGECL" inspect --model "$MODEL" --cut "$W"
[ -e "$T/x.ecf" ] && fail "a failed extract wrote its output file"

run_fail "inspect: model is a directory" "emptydir: is a directory" "$EDGECL" inspect --model "$T/emptydir"
run_fail "inspect: missing model" "(not found|cannot)" "$EDGECL" inspect --model "$T/nonexistent.tflite"
run_fail "inspect: PNG as model" "not a TFLite model" "$EDGECL" inspect "$G"
run_fail "inspect: truncated model" "trunc.tflite: " "$EDGECL" inspect "$T/trunc.tflite"
run_fail "inspect: empty model" "empty.png" "$EDGECL" inspect "$T/empty.png"
run_fail "inspect: unknown --cut" "no tensor named 'no_such_layer'" "$EDGECL" inspect --model "$MODEL" --cut no_such_layer
run_fail "inspect: unknown option" "unknown option '--bogus'" "$EDGECL" inspect --model "$MODEL" --bogus
# an op code beyond the table of known ops is shown with its number (not just "UNKNOWN")
need_mkmodel
"$MKMODEL" unknown-op "$T/unk.tflite" || fail "mkmodel unknown-op"
run_ok "inspect --ops on a model with op 250" "$EDGECL" inspect --model "$T/unk.tflite" --ops
grep -Eq '^1 +unknown op 250 +3 -> 4 +\[unsupported\]' "$T/out" || fail "inspect --ops: $(cat "$T/out")"
grep -Eq '^4 +out +1x8x8x4 +f32 +unknown op 250$' "$T/out" || fail "inspect tensor list: $(cat "$T/out")"
run_fail "classify: unknown op" "unk.tflite: unknown op 250 at operator 1" "$EDGECL" classify --model "$T/unk.tflite" "$G"
run_fail "extract: unknown op" "unk.tflite: unknown op 250 at operator 1" "$EDGECL" extract --model "$T/unk.tflite" --cut output --out "$T/x.ecf" "$G"
run_fail "inspect --cut: unknown op" "unknown op 250 at operator 1" "$EDGECL" inspect --model "$T/unk.tflite" --cut out
run_ok "a cut before the unknown op still works" "$EDGECL" extract --model "$T/unk.tflite" --cut conv --quiet --out "$T/conv.ecf" "$G"
finish

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
    run_fail "$c: truncated PNG" "trunc.png.*truncated" "$EDGECL" $c --model "$MODEL" $o "$T/trunc.png"
    run_fail "$c: text file named .png" "text.png.*not a PNG or JPEG" "$EDGECL" $c --model "$MODEL" $o "$T/text.png"
    run_fail "$c: empty file" "empty.png.*not a PNG or JPEG" "$EDGECL" $c --model "$MODEL" $o "$T/empty.png"
    run_fail "$c: .txt file" "notes.txt.*not a PNG or JPEG" "$EDGECL" $c --model "$MODEL" $o "$T/notes.txt"
    run_fail "$c: missing image" "nope.png.*(not found|cannot)" "$EDGECL" $c --model "$MODEL" $o "$T/nope.png"
    run_fail "$c: unknown option" "unknown option '--bogus'" "$EDGECL" $c --model "$MODEL" $o --bogus "$G"
    run_fail "$c: --threads 0" "threads" "$EDGECL" $c --model "$MODEL" $o --threads 0 "$G"
    run_fail "$c: --threads abc" "threads" "$EDGECL" $c --model "$MODEL" $o --threads abc "$G"
    run_fail "$c: --model without value" "needs a value" "$EDGECL" $c "$G" $o --model
done
[ -e "$T/x.ecf" ] && fail "a failed extract wrote its output file"
run_fail "classify: no images" "no images" "$EDGECL" classify --model "$MODEL"
run_fail "classify: --top 0" "top" "$EDGECL" classify --model "$MODEL" --top 0 "$G"

run_fail "extract: unknown --cut" "no tensor named 'no_such_layer'" "$EDGECL" extract --model "$MODEL" --cut no_such_layer --out "$T/x.ecf" "$G"
run_fail "extract: no --out" "need --out" "$EDGECL" extract --model "$MODEL" "$G"
run_fail "extract: no inputs" "need --out and at least one image" "$EDGECL" extract --model "$MODEL" --out "$T/x.ecf"
run_fail "extract: folder without class subfolders" "no class subfolders" "$EDGECL" extract --model "$MODEL" --out "$T/x.ecf" "$T/emptydir"
run_fail "extract: class folder without images" "no images found" "$EDGECL" extract --model "$MODEL" --out "$T/x.ecf" "$T/tree"
run_fail "extract: unwritable output" "x.ecf" "$EDGECL" extract --model "$MODEL" --quiet --out "$T/no/such/dir/x.ecf" "$G"
run_fail "extract: bad --label" "label" "$EDGECL" extract --model "$MODEL" --label -2 --out "$T/x.ecf" "$G"
[ -e "$T/x.ecf" ] && fail "a failed extract wrote its output file"

run_fail "inspect: missing model" "(not found|cannot)" "$EDGECL" inspect --model "$T/nonexistent.tflite"
run_fail "inspect: PNG as model" "not a TFLite model" "$EDGECL" inspect "$G"
run_fail "inspect: truncated model" "trunc.tflite: " "$EDGECL" inspect "$T/trunc.tflite"
run_fail "inspect: empty model" "empty.png" "$EDGECL" inspect "$T/empty.png"
run_fail "inspect: unknown --cut" "no tensor named 'no_such_layer'" "$EDGECL" inspect --model "$MODEL" --cut no_such_layer
run_fail "inspect: unknown option" "unknown option '--bogus'" "$EDGECL" inspect --model "$MODEL" --bogus
finish

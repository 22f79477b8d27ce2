#!/bin/bash
# Every subcommand answers --help; bad inputs exit non-zero with a clear message, never crash,
# and never damage an existing state file.
source "$(dirname "$0")/lib.sh" "$@"

run_ok "edgecl --help" "$EDGECL" --help
for c in learn predict info eval gen-gauss; do
    run_ok "$c --help" "$EDGECL" $c --help
    grep -q "usage: edgecl $c" "$T/out" || fail "$c --help: no usage line"
    run_ok "$c -h" "$EDGECL" $c -h
done
# every subcommand listed by edgecl --help answers --help (those built)
"$EDGECL" --help | awk '/^  [a-z]/ && !/not built/ { print $1 }' >"$T/cmds"
while read -r c; do
    "$EDGECL" "$c" --help >/dev/null 2>&1 || fail "edgecl $c --help exited $?"
done <"$T/cmds"

run_ok "gen-gauss" "$EDGECL" gen-gauss --out "$T/a.ecf" --test "$T/at.ecf" --classes 3 --dim 16 --n 30
run_ok "gen-gauss dim 8" "$EDGECL" gen-gauss --out "$T/b.ecf" --classes 3 --dim 8 --n 30
run_ok "learn" "$EDGECL" learn --state "$T/s.ecls" --features "$T/a.ecf" --learner replay --buffer 50
cp "$T/s.ecls" "$T/good.ecls"

# usage errors
run_fail "learn without args" "need --state" "$EDGECL" learn
run_fail "unknown option" "unknown option '--bogus'" "$EDGECL" learn --bogus 1
run_fail "missing value" "needs a value" "$EDGECL" predict --state
run_fail "bad learner" "unknown learner 'foo'" "$EDGECL" learn --state "$T/x.ecls" --features "$T/a.ecf" --learner foo
run_fail "bad number" "not a non-negative integer" "$EDGECL" learn --state "$T/x.ecls" --features "$T/a.ecf" --buffer -3
run_fail "bad float" "not a number" "$EDGECL" learn --state "$T/x.ecls" --features "$T/a.ecf" --lr abc
run_fail "bad hidden" "hidden" "$EDGECL" learn --state "$T/x.ecls" --features "$T/a.ecf" --hidden 12,,3
run_fail "bad policy" "unknown policy" "$EDGECL" learn --state "$T/x.ecls" --features "$T/a.ecf" --policy lifo
run_fail "bad scenario" "unknown scenario" "$EDGECL" eval --scenario ni --features "$T/a.ecf" --test "$T/at.ecf"
run_fail "unknown command" "unknown command" "$EDGECL" lern
[ -e "$T/x.ecls" ] && fail "a failed learn created a state file"

# missing files
run_fail "learn: missing features" "no such file|cannot open" "$EDGECL" learn --state "$T/s.ecls" --features "$T/nope.ecf"
run_fail "predict: missing state" "no such file" "$EDGECL" predict --state "$T/nope.ecls" --features "$T/a.ecf"
run_fail "info: missing state" "no such file" "$EDGECL" info --state "$T/nope.ecls"
run_fail "eval: missing test" "no such file|cannot open" "$EDGECL" eval --learner ncm --features "$T/a.ecf" --test "$T/nope.ecf"
# issue 12: a directory as the state is named as such, not "I/O error"
mkdir -p "$T/statedir"
run_fail "learn: state is a directory" "statedir: not a regular file" "$EDGECL" learn --state "$T/statedir" --features "$T/a.ecf"
grep -qi "I/O error" "$T/err" && fail "learn --state DIR still says I/O error"

# dimension mismatch between features and state
run_fail "learn: wrong dim" "dimension 8 .*expects 16" "$EDGECL" learn --state "$T/s.ecls" --features "$T/b.ecf"
run_fail "predict: wrong dim" "dimension 8 .*expects 16" "$EDGECL" predict --state "$T/s.ecls" --features "$T/b.ecf"
run_fail "eval: train/test dims differ" "dimension" "$EDGECL" eval --learner ncm --features "$T/a.ecf" --test "$T/b.ecf"
cmp -s "$T/s.ecls" "$T/good.ecls" || fail "state changed by a failed learn"

# labels beyond the class budget
run_ok "gen 12 classes" "$EDGECL" gen-gauss --out "$T/c12.ecf" --classes 12 --dim 16 --n 5
run_fail "learn: label >= max classes" "at most 4 classes" "$EDGECL" learn --state "$T/m.ecls" --features "$T/c12.ecf" --max-classes 4
run_fail "learn: unlabelled" "unlabelled" bash -c "printf -- '-1,1,2\n' >'$T/u.csv' && '$EDGECL' learn --state '$T/u.ecls' --features '$T/u.csv'"

# corrupted / truncated / foreign feature files
head -c 100 "$T/a.ecf" >"$T/trunc.ecf"
run_fail "learn: truncated features" "truncated" "$EDGECL" learn --state "$T/s.ecls" --features "$T/trunc.ecf"
cp "$T/a.ecf" "$T/flip.ecf"
printf '\x55' | dd of="$T/flip.ecf" bs=1 seek=500 conv=notrunc status=none
run_fail "learn: corrupted features" "CRC|corrupt" "$EDGECL" learn --state "$T/s.ecls" --features "$T/flip.ecf"
run_fail "predict: not a feature file" "not a feature file" "$EDGECL" predict --state "$T/s.ecls" --features "$T/s.ecls"
printf '0,1,2\n1,x,3\n' >"$T/bad.csv"
run_fail "learn: bad CSV" "bad.csv:2" "$EDGECL" learn --state "$T/s.ecls" --features "$T/bad.csv"
cmp -s "$T/s.ecls" "$T/good.ecls" || fail "state changed by a failed learn"

# corrupted / truncated / foreign state files: refused, and learn does not overwrite them
size=$(stat -c %s "$T/good.ecls")
for off in 0 5 12 $((size / 2)) $((size - 1)); do
    cp "$T/good.ecls" "$T/bad.ecls"
    printf '\xa5' | dd of="$T/bad.ecls" bs=1 seek=$off conv=notrunc status=none
    cmp -s "$T/bad.ecls" "$T/good.ecls" && continue
    run_fail "info: state byte $off flipped" "not a valid learner state|cannot" "$EDGECL" info --state "$T/bad.ecls"
    run_fail "predict: state byte $off flipped" "not a valid learner state" "$EDGECL" predict --state "$T/bad.ecls" --features "$T/a.ecf"
    cp "$T/bad.ecls" "$T/bad0.ecls"
    run_fail "learn: state byte $off flipped" "refusing to overwrite" "$EDGECL" learn --state "$T/bad.ecls" --features "$T/a.ecf"
    cmp -s "$T/bad.ecls" "$T/bad0.ecls" || fail "learn overwrote a corrupted state"
done
# another format version: the message names both versions
cp "$T/good.ecls" "$T/v2.ecls"
printf '\x02' | dd of="$T/v2.ecls" bs=1 seek=4 conv=notrunc status=none
run_fail "info: state version 2" "format version 2, this edgecl reads version 1" "$EDGECL" info --state "$T/v2.ecls"
for cut in 0 4 16 $((size / 2)) $((size - 4)); do
    head -c $cut "$T/good.ecls" >"$T/short.ecls"
    run_fail "info: state truncated to $cut" "not a valid learner state" "$EDGECL" info --state "$T/short.ecls"
done
run_fail "info: feature file as state" "not a valid learner state" "$EDGECL" info --state "$T/a.ecf"
run_fail "info: directory as state" "cannot read|not a valid" "$EDGECL" info --state "$T"
finish

#!/bin/bash
# Every backbone subcommand answers --help / -h with a usage line and exit 0 (no model needed).
source "$(dirname "$0")/lib.sh" "$@"
for c in inspect extract classify; do
    run_ok "$c --help" "$EDGECL" $c --help
    grep -q "usage: edgecl $c" "$T/out" || fail "$c --help: no 'usage: edgecl $c' line"
    [ -s "$T/err" ] && fail "$c --help wrote to stderr: $(cat "$T/err")"
    run_ok "$c -h" "$EDGECL" $c -h
    grep -q "usage: edgecl $c" "$T/out" || fail "$c -h: no usage line"
    # help wins even with other (bad) arguments, and never touches the model
    run_ok "$c --bogus --help" "$EDGECL" $c --model /nonexistent.tflite --bogus --help
done
run_ok "extract --help" "$EDGECL" extract --help
grep -q "without images is skipped with a warning" "$T/out" || fail "extract --help does not say empty class folders are skipped"
"$EDGECL" --help >"$T/out" 2>&1
for c in inspect extract classify; do
    grep -Eq "^ +$c\b" "$T/out" || fail "edgecl --help does not list $c"
done
finish

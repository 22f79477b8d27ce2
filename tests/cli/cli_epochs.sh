#!/usr/bin/env bash
# Issue 12 item 2: `learn` trains a head learner epoch by epoch with a progress line on stderr
# (plain lines when stderr is not a terminal, none with -q) and stops when the loss has settled
# (after 400 steps: 5 epochs without a new low 1 % under the best, or a loss under 0.001;
# tools/common/learn_defaults.h), the epochs being a cap; --all-epochs trains to the cap.
# Random labels cannot be learned much (the loss stays near ln 2), so they settle long before a
# cap of 100; separable clusters make the loss fall.
source "$(dirname "$0")/lib.sh" "$1"
python3 - "$T" <<'PY'
import random, sys
random.seed(3)
with open(sys.argv[1] + '/rand.csv', 'w') as f:
    for i in range(2000):
        f.write(','.join([str(random.randrange(2))] + ['%.4f' % random.gauss(0, 1) for _ in range(8)]) + '\n')
PY
run_ok "learn random labels, cap 100" "$EDGECL" learn --state "$T/a.ecls" --features "$T/rand.csv" --epochs 100
K=$(sed -n 's/^trained \([0-9]*\) of 100 epochs (loss settled).*/\1/p' "$T/out")
[ -n "$K" ] || fail "no early stop on random labels: $(cat "$T/out")"
[ -n "$K" ] && [ "$K" -lt 100 ] && [ "$K" -ge 4 ] || fail "stopped after '$K' epochs (want 4..99)"
grep -q "^learn: epoch 1/100  loss [0-9.]*  [0-9]* samples/s$" "$T/err" || fail "no first progress line: $(cat "$T/err")"
grep -q "^learn: epoch $K/100 " "$T/err" || fail "no progress line for the last epoch $K: $(cat "$T/err")"
grep -q "until the loss settles" "$T/err" || fail "the rule is not announced: $(head -2 "$T/err")"

run_ok "--all-epochs trains to the cap" "$EDGECL" learn --state "$T/b.ecls" --features "$T/rand.csv" --epochs 12 --all-epochs
grep -q "^trained 12 of 12 epochs (--all-epochs)" "$T/out" || fail "--all-epochs: $(cat "$T/out")"
grep -q "^learn: epoch 12/12 " "$T/err" || fail "--all-epochs: no line for epoch 12: $(cat "$T/err")"

run_ok "-q: no progress" "$EDGECL" learn -q --state "$T/c.ecls" --features "$T/rand.csv" --epochs 10
grep -q "epoch [0-9]*/" "$T/err" && fail "-q printed progress: $(cat "$T/err")"

# separable clusters: the loss falls, and a second call (with replay) trains again
run_ok "gen-gauss" "$EDGECL" gen-gauss --out "$T/tr.ecf" --test "$T/te.ecf" --classes 3 --dim 16 --n 60 --n-test 20 --seed 5
run_ok "learn clusters" "$EDGECL" learn --state "$T/d.ecls" --features "$T/tr.ecf"
read -r A B < <(sed -n 's/^trained .* loss \([0-9.]*\) -> \([0-9.]*\)$/\1 \2/p' "$T/out")
[ -n "${B:-}" ] && awk -v a="$A" -v b="$B" 'BEGIN { exit !(b < a / 2) }' ||
    fail "loss did not fall on separable clusters: $(cat "$T/out")"
run_ok "learn clusters in 3 increments" "$EDGECL" learn --state "$T/e.ecls" --features "$T/tr.ecf" --chunk 60
grep -q "^trained [0-9]* epochs in 3 increments" "$T/out" || fail "--chunk: $(cat "$T/out")"

run_ok "slda has no epochs" "$EDGECL" learn --state "$T/f.ecls" --features "$T/tr.ecf" --learner slda
grep -q "epoch" "$T/err" "$T/out" && fail "slda reported epochs: $(cat "$T/err" "$T/out")"
finish

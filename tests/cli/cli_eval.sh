#!/bin/bash
# eval --scenario split on Gaussian clusters: naive fine-tuning must forget (final average
# accuracy < 0.5, large forgetting, negative BWT), replay / slda / ncm must not (> 0.8).
source "$(dirname "$0")/lib.sh" "$@"

run_ok "gen-gauss" "$EDGECL" gen-gauss --out "$T/tr.ecf" --test "$T/te.ecf" --classes 10 --dim 64 \
    --n 200 --n-test 100 --spread 1.5 --seed 1
run_ok "eval all" "$EDGECL" eval --scenario split --learner all --features "$T/tr.ecf" --test "$T/te.ecf" \
    --classes-per-exp 2 --json "$T/r.json" --seed 1 --epochs 4 --optimizer adam --lr 0.001 --lr-after 0 \
    --buffer 1000 --policy balanced
cat "$T/out"
grep -q "^exp 5/5 classes \[8,9\]" "$T/out" || fail "per-experience lines missing"
grep -Eq "^learner +avg_acc" "$T/out" || fail "comparison table missing"
python3 - "$T/r.json" <<'PY' || fail "JSON checks"
import json, math, sys
d = json.load(open(sys.argv[1]))
assert d["scenario"] == "split" and d["n_experiences"] == 5, d
assert d["experiences"] == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]], d["experiences"]
assert d["test_per_experience"] == [200] * 5
res = {r["learner"]: r for r in d["results"]}
assert sorted(res) == ["naive", "ncm", "replay", "slda"], sorted(res)
for name, r in res.items():
    R = r["acc_matrix"]
    # metrics recomputed from the accuracy matrix
    T = len(R)
    avg = sum(R[T - 1]) / T
    forg = sum(max(R[l][j] for l in range(j, T - 1)) - R[T - 1][j] for j in range(T - 1)) / (T - 1)
    bwt = sum(R[T - 1][j] - R[j][j] for j in range(T - 1)) / (T - 1)
    assert abs(avg - r["final_avg_acc"]) < 1e-4, (name, avg, r["final_avg_acc"])
    assert abs(forg - r["forgetting"]) < 1e-4, (name, forg, r["forgetting"])
    assert abs(bwt - r["bwt"]) < 1e-4, (name, bwt, r["bwt"])
    assert all(R[e][j] is None for e in range(T) for j in range(e + 1, T))
    assert len(r["acc_seen"]) == T and r["train_us_per_sample"] > 0
    print("%-7s avg %.3f forgetting %.3f bwt %.3f" % (name, avg, forg, bwt))
assert res["naive"]["final_avg_acc"] < 0.5, res["naive"]["final_avg_acc"]
assert res["naive"]["forgetting"] > 0.4 and res["naive"]["bwt"] < -0.4
for name in ("replay", "slda", "ncm"):
    assert res[name]["final_avg_acc"] > 0.8, (name, res[name]["final_avg_acc"])
    assert res[name]["forgetting"] < 0.15, (name, res[name]["forgetting"])
assert res["replay"]["replay_bytes"] > 0
PY
# single learner, summary line, odd split (3 classes per experience -> 4 experiences, last has 1)
run_ok "eval ncm 3/exp" "$EDGECL" eval --learner ncm --features "$T/tr.ecf" --test "$T/te.ecf" \
    --classes-per-exp 3 -q
grep -q "^final ncm: avg_acc" "$T/out" || fail "summary line missing: $(cat "$T/out")"
acc=$(num "$T/out" "avg_acc")
ge "$acc" 0.8 || fail "ncm avg_acc $acc"
finish

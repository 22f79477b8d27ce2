#!/usr/bin/env bash
# bench-cl end to end on a tiny Split-Fashion-MNIST subset (5 train + 5 test images per class)
# through the real backbone. Skips (77) when the model or the dataset is not installed.
# usage: cli_bench.sh path/to/edgecl WORKDIR
set -euo pipefail
bin="$1"
work="$2"
model="${EDGECL_MODEL:-$(cd "$(dirname "$0")/../.." && pwd)/models/mobilenet_v2.tflite}"
fmnist="${EDGECL_FMNIST_DIR:-/usr/share/datasets/fashion-mnist}"
if [[ ! -f "$model" ]]; then echo "SKIP: no model at $model"; exit 77; fi
if [[ ! -r "$fmnist/train-images-idx3-ubyte.gz" && ! -r "$fmnist/train-images-idx3-ubyte" ]]; then
  echo "SKIP: no Fashion-MNIST at $fmnist"; exit 77
fi
rm -rf "$work" && mkdir -p "$work"
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

# --help answers, bad input gives a clear message and a non-zero status (never a crash)
"$bin" bench-cl --help | grep -q "split-fmnist" || fail "--help"
set +e
"$bin" bench-cl --scenario nope --model "$model" 2>err.txt; rc=$?
[[ $rc == 2 ]] && grep -q "unknown scenario" err.txt || fail "unknown scenario: rc $rc $(cat err.txt)"
"$bin" bench-cl --scenario split-fmnist --learner naive,bogus 2>err.txt; rc=$?
[[ $rc == 2 ]] && grep -q "unknown learner 'bogus'" err.txt || fail "bad learner: rc $rc"
"$bin" bench-cl --scenario split-fmnist --storage f16 2>err.txt; rc=$?
[[ $rc == 2 ]] && grep -q "unknown storage" err.txt || fail "bad storage: rc $rc"
"$bin" bench-cl --scenario core50-ni --model "$model" --cache "$work/cache" 2>err.txt; rc=$?
[[ $rc == 1 ]] && grep -q "needs --core50" err.txt || fail "core50 without dir: rc $rc"
"$bin" bench-cl --scenario core50-nc --core50 /nonexistent --model "$model" --cache "$work/cache" 2>err.txt; rc=$?
[[ $rc == 1 ]] && grep -q "not a folder" err.txt || fail "core50 bad dir: rc $rc"
"$bin" bench-cl --scenario split-fmnist --model /nonexistent.tflite 2>err.txt; rc=$?
[[ $rc == 1 ]] || fail "missing model: rc $rc"
set -e

args=(bench-cl --scenario split-fmnist --model "$model" --learner all --buffer 20
      --storage f32,u8 --train-limit 5 --test-limit 5 --epochs 30 --batch 10
      --cache "$work/cache")
"$bin" "${args[@]}" --json r1.json --svg r1.svg > table1.txt 2> log1.txt || { cat log1.txt; fail "bench-cl run 1"; }
grep -q "extract" log1.txt || fail "no progress on stderr"
# second run: features come from the cache, results are identical (same seeds)
"$bin" "${args[@]}" --json r2.json > table2.txt 2> log2.txt || { cat log2.txt; fail "bench-cl run 2"; }
cat table1.txt

python3 - <<'EOF' || fail "JSON checks"
import json, math
r1 = json.load(open("r1.json")); r2 = json.load(open("r2.json"))
for k in ["scenario", "model", "cut", "dim", "n_batches", "n_train", "n_test", "results",
          "arena_bytes", "extract_seconds"]:
    assert k in r1, k
assert r1["scenario"] == "split-fmnist" and r1["n_batches"] == 5
assert r1["n_train"] == 50 and r1["n_test"] == 50, (r1["n_train"], r1["n_test"])
assert r1["features_from_cache"] is False and r2["features_from_cache"] is True
names = [x["name"] for x in r1["results"]]
assert names == ["naive", "replay-20-random-f32", "replay-20-random-u8", "slda", "ncm", "joint"], names
by = {x["name"]: x for x in r1["results"]}
for x in r1["results"]:
    for k in ["acc", "final_acc", "avg_acc", "forgetting", "bwt", "train_us_per_sample",
              "learner_bytes", "peak_bytes"]:
        assert k in x, (x["name"], k)
    assert len(x["acc"]) == 5
    assert all(0.0 <= a <= 1.0 for a in x["acc"]), x["acc"]
    assert x["final_acc"] == x["acc"][-1]
    assert -1.0 <= x["bwt"] <= 1.0 and -1.0 <= x["forgetting"] <= 1.0
    # after batch 1 only 2 of 10 classes are known: accuracy cannot exceed 20% (+ rounding)
    assert x["acc"][0] <= 0.2 + 1e-9, (x["name"], x["acc"][0])
# better than chance (10%) for the learners that keep old classes
for n in ["slda", "ncm", "joint"]:
    assert by[n]["final_acc"] > 0.2, (n, by[n]["final_acc"])
# naive forgets: it ends well below the joint upper bound
assert by["naive"]["final_acc"] < by["joint"]["final_acc"], (by["naive"]["final_acc"], by["joint"]["final_acc"])
assert by["naive"]["forgetting"] > 0.3, by["naive"]["forgetting"]
# 8-bit replay storage: 4x less than float32 (+ per-vector scale/offset)
f32 = by["replay-20-random-f32"]["replay_bytes"]; u8 = by["replay-20-random-u8"]["replay_bytes"]
assert f32 > 0 and u8 > 0 and u8 * 3 < f32, (f32, u8)
# determinism: same seeds, same cached features -> identical accuracies
for a, b in zip(r1["results"], r2["results"]):
    assert a["acc"] == b["acc"], (a["name"], a["acc"], b["acc"])
print("json ok:", {n: round(by[n]["final_acc"], 3) for n in by})
EOF
grep -q "<svg" r1.svg && grep -q "</svg>" r1.svg || fail "svg"

# incremental joint (the O(batches) variant for long scenarios) and the buffer histogram
"$bin" "${args[@]}" --learner replay,joint --storage f32 --joint incremental --joint-samples 20 \
  --replay-hist --json r3.json > table3.txt 2> log3.txt || { cat log3.txt; fail "bench-cl run 3"; }
# 5 histogram lines; the buffer (20) fills in batch 2 (10 per batch) and keeps 20 afterwards
[[ $(grep -c "buffer after batch" log3.txt) == 5 ]] || fail "replay-hist lines: $(cat log3.txt)"
grep -q "buffer after batch 5 (20):" log3.txt || fail "replay-hist size"
python3 - <<'EOF2' || fail "incremental joint JSON"
import json
r = json.load(open("r3.json"))
j = [x for x in r["results"] if x["learner"] == "joint"][0]
assert j["joint_mode"] == "incremental" and j["joint_samples"] == 20, j
assert len(j["acc"]) == 5 and j["final_acc"] > 0.2, j["acc"]
r1 = json.load(open("r1.json"))
assert [x for x in r1["results"] if x["learner"] == "joint"][0]["joint_mode"] == "retrain"
EOF2
set +e
"$bin" bench-cl --scenario split-fmnist --joint sometimes 2>err.txt; rc=$?
set -e
[[ $rc == 2 ]] && grep -q "expected retrain, incremental or auto" err.txt || fail "bad --joint: rc $rc"
[[ $(grep -c "<polyline" r1.svg) == 6 ]] || fail "svg: expected 6 lines"
echo PASS

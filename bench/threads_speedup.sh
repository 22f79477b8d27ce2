#!/bin/bash
# bench/threads_speedup.sh - 2 threads vs 1 for the float and int8 backbones, K paired runs of
# bench_backbone pinned to CPUs 0,1 (taskset), min and median of the per-run speedups, plus the
# load-independent split profile and the measured per-region thread profile. Usage: bench/threads_speedup.sh [BUILD_DIR] [K]
#   K (default 5) runs of `bench_backbone --no-ort --runs 40 --ref-runs 1` per model.
set -u
B=${1:-build}
K=${2:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# EXCLUSIVE=1: bench_backbone --exclusive (SCHED_FIFO, the pool's load rule off: two idle cores
# even while other processes run; needs root)
EXCL=""
[ "${EXCLUSIVE:-0}" = 1 ] && EXCL="--exclusive"
BENCH=$B/bench_backbone
[ -x "$BENCH" ] || { echo "no $BENCH (cmake --build $B --target bench_backbone)" >&2; exit 1; }
PIN=""
command -v taskset >/dev/null && PIN="taskset -c 0,1"
for m in "$ROOT/models/mobilenet_v2.tflite" "$ROOT/models/mobilenet_v2_int8.tflite" \
    "$ROOT/../shared/models/mobilenet_v2_1.0_224_quant.tflite"; do
    [ -f "$m" ] || { echo "skip: $m is absent"; continue; }
    echo "== $m (load: $(cut -d' ' -f1-3 /proc/loadavg))"
    sp=()
    for k in $(seq "$K"); do
        line=$($PIN "$BENCH" --model "$m" --no-ort --runs 40 --ref-runs 1 $EXCL 2>/dev/null |
            grep '^threads 2 vs 1')
        echo "  run $k: $line"
        sp+=("$(sed 's/.*thread: \([0-9.]*\)x (medians).*/\1/' <<<"$line")")
    done
    printf '%s\n' "${sp[@]}" | sort -n | awk '{v[NR]=$1} END {
        med = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2;
        printf "  speedup of the medians over %d runs: min %.2fx, median %.2fx, max %.2fx\n", NR, v[1], med, v[NR] }'
    "$BENCH" --model "$m" --split-profile 2 --runs 20 | sed -n '2,4p'
    "$BENCH" --model "$m" --thread-profile $EXCL --runs 100 | sed -n '2,4p'
done

#!/bin/bash
# bench/peer_table.sh - the figures of docs/performance.md's peer table in one go:
#   1. K runs of bench_backbone on the float and on the int8 MobileNetV2, each with ONNX Runtime
#      in the same run (float: models/mobilenet_v2.onnx, int8: its QDQ export
#      models/mobilenet_v2_int8.onnx): per run the ratio edgecl/ORT with 1 and 2 threads, and
#      edgecl's int8 time over its float time; min / median / max over the K runs;
#   2. bench_models --runs K: edgecl vs XNNPACK on the float model and the real uint8 and int8
#      models of ../shared/models (paired runs, its own table);
#   3. bench/threads_speedup.sh: 2 threads vs 1 (pinned), and the load-independent split profile.
# The machine's load is printed at the start and the end. Usage: bench/peer_table.sh [BUILD] [K]
set -u
B=${1:-build}
K=${2:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# EXCLUSIVE=1: bench_backbone --exclusive (SCHED_FIFO, the pool's load rule off: two idle cores
# even while other processes run; needs root)
EXCL=""
[ "${EXCLUSIVE:-0}" = 1 ] && EXCL="--exclusive"
BENCH=$B/bench_backbone
[ -x "$BENCH" ] || { echo "peer_table: no $BENCH (cmake --build $B --target bench_backbone)" >&2; exit 1; }
load() { echo "load    $1: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"; }
stats() { # name, values...: min / median / max
    local name=$1
    shift
    printf '%s\n' "$@" | sort -g | awk -v n="$name" '{v[NR]=$1} END {
        if (!NR) { printf "%-44s (no figures)\n", n; exit }
        med = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2;
        printf "%-44s median %.2f  (min %.2f, max %.2f, %d runs)\n", n, med, v[1], v[NR], NR }'
}
field() { sed -n "$1" <<<"$2" | head -1; }

load start
declare -a f1 f2 fc i1 i2 ic r1 rc
for k in $(seq "$K"); do
    for m in float int8; do
        if [ $m = float ]; then model=$ROOT/models/mobilenet_v2.tflite; else model=$ROOT/models/mobilenet_v2_int8.tflite; fi
        out=$("$BENCH" --model "$model" --runs 40 --ref-runs 1 $EXCL 2>/dev/null)
        t1=$(field 's/^opt kernels, 1 thread *\([0-9.]*\).*/\1/p' "$out")
        c1=$(field 's/^opt kernels, 1 thread *[0-9.]* *[0-9.]* *\([0-9.]*\).*/\1/p' "$out")
        a=$(field 's/^edgecl\/ORT [a-z0-9]*, 1 thread: \([0-9.]*\)x by median.*/\1/p' "$out")
        b=$(field 's/^edgecl\/ORT [a-z0-9]*, 2 threads: \([0-9.]*\)x by median.*/\1/p' "$out")
        c=$(field 's/^edgecl\/ORT [a-z0-9]*, 1 thread: .*, \([0-9.]*\)x by CPU time.*/\1/p' "$out")
        echo "run $k $m: edgecl 1 thread ${t1:-?} ms (cpu ${c1:-?} ms); edgecl/ORT 1 thread ${a:-?}x (cpu ${c:-?}x), 2 threads ${b:-?}x"
        if [ $m = float ]; then
            f1+=($a) f2+=($b) fc+=($c) ft=$t1 fcpu=$c1
        else
            i1+=($a) i2+=($b) ic+=($c)
            [ -n "$t1" ] && [ -n "${ft:-}" ] && r1+=("$(awk -v a="$t1" -v b="$ft" 'BEGIN{printf "%.3f", a/b}')")
            [ -n "$c1" ] && [ -n "${fcpu:-}" ] && rc+=("$(awk -v a="$c1" -v b="$fcpu" 'BEGIN{printf "%.3f", a/b}')")
        fi
    done
done
echo
echo "== edgecl / ONNX Runtime 1.30 (ratio < 1: edgecl faster), $K runs of 40 images"
stats "float, 1 thread (medians)" "${f1[@]}"
stats "float, 1 thread (CPU time)" "${fc[@]}"
stats "float, 2 threads (medians)" "${f2[@]}"
stats "int8, 1 thread (medians)" "${i1[@]}"
stats "int8, 1 thread (CPU time)" "${ic[@]}"
stats "int8, 2 threads (medians)" "${i2[@]}"
stats "edgecl int8 / edgecl float, 1 thread (medians)" "${r1[@]}"
stats "edgecl int8 / edgecl float, 1 thread (CPU time)" "${rc[@]}"
echo
if [ -x "$B/bench_models" ]; then
    echo "== edgecl / XNNPACK"
    "$B/bench_models" --runs "$K" $EXCL 2>/dev/null
else
    echo "== edgecl / XNNPACK: skipped ($B/bench_models not built: libxnnpack-dev absent)"
fi
echo
echo "== 2 threads vs 1"
"$ROOT/bench/threads_speedup.sh" "$B" "$K"
load end

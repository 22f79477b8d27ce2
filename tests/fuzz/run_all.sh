#!/usr/bin/env bash
# tests/fuzz/run_all.sh [SECONDS] [HARNESS...] - build the libFuzzer harnesses (build-fuzz/,
# clang, -DECL_FUZZ=ON) and run each for SECONDS (default 45) on one core, FUZZ_JOBS harnesses at
# a time (default: the number of cores; reports print as each finishes). Fails if any harness
# finds a crash, leak, UB, timeout (>10 s per input) or out-of-memory (>2 GB).
#
#   tests/fuzz/run_all.sh 45               # CI: all harnesses, 45 s each
#   tests/fuzz/run_all.sh 3600 state       # a long run of one harness (see docs/reliability.md)
#
# Corpora persist in build-fuzz/corpus/<name>/ between runs (seeded from freshly generated
# seeds and tests/fuzz/regress/<name>/). Crashing inputs land in build-fuzz/artifacts/<name>/;
# with FUZZ_SAVE_CRASHES=1 they are also copied to tests/fuzz/regress/<name>/ so that the
# normal test suite replays them (fuzz_replay_<name>) once the bug is fixed.
# Env: CC (default clang-14, else clang), FUZZ_BUILD_DIR (default build-fuzz), FUZZ_ARGS (extra
# libFuzzer flags), FUZZ_JOBS (harnesses run at once; 1: one after the other).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
SECONDS_EACH="${1:-45}"
shift || true
BUILD="${FUZZ_BUILD_DIR:-build-fuzz}"
if [[ -z "${CC:-}" ]]; then
  if command -v clang-14 >/dev/null; then CC=clang-14; elif command -v clang >/dev/null; then CC=clang;
  else echo "run_all.sh: clang not found (apt-get install clang-14)" >&2; exit 1; fi
fi
if ! [[ "$SECONDS_EACH" =~ ^[0-9]+$ ]] || [[ "$SECONDS_EACH" -lt 1 ]]; then
  echo "usage: $0 [SECONDS] [HARNESS...]" >&2
  exit 2
fi

mkdir -p "$BUILD"
echo "run_all.sh: configuring $BUILD (CC=$CC, ECL_FUZZ=ON)" >&2
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DECL_FUZZ=ON -DECL_SANITIZE=OFF \
  -DCMAKE_C_COMPILER="$CC" >"$BUILD/configure.log" 2>&1 || {
  cat "$BUILD/configure.log" >&2; echo "run_all.sh: configure failed" >&2; exit 1; }
echo "run_all.sh: building harnesses" >&2
cmake --build "$BUILD" -j 2 --target fuzz_all fuzz_make_seeds >"$BUILD/build-fuzz.log" 2>&1 || {
  tail -40 "$BUILD/build-fuzz.log" >&2; echo "run_all.sh: build failed" >&2; exit 1; }
"$BUILD/fuzz_make_seeds" "$BUILD/fuzz-seeds" || exit 1

if [[ $# -gt 0 ]]; then
  HARNESSES=("$@")
else
  HARNESSES=()
  for exe in "$BUILD"/fuzz_*; do
    n=$(basename "$exe")
    [[ -x "$exe" && -f "$exe" && "$n" != fuzz_make_seeds ]] && HARNESSES+=("${n#fuzz_}")
  done
fi
[[ ${#HARNESSES[@]} -gt 0 ]] || { echo "run_all.sh: no harnesses built" >&2; exit 1; }

# The harnesses write their temp files to $TMPDIR: give this run its own folder (in RAM when
# /dev/shm is writable), so that cleaning up never touches a concurrent run's files.
shm=/tmp
[[ -d /dev/shm && -w /dev/shm ]] && shm=/dev/shm
RUN_TMP=$(mktemp -d "$shm/edgecl-fuzz-run.XXXXXX")
trap 'rm -rf "$RUN_TMP"' EXIT

# fuzz_one HARNESS: runs one harness for SECONDS_EACH on one core; prints its report (ok or the
# failure with how to reproduce) in one piece when done; exit status non-zero on a failure.
fuzz_one() {
  local h=$1
  local exe="$BUILD/fuzz_$h"
  local corpus="$BUILD/corpus/$h" art="$BUILD/artifacts/$h"
  local report="$RUN_TMP/report-$h"
  mkdir -p "$corpus" "$art"
  local seeds=()
  [[ -d "$BUILD/fuzz-seeds/$h" ]] && seeds+=("$BUILD/fuzz-seeds/$h")
  [[ -d tests/fuzz/regress/$h ]] && seeds+=("tests/fuzz/regress/$h")
  # the real models of ../shared/models join the model corpus (the small ones: each run
  # executes the whole network), linked, never copied into the project
  if [[ "$h" == model && -d ../shared/models ]]; then
    mkdir -p "$BUILD/fuzz-seeds/model-real"
    for f in ../shared/models/*.tflite; do
      [[ $(stat -c %s "$f") -le 1100000 ]] && ln -sf "$(cd "$(dirname "$f")" && pwd)/$(basename "$f")" "$BUILD/fuzz-seeds/model-real/"
    done
    seeds+=("$BUILD/fuzz-seeds/model-real")
  elif [[ "$h" == model ]]; then
    echo "run_all.sh: ../shared/models absent: the model corpus has no real models" >&2
  fi
  local dict=()
  [[ -f tests/fuzz/$h.dict ]] && dict=(-dict="tests/fuzz/$h.dict")
  local log="$BUILD/fuzz-$h.log"
  echo "run_all.sh: fuzz_$h for ${SECONDS_EACH}s (log $log)" >&2
  local seed=()
  # Under CI the run starts from a fixed PRNG seed so that a green main stays green (the same
  # mutations as in the runs that passed); set FUZZ_SEED=0 for a random seed, as in long runs.
  if [[ -n "${FUZZ_SEED:-}" ]]; then
    [[ "$FUZZ_SEED" != 0 ]] && seed=(-seed="$FUZZ_SEED")
  elif [[ "${CI:-}" == true ]]; then
    seed=(-seed=1)
  fi
  # only crashes written by this run are reported (older ones stay in $art for reference)
  local marker="$RUN_TMP/start-$h"
  : >"$marker"
  # shellcheck disable=SC2086
  TMPDIR="$RUN_TMP" "$exe" -max_total_time="$SECONDS_EACH" -timeout=10 "${seed[@]}" -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$art/" "${dict[@]}" ${FUZZ_ARGS:-} "$corpus" "${seeds[@]}" >"$log" 2>&1
  local rc=$?
  local stats cov
  stats=$(awk '/^stat::number_of_executed_units/{e=$2} /^stat::peak_rss_mb/{r=$2} END{printf "%s execs, peak RSS %s MB, ", e, r}' "$log")
  cov=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW)' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+')
  if [[ $rc -ne 0 ]]; then
    {
      echo "run_all.sh: fuzz_$h FAILED (exit $rc); last lines of $log:"
      grep -E 'ERROR|SUMMARY|fuzz check|Test unit written|runtime error' "$log" | head -20
      tail -5 "$log"
      for c in "$art"/*; do
        [[ -f "$c" && "$c" -nt "$marker" ]] || continue
        echo "  reproduce: $exe $c"
        if [[ "${FUZZ_SAVE_CRASHES:-0}" == 1 ]]; then
          cp "$c" "tests/fuzz/regress/$h/$(date +%Y%m%d)-$(basename "$c")"
          echo "  saved to tests/fuzz/regress/$h/"
        fi
      done
    } >"$report" 2>&1
  else
    echo "run_all.sh: fuzz_$h ok: $stats$cov" >"$report"
  fi
  cat "$report" >&2
  return $((rc != 0))
}

# The harnesses are single-threaded: FUZZ_JOBS of them (default: one per core) run at once, each
# for the full SECONDS on its own core (on 2 cores the 6 harnesses take 3 x SECONDS, not 6 x).
JOBS="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}"
[[ "$JOBS" =~ ^[0-9]+$ && "$JOBS" -ge 1 ]] || JOBS=1
fail=0
pids=()
for h in "${HARNESSES[@]}"; do
  [[ -x "$BUILD/fuzz_$h" ]] || { echo "run_all.sh: no harness '$h' in $BUILD" >&2; fail=1; continue; }
  while (($(jobs -rp | wc -l) >= JOBS)); do
    wait -n
  done
  fuzz_one "$h" &
  pids+=($!)
done
for p in "${pids[@]}"; do
  wait "$p" || fail=1
done
if [[ $fail -ne 0 ]]; then
  echo "run_all.sh: FAILURES (see above)" >&2
  exit 1
fi
echo "run_all.sh: all ${#HARNESSES[@]} harness(es) ran ${SECONDS_EACH}s without a crash" >&2

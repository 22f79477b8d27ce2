#!/usr/bin/env bash
# Runs every test: builds (via setup.sh, without installing), then
#   1. the fuzz harnesses for a bounded time (tests/fuzz/run_all.sh, if clang is present),
#   2. the whole CTest suite under AddressSanitizer + UBSan (tests/sanitize.sh),
#   3. the whole CTest suite in the normal build (its summary line is printed last).
# Exits non-zero if any part fails.
# Env: FUZZ_SECONDS (per harness, default 30), SKIP_SANITIZE=1, SKIP_FUZZ=1.
set -uo pipefail
cd "$(dirname "$0")"
# The wall time of each step but the last is printed after it ("==> ... took N s"; ctest prints
# its own), to see where CI time goes.
t0=$SECONDS
took() { echo "==> $1 took $((SECONDS - t0)) s"; t0=$SECONDS; }
./setup.sh --no-install || { echo "test.sh: setup failed" >&2; exit 1; }
took "setup (npm check, model conversion, build)"
fail=0
if [[ "${SKIP_FUZZ:-0}" != 1 && -x tests/fuzz/run_all.sh ]]; then
  echo "==> fuzzing (${FUZZ_SECONDS:-30}s per harness)"
  tests/fuzz/run_all.sh "${FUZZ_SECONDS:-30}" || { echo "test.sh: FUZZING FAILED" >&2; fail=1; }
  took "fuzzing (build and runs)"
fi
if [[ "${SKIP_SANITIZE:-0}" != 1 && -x tests/sanitize.sh ]]; then
  echo "==> test suite under ASan+UBSan"
  tests/sanitize.sh || { echo "test.sh: SANITIZER SUITE FAILED" >&2; fail=1; }
  took "ASan+UBSan (build and suite)"
fi
echo "==> test suite"
ctest --test-dir build --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" || fail=1
exit $fail

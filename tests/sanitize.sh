#!/usr/bin/env bash
# tests/sanitize.sh - build everything with AddressSanitizer + UBSan (build-asan/) and run the
# whole CTest suite there. Any sanitizer report fails the run (UBSan is built with
# -fno-sanitize-recover, ASan aborts on the first error; leaks are reported by LeakSanitizer).
#
# Excluded by ctest label (tests that are slow or meaningless under ASan):
#   load      - throughput runs (tests/load), measure nothing useful under ASan
#   chromium  - tests whose work is TFLite's runtime in Chromium, not edgecl (cli_export_tflite,
#               tflref_live: their edgecl side runs under ASan in cli_export and
#               test_tflite_reference). The demo's end-to-end test
#               (demo_e2e) carries no such label on purpose: it runs under ASan (~30 s) so the
#               server's request handling is sanitised under a real browser's traffic.
#   no-asan   - any test that declares itself unsuitable for ASan: ones that run no edgecl
#               code (format_check, convert_selfcheck), cross/qemu runs (aarch64_suite,
#               mcu_fw_learns), install/.deb tests, clbench_cli_core50 (~250 s under ASan; its
#               CORe50 reader is sanitised by test_core50)
# Extra ctest arguments can be passed through: tests/sanitize.sh -R crash
# Env: ASAN_BUILD_DIR (default build-asan), JOBS (default: nproc, at most 2 on small boxes).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${ASAN_BUILD_DIR:-build-asan}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
[ "$JOBS" -ge 1 ] 2>/dev/null || JOBS=2
[ "$JOBS" -le 2 ] || JOBS=2
CC_BIN="${CC:-cc}"

echo "sanitize.sh: configuring $BUILD (ECL_SANITIZE=ON, CC=$CC_BIN)" >&2
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DECL_SANITIZE=ON -DECL_FUZZ=OFF \
  -DCMAKE_C_COMPILER="$CC_BIN" >/dev/null
echo "sanitize.sh: building (-j$JOBS)" >&2
cmake --build "$BUILD" -j "$JOBS" >"$BUILD/build.log" 2>&1 || {
  tail -40 "$BUILD/build.log" >&2
  echo "sanitize.sh: BUILD FAILED (full log: $BUILD/build.log)" >&2
  exit 1
}

# halt_on_error: the first report fails the test; detect_stack_use_after_return catches more.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
echo "sanitize.sh: running ctest in $BUILD" >&2
ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS" -LE 'load|chromium|no-asan' "$@"

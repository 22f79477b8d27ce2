#!/usr/bin/env bash
# The unit suite on aarch64: cross-build tests/aarch64/ (toolchain.cmake) into $1 (default
# build/aarch64) and run its CTest suite, every test under qemu-aarch64. Exit 77 (skip) without
# aarch64-linux-gnu-gcc (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross) or qemu-aarch64 (qemu-user).
# Env: JOBS (build and test jobs, default 2).
set -u
src="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$src/build/aarch64}"
jobs="${JOBS:-2}"
for tool in aarch64-linux-gnu-gcc qemu-aarch64; do
    command -v "$tool" >/dev/null || {
        echo "SKIP: $tool not found (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)"
        exit 77
    }
done
[ -e /usr/aarch64-linux-gnu/lib/libc.so.6 ] || {
    echo "SKIP: no aarch64 C library in /usr/aarch64-linux-gnu (apt-get install libc6-dev-arm64-cross)"
    exit 77
}
cmake -S "$src/tests/aarch64" -B "$out" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$src/tests/aarch64/toolchain.cmake" >"$out.configure.log" 2>&1 || {
    mkdir -p "$out"; cat "$out.configure.log"; echo "FAIL: configure"; exit 1
}
nice cmake --build "$out" -j "$jobs" >"$out/build.log" 2>&1 || {
    tail -30 "$out/build.log"; echo "FAIL: cross build (log: $out/build.log)"; exit 1
}
ctest --test-dir "$out" --output-on-failure -j "$jobs"

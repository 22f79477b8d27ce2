# The unit suite cross-built for aarch64 and run under qemu-aarch64 (tests/aarch64/): configured,
# built and run by tests/aarch64/run_suite.sh in build/aarch64. Skipped (77) without
# gcc-aarch64-linux-gnu, libc6-dev-arm64-cross or qemu-user. Not under the sanitizers (no-asan).
add_test(NAME aarch64_suite
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/aarch64/run_suite.sh ${CMAKE_BINARY_DIR}/aarch64)
set_tests_properties(aarch64_suite PROPERTIES LABELS "cross;no-asan" TIMEOUT 1200 COST 170
                     SKIP_RETURN_CODE 77)

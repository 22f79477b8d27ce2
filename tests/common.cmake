# Shared test helpers. Each test area adds its tests in its own tests/<area>.cmake with
# ecl_add_test(name source... ) which links cmocka + the library + the tools' common code.
include_guard(GLOBAL) # also included early by the areas that sort before it (cli, port, tflref)
find_library(CMOCKA_LIB cmocka REQUIRED)
function(ecl_add_test name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE edgecl_tools edgecl_port edgecl ${CMOCKA_LIB} m)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/tests)
  target_compile_definitions(${name} PRIVATE ECL_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
                             ECL_BINARY_DIR="${CMAKE_BINARY_DIR}")
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 300)
endfunction()

# Helpers many tests share, compiled once and linked (not compiled again into every test):
# the .tflite builder (tests/tflite_builder.h) and the single-op runner (tests/op_runner.h).
add_library(ecl_test_tflite_builder STATIC ${CMAKE_SOURCE_DIR}/tests/tflite_builder.c)
target_include_directories(ecl_test_tflite_builder PUBLIC ${CMAKE_SOURCE_DIR}/tests)
add_library(ecl_test_op_runner STATIC ${CMAKE_SOURCE_DIR}/tests/op_runner.c)
target_include_directories(ecl_test_op_runner PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_link_libraries(ecl_test_op_runner PUBLIC ecl_test_tflite_builder edgecl m)

# Scheduling: a fresh build directory (as in CI) has no ctest timing data, so `ctest -j` starts
# tests in definition order and a long test defined late ends the run alone. The longest tests
# carry a COST (about their seconds in CI) next to their definition, so they start first:
# aarch64_suite, concurrent_learn, convert_selfcheck, demo_e2e, cli_export_tflite,
# test_tflite_reference. Timing-sensitive tests (test_slowloris) get none on purpose.

# Continual-learning benchmarks: CORe50 protocol, dataset readers, SVG plots, bench-cl end to end.
# The unit tests compile the few tools/common sources they test directly, so they do not depend
# on the rest of the tools library.
find_package(ZLIB REQUIRED)
find_package(PNG REQUIRED)
find_library(CLBENCH_CMOCKA cmocka REQUIRED)

function(clbench_unit_test name)
  add_executable(${name} ${ARGN})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/include
                             ${CMAKE_SOURCE_DIR}/tools/common ${CMAKE_SOURCE_DIR}/tests)
  target_compile_definitions(${name} PRIVATE ECL_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
                             ECL_BINARY_DIR="${CMAKE_BINARY_DIR}")
  target_link_libraries(${name} PRIVATE ${CLBENCH_CMOCKA} PNG::PNG ZLIB::ZLIB m)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 120 LABELS clbench)
endfunction()

clbench_unit_test(test_core50 ${CMAKE_SOURCE_DIR}/tests/test_core50.c
                  ${CMAKE_SOURCE_DIR}/tools/common/core50.c
                  ${CMAKE_SOURCE_DIR}/tools/common/datasets.c)
clbench_unit_test(test_clbench_datasets ${CMAKE_SOURCE_DIR}/tests/clbench/test_datasets.c
                  ${CMAKE_SOURCE_DIR}/tools/common/datasets.c
                  ${CMAKE_SOURCE_DIR}/tools/common/svgplot.c)

# bench-cl end to end on a tiny Split-Fashion-MNIST subset; skipped (77) without the model.
# (tests/*.cmake is included before tools/*.cmake; the generator expression resolves later.)
add_test(NAME clbench_cli_split_fmnist
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/clbench/cli_bench.sh $<TARGET_FILE:edgecl_cli>
                 ${CMAKE_BINARY_DIR}/clbench_cli)
set_tests_properties(clbench_cli_split_fmnist PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
                     LABELS clbench)

# bench-cl on a generated CORe50-layout tree: NC / NICv2-391 / NI batch counts, strides, joint.
add_test(NAME clbench_cli_core50
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/clbench/cli_core50.sh $<TARGET_FILE:edgecl_cli>
                 ${CMAKE_BINARY_DIR}/clbench_core50)
# no-asan: 550 images through the backbone take ~250 s under ASan; the CORe50 reader itself is
# sanitised by test_core50
set_tests_properties(clbench_cli_core50 PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
                     LABELS "clbench;no-asan")

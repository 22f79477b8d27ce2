# bench_models: edgecl vs XNNPACK (Debian libxnnpack-dev + libpthreadpool-dev) on whole models,
# bench/models.c + bench/xnn_peer.c. Built only when XNNPACK is found; its check runs as a test
# (SKIPPED without XNNPACK or without the models).
find_path(XNNPACK_INCLUDE_DIR xnnpack.h)
find_path(PTHREADPOOL_INCLUDE_DIR pthreadpool.h)
find_library(XNNPACK_LIBRARY XNNPACK)
find_library(PTHREADPOOL_LIBRARY pthreadpool)
if(XNNPACK_INCLUDE_DIR AND PTHREADPOOL_INCLUDE_DIR AND XNNPACK_LIBRARY AND PTHREADPOOL_LIBRARY)
  add_executable(bench_models ${CMAKE_SOURCE_DIR}/bench/models.c ${CMAKE_SOURCE_DIR}/bench/xnn_peer.c
                              ${CMAKE_SOURCE_DIR}/bench/pool.c)
  target_include_directories(bench_models PRIVATE ${CMAKE_SOURCE_DIR}/src ${XNNPACK_INCLUDE_DIR}
                                                  ${PTHREADPOOL_INCLUDE_DIR})
  target_link_libraries(bench_models PRIVATE edgecl_tools edgecl_port edgecl ${XNNPACK_LIBRARY}
                                             ${PTHREADPOOL_LIBRARY} Threads::Threads m)
  add_test(NAME bench_models_xnn_check COMMAND bench_models --check)
  set_tests_properties(bench_models_xnn_check PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
  # The timed path (pools started and stopped, pairs, table) once on the smallest model: it must
  # run and agree; the figures themselves are not checked.
  add_test(NAME bench_models_xnn_timed_path
           COMMAND bench_models --runs 1 --iters 1 --warmup 0
                   --model ${CMAKE_SOURCE_DIR}/../shared/models/mobilenet_v1_0.25_128_quant.tflite)
  set_tests_properties(bench_models_xnn_timed_path PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77
                       PASS_REGULAR_EXPRESSION "by CPU")
  add_test(NAME bench_models_cli_help COMMAND bench_models --help)
  set_tests_properties(bench_models_cli_help PROPERTIES PASS_REGULAR_EXPRESSION "usage: bench_models")
  add_test(NAME bench_models_cli_bad COMMAND bench_models --runs 0)
  set_tests_properties(bench_models_cli_bad PROPERTIES PASS_REGULAR_EXPRESSION "--runs needs an integer")
else()
  message(STATUS "XNNPACK not found (apt-get install libxnnpack-dev libpthreadpool-dev): "
                 "bench_models is not built, its test is skipped")
  add_test(NAME bench_models_xnn_check
           COMMAND sh -c "echo 'SKIP: XNNPACK not found (libxnnpack-dev, libpthreadpool-dev)'; exit 77")
  set_tests_properties(bench_models_xnn_check PROPERTIES SKIP_RETURN_CODE 77)
endif()

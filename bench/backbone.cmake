# bench_backbone: edgecl reference vs optimised kernels vs ONNX Runtime (bench/ort_bench.mjs).
add_executable(bench_backbone ${CMAKE_SOURCE_DIR}/bench/backbone.c
  ${CMAKE_SOURCE_DIR}/bench/ort_peer.c ${CMAKE_SOURCE_DIR}/bench/split_profile.c
  ${CMAKE_SOURCE_DIR}/bench/thread_profile.c)
target_link_libraries(bench_backbone PRIVATE edgecl_port edgecl Threads::Threads m ${CMAKE_DL_LIBS})
target_compile_definitions(bench_backbone PRIVATE ECL_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
target_include_directories(bench_backbone PRIVATE ${CMAKE_SOURCE_DIR}/src)

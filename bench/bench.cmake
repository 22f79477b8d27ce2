# bench_head: head training throughput and replay-learner observe cost (bench/head.c).
add_executable(bench_head ${CMAKE_SOURCE_DIR}/bench/head.c)
target_link_libraries(bench_head PRIVATE edgecl_port edgecl m)
target_include_directories(bench_head PRIVATE ${CMAKE_SOURCE_DIR}/src) # train/head_impl.h: ref vs opt

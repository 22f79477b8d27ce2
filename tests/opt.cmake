# Optimised kernels vs the reference kernels (src/kernels/opt/).
ecl_add_test(test_kernels_opt ${CMAKE_SOURCE_DIR}/tests/test_kernels_opt.c)
target_link_libraries(test_kernels_opt PRIVATE Threads::Threads)

# Thread pool (src/port/port_pool.c) and thread-count-independent results of the backbones.
if(NOT COMMAND ecl_add_test)
  include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
endif()
ecl_add_test(test_threads ${CMAKE_SOURCE_DIR}/tests/test_threads.c)
# Fused inverted-residual blocks (src/tflite/fuse.c): the bytes of the unfused run.
ecl_add_test(test_fuse ${CMAKE_SOURCE_DIR}/tests/test_fuse.c)
target_link_libraries(test_fuse PRIVATE ecl_test_tflite_builder)

# Backbone interpreter tests (owner: interp).
ecl_add_test(test_tflite_ops ${CMAKE_SOURCE_DIR}/tests/test_tflite_ops.c)
target_link_libraries(test_tflite_ops PRIVATE ecl_test_tflite_builder)
ecl_add_test(test_tflite_malformed ${CMAKE_SOURCE_DIR}/tests/test_tflite_malformed.c)
target_link_libraries(test_tflite_malformed PRIVATE ecl_test_tflite_builder)
ecl_add_test(test_tflite_pad ${CMAKE_SOURCE_DIR}/tests/test_tflite_pad.c)
target_link_libraries(test_tflite_pad PRIVATE ecl_test_tflite_builder)
# Single-op tests (tests/ops/test_op_<group>.c, one per op file in src/tflite/ops/), each run
# through tests/op_runner.c.
file(GLOB ECL_OP_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/ops/test_op_*.c)
foreach(src ${ECL_OP_TESTS})
  get_filename_component(name ${src} NAME_WE)
  ecl_add_test(${name} ${src})
  target_link_libraries(${name} PRIVATE ecl_test_op_runner)
endforeach()

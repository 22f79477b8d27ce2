# Backbone interpreter tests (owner: interp).
ecl_add_test(test_tflite_ops ${CMAKE_SOURCE_DIR}/tests/test_tflite_ops.c
             ${CMAKE_SOURCE_DIR}/tests/tflite_builder.c)
ecl_add_test(test_tflite_malformed ${CMAKE_SOURCE_DIR}/tests/test_tflite_malformed.c
             ${CMAKE_SOURCE_DIR}/tests/tflite_builder.c)
ecl_add_test(test_tflite_pad ${CMAKE_SOURCE_DIR}/tests/test_tflite_pad.c
             ${CMAKE_SOURCE_DIR}/tests/tflite_builder.c)
# Single-op tests (tests/ops/test_op_<group>.c, one per op file in src/tflite/ops/), each run
# through tests/op_runner.c.
file(GLOB ECL_OP_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/ops/test_op_*.c)
foreach(src ${ECL_OP_TESTS})
  get_filename_component(name ${src} NAME_WE)
  ecl_add_test(${name} ${src} ${CMAKE_SOURCE_DIR}/tests/op_runner.c
               ${CMAKE_SOURCE_DIR}/tests/tflite_builder.c)
endforeach()

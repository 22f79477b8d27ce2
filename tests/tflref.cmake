# TFLite as the reference (issue 9): BMP input for the tools, edgecl's interpreter against
# goldens written by TFLite itself (tools/tflite_ref/), on ../shared/models and on synthetic
# single-op models (tests/tflref/make_op_models.c).
if(NOT COMMAND ecl_add_test)
  include(${CMAKE_SOURCE_DIR}/tests/common.cmake)
endif()
ecl_add_test(test_bmp ${CMAKE_SOURCE_DIR}/tests/tflref/test_bmp.c)
set_tests_properties(test_bmp PROPERTIES LABELS "tflref")

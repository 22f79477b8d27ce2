# TFLite as the reference (issue 9): BMP input for the tools, edgecl's interpreter against
# goldens written by TFLite itself (tools/tflite_ref/), on ../shared/models and on synthetic
# single-op models (tests/tflref/make_op_models.c).
if(NOT COMMAND ecl_add_test)
  include(${CMAKE_SOURCE_DIR}/tests/common.cmake)
endif()
ecl_add_test(test_bmp ${CMAKE_SOURCE_DIR}/tests/tflref/test_bmp.c)
set_tests_properties(test_bmp PROPERTIES LABELS "tflref")

# Dev-only: writes the reference cases' inputs and manifest (tools/tflite_ref/README.md).
add_executable(tflref_make_inputs ${CMAKE_SOURCE_DIR}/tools/tflite_ref/make_inputs.c)
target_link_libraries(tflref_make_inputs PRIVATE edgecl_tools edgecl_port edgecl m)

ecl_add_test(test_tflite_reference ${CMAKE_SOURCE_DIR}/tests/tflref/test_tflite_reference.c)
set_tests_properties(test_tflite_reference PROPERTIES LABELS "tflref" COST 45)

# Dev-only: the single-op models of the comparison (tests/data/tflite_ref/ops).
add_executable(tflref_make_op_models ${CMAKE_SOURCE_DIR}/tests/tflref/make_op_models.c)
target_include_directories(tflref_make_op_models PRIVATE ${CMAKE_SOURCE_DIR}/src)
target_link_libraries(tflref_make_op_models PRIVATE ecl_test_tflite_builder m)

# Live: TFLite (headless chromium) reruns the single-op cases and must reproduce the committed
# goldens. Skipped without chromium/node/npm packages; about 20 s.
add_test(NAME tflref_live COMMAND bash ${CMAKE_SOURCE_DIR}/tests/tflref/tflref_live.sh
         ${CMAKE_BINARY_DIR})
set_tests_properties(tflref_live PROPERTIES LABELS "tflref-live;chromium" SKIP_RETURN_CODE 77 TIMEOUT 120)

# Backbone interpreter tests (owner: interp).
ecl_add_test(test_tflite_ops ${CMAKE_SOURCE_DIR}/tests/test_tflite_ops.c
             ${CMAKE_SOURCE_DIR}/tests/tflite_builder.c)
ecl_add_test(test_tflite_malformed ${CMAKE_SOURCE_DIR}/tests/test_tflite_malformed.c
             ${CMAKE_SOURCE_DIR}/tests/tflite_builder.c)
ecl_add_test(test_tflite_pad ${CMAKE_SOURCE_DIR}/tests/test_tflite_pad.c
             ${CMAKE_SOURCE_DIR}/tests/tflite_builder.c)

# Golden test: the interpreter on the converted nsfwjs MobileNetV2 (models/mobilenet_v2.tflite,
# made by tools/convert/nsfwjs2tflite.mjs) vs TensorFlow.js outputs (tests/data/golden/).
# Exits 77 (skipped) when the model file is absent.
ecl_add_test(test_golden ${CMAKE_SOURCE_DIR}/tests/test_golden.c)
set_tests_properties(test_golden PROPERTIES SKIP_RETURN_CODE 77 LABELS "golden" TIMEOUT 300)

# The converter itself (Node.js + the pinned npm packages): the graph IR and the written .tflite,
# parsed back, must reproduce tfjs' Keras model (relative L2 < 1e-4) on two test images.
find_program(ECL_NODE node)
if(ECL_NODE)
  add_test(NAME convert_selfcheck
           COMMAND bash ${CMAKE_SOURCE_DIR}/tools/convert/selfcheck.sh ${ECL_NODE})
  set_tests_properties(convert_selfcheck PROPERTIES SKIP_RETURN_CODE 77 LABELS "golden;no-asan"
                       TIMEOUT 300 COST 60)
endif()

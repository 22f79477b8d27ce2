# CLI area tests: feature files (unit, cmocka) and the learning subcommands end to end (bash).
# tests/*.cmake are included in name order, so cli.cmake comes before common.cmake.
if(NOT COMMAND ecl_add_test)
  include(${CMAKE_SOURCE_DIR}/tests/common.cmake)
endif()
ecl_add_test(test_featfile ${CMAKE_SOURCE_DIR}/tests/cli/test_featfile.c)
set_tests_properties(test_featfile PROPERTIES LABELS "cli")
ecl_add_test(test_learn_settle ${CMAKE_SOURCE_DIR}/tests/cli/test_learn_settle.c)
set_tests_properties(test_learn_settle PROPERTIES LABELS "cli")

foreach(t cli_e2e cli_errors cli_eval cli_epochs)
  add_test(NAME ${t} COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/${t}.sh $<TARGET_FILE:edgecl_cli>)
  set_tests_properties(${t} PROPERTIES LABELS "cli" TIMEOUT 300)
endforeach()

# edgecl export: the exported .tflite gives predict's top-1 in edgecl's interpreter (float32 and,
# when ../shared/models has it, the uint8 MobileNetV2). EDGECL_EXPORT_CHECK_DIR keeps the cases
# (model, labels, expected.csv) for a check in real TFLite.
add_test(NAME cli_export COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/cli_export.sh
                                 $<TARGET_FILE:edgecl_cli> ${CMAKE_SOURCE_DIR}
                                 $<TARGET_FILE:export_inputs>)
set_tests_properties(cli_export PROPERTIES LABELS "cli" TIMEOUT 300)
add_executable(export_inputs ${CMAKE_SOURCE_DIR}/tests/cli/export_inputs.c)
target_link_libraries(export_inputs PRIVATE edgecl_tools)
# ... and in TFLite itself (npm @tensorflow/tfjs-tflite in headless Chromium) once
# tools/tflite_ref/ is there; skipped otherwise.
add_test(NAME cli_export_tflite COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/export_tflite.sh
                                        $<TARGET_FILE:edgecl_cli> ${CMAKE_SOURCE_DIR}
                                        $<TARGET_FILE:export_inputs>)
set_tests_properties(cli_export_tflite PROPERTIES LABELS "cli;chromium" TIMEOUT 600 SKIP_RETURN_CODE 77
                     COST 55)
# Issue 12: classes by name, few-shot defaults, image input (need the default backbone; 77 = skip)
foreach(t cli_names cli_fewshot cli_images cli_classify)
  add_test(NAME ${t} COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/${t}.sh $<TARGET_FILE:edgecl_cli>)
  set_tests_properties(${t} PROPERTIES LABELS "cli" TIMEOUT 120 SKIP_RETURN_CODE 77)
endforeach()
# The demo's container: read by info/predict, taught by learn --learner (a version 1 container
# made by hand, version 2 ones by make_container through statefile_write).
add_executable(make_container ${CMAKE_SOURCE_DIR}/tests/cli/make_container.c)
target_link_libraries(make_container PRIVATE edgecl_tools)
add_test(NAME cli_demostate COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/cli_demostate.sh
                                    $<TARGET_FILE:edgecl_cli> $<TARGET_FILE:make_container>)
set_tests_properties(cli_demostate PROPERTIES LABELS "cli" TIMEOUT 120)

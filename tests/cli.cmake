# CLI area tests: feature files (unit, cmocka) and the learning subcommands end to end (bash).
# tests/*.cmake are included in name order, so cli.cmake comes before common.cmake.
if(NOT COMMAND ecl_add_test)
  include(${CMAKE_SOURCE_DIR}/tests/common.cmake)
endif()
ecl_add_test(test_featfile ${CMAKE_SOURCE_DIR}/tests/cli/test_featfile.c)
set_tests_properties(test_featfile PROPERTIES LABELS "cli")

foreach(t cli_e2e cli_errors cli_eval)
  add_test(NAME ${t} COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/${t}.sh $<TARGET_FILE:edgecl_cli>)
  set_tests_properties(${t} PROPERTIES LABELS "cli" TIMEOUT 300)
endforeach()

# Issue 12: classes by name, few-shot defaults, image input (need the default backbone; 77 = skip)
foreach(t cli_names cli_fewshot cli_images cli_demostate cli_classify)
  add_test(NAME ${t} COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/${t}.sh $<TARGET_FILE:edgecl_cli>)
  set_tests_properties(${t} PROPERTIES LABELS "cli" TIMEOUT 120 SKIP_RETURN_CODE 77)
endforeach()

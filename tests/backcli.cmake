# Backbone CLI tests (owner: backcli): edgecl inspect / extract / classify end to end on the real
# models/mobilenet_v2.tflite and the committed photos in tests/data/golden/. The scripts exit 77
# (skipped) when the model is absent. featcheck reads feature files through tools/common.
add_executable(backcli_featcheck ${CMAKE_SOURCE_DIR}/tests/backcli/featcheck.c)
target_link_libraries(backcli_featcheck PRIVATE edgecl_tools edgecl_port edgecl m)

set(ECL_BACKCLI_MODEL ${CMAKE_SOURCE_DIR}/models/mobilenet_v2.tflite)
foreach(t backcli_help backcli_extract backcli_classify backcli_errors)
  add_test(NAME ${t}
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/backcli/${t}.sh $<TARGET_FILE:edgecl_cli>
                   $<TARGET_FILE:backcli_featcheck> ${ECL_BACKCLI_MODEL})
  set_tests_properties(${t} PROPERTIES LABELS "backcli" TIMEOUT 300 SKIP_RETURN_CODE 77)
endforeach()

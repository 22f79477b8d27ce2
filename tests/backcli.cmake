# Backbone CLI tests (owner: backcli): edgecl inspect / extract / classify end to end on the real
# models/mobilenet_v2.tflite and the committed photos in tests/data/golden/. The scripts exit 77
# (skipped) when the model is absent. featcheck reads feature files through tools/common.
add_executable(backcli_featcheck ${CMAKE_SOURCE_DIR}/tests/backcli/featcheck.c)
target_link_libraries(backcli_featcheck PRIVATE edgecl_tools edgecl_port edgecl m)

# mkmodel writes small .tflite files (unknown op, unusual output size) with the test builder.
add_executable(backcli_mkmodel ${CMAKE_SOURCE_DIR}/tests/backcli/mkmodel.c)
target_link_libraries(backcli_mkmodel PRIVATE ecl_test_tflite_builder)

set(ECL_BACKCLI_MODEL ${CMAKE_SOURCE_DIR}/models/mobilenet_v2.tflite)
foreach(t backcli_help backcli_extract backcli_classify backcli_errors)
  add_test(NAME ${t}
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/backcli/${t}.sh $<TARGET_FILE:edgecl_cli>
                   $<TARGET_FILE:backcli_featcheck> ${ECL_BACKCLI_MODEL})
  set_tests_properties(${t} PROPERTIES LABELS "backcli" TIMEOUT 300 SKIP_RETURN_CODE 77
                                       ENVIRONMENT "ECL_MKMODEL=$<TARGET_FILE:backcli_mkmodel>")
endforeach()

# Out-of-memory handling: an LD_PRELOAD malloc that fails one chosen request (glibc, and not in
# sanitizer or fuzzer builds, whose runtime owns malloc; the test skips without it).
set(ECL_FAILMALLOC "")
if(CMAKE_SYSTEM_NAME STREQUAL "Linux" AND NOT ECL_SANITIZE AND NOT ECL_FUZZ)
  add_library(backcli_failmalloc MODULE ${CMAKE_SOURCE_DIR}/tests/backcli/failmalloc.c)
  set(ECL_FAILMALLOC $<TARGET_FILE:backcli_failmalloc>)
endif()
add_test(NAME backcli_oom
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/backcli/backcli_oom.sh $<TARGET_FILE:edgecl_cli>
                 $<TARGET_FILE:backcli_featcheck> ${ECL_BACKCLI_MODEL})
set_tests_properties(backcli_oom PROPERTIES LABELS "backcli" TIMEOUT 300 SKIP_RETURN_CODE 77
                     ENVIRONMENT "ECL_MKMODEL=$<TARGET_FILE:backcli_mkmodel>;ECL_FAILMALLOC=${ECL_FAILMALLOC}")

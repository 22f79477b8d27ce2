# Examples (owner: backcli): small programs a user copies. Built with the project; the CTest
# tests run them and check their self-reported results.
add_executable(example_minimal_learn ${CMAKE_SOURCE_DIR}/examples/minimal_learn.c)
target_link_libraries(example_minimal_learn PRIVATE edgecl m)
add_test(NAME example_minimal_learn COMMAND example_minimal_learn)
set_tests_properties(example_minimal_learn PROPERTIES LABELS "examples" TIMEOUT 60
  PASS_REGULAR_EXPRESSION "final accuracy on all 4 classes: (9[0-9]|100)\\.[0-9]% .*restored from state: same")

# The whole pipeline: needs the image decoder from tools/common (libpng) and the model file.
add_executable(example_extract_and_learn ${CMAKE_SOURCE_DIR}/examples/extract_and_learn.c)
target_link_libraries(example_extract_and_learn PRIVATE edgecl_tools edgecl_port edgecl m)
set(ECL_EXAMPLE_MODEL ${CMAKE_SOURCE_DIR}/models/mobilenet_v2.tflite)
if(EXISTS ${ECL_EXAMPLE_MODEL})
  set(g ${CMAKE_SOURCE_DIR}/tests/data/golden)
  add_test(NAME example_extract_and_learn
           COMMAND example_extract_and_learn ${ECL_EXAMPLE_MODEL} ${g}/astronaut.png
                   ${g}/chelsea.png ${g}/coffee.png ${g}/rocket.png ${g}/hubble.png)
  set_tests_properties(example_extract_and_learn PROPERTIES LABELS "examples" TIMEOUT 120
    PASS_REGULAR_EXPRESSION "recognised 5/5 mirrored photos")
endif()

# Installed library and Python module (issue 11; owner: pkg11). Not under sanitizers or fuzzing
# (an ASan-instrumented libedgecl cannot be dlopen'ed by python3 nor linked by a plain consumer:
# label no-asan) nor when cross-compiling (the consumer and python3 run on the host).
if(NOT ECL_SANITIZE AND NOT ECL_FUZZ AND NOT CMAKE_CROSSCOMPILING)
  include(${CMAKE_SOURCE_DIR}/cmake/python.cmake)
  include(GNUInstallDirs)
  # Against a scratch `cmake --install` prefix, then against the .deb unpacked in a scratch root:
  # consumer via pkg-config (shared + static) and find_package(edgecl CONFIG), exports, soname,
  # the installed Python module.
  foreach(mode prefix deb)
    add_test(NAME install_${mode}
      COMMAND bash ${CMAKE_SOURCE_DIR}/tests/consumer/install_check.sh ${mode} ${CMAKE_BINARY_DIR}
              ${CMAKE_SOURCE_DIR} "${ECL_PYTHON3}" ${PROJECT_VERSION} ${ECL_PYTHON_INSTALL_DIR})
    set_tests_properties(install_${mode} PROPERTIES LABELS "install;no-asan" TIMEOUT 180
      SKIP_RETURN_CODE 77 RESOURCE_LOCK edgecl_install)
  endforeach()
  # The Python module from the build tree: python3 -m unittest (tests/python/).
  if(ECL_PYTHON3)
  add_test(NAME python_edgecl
    COMMAND ${CMAKE_COMMAND} -E env EDGECL_LIB_DIR=${CMAKE_BINARY_DIR}/lib
            PYTHONPATH=${CMAKE_SOURCE_DIR}/tools/python
            ECL_SOURCE_DIR=${CMAKE_SOURCE_DIR} ECL_BUILD_DIR=${CMAKE_BINARY_DIR}
            ${ECL_PYTHON3} -m unittest discover -s ${CMAKE_SOURCE_DIR}/tests/python -v)
  set_tests_properties(python_edgecl PROPERTIES LABELS "python;no-asan" TIMEOUT 180
    SKIP_RETURN_CODE 77)
  # The example script on the project's test photos (learn each, name its mirror image).
  if(EXISTS ${CMAKE_SOURCE_DIR}/models/mobilenet_v2.tflite)
    add_test(NAME example_python_learn_photos
      COMMAND ${CMAKE_COMMAND} -E env EDGECL_LIB_DIR=${CMAKE_BINARY_DIR}/lib
              PYTHONPATH=${CMAKE_SOURCE_DIR}/tools/python
              ${ECL_PYTHON3} ${CMAKE_SOURCE_DIR}/examples/python/learn_photos.py)
    set_tests_properties(example_python_learn_photos PROPERTIES LABELS "examples;python;no-asan"
      TIMEOUT 120 PASS_REGULAR_EXPRESSION "restored learner agrees.*recognised 5/5")
  endif()
  endif()
endif()

# Port layer (files, atomic save).
if(NOT COMMAND ecl_add_test)
  include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
endif()
ecl_add_test(test_port ${CMAKE_SOURCE_DIR}/tests/test_port.c)
set_tests_properties(test_port PROPERTIES LABELS reliab)

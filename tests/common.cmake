# Shared test helpers. Each test area adds its tests in its own tests/<area>.cmake with
# ecl_add_test(name source... ) which links cmocka + the library + the tools' common code.
find_library(CMOCKA_LIB cmocka REQUIRED)
function(ecl_add_test name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE edgecl_tools edgecl_port edgecl ${CMOCKA_LIB} m)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/tests)
  target_compile_definitions(${name} PRIVATE ECL_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
                             ECL_BINARY_DIR="${CMAKE_BINARY_DIR}")
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 300)
endfunction()

# Tests of the web demo (`edgecl serve`): the HTTP API and its error handling (C, stand-in
# backbone), and the browser end-to-end test (node + playwright-core + chromium, real backbone).
if(PkgConfig_FOUND)
  pkg_check_modules(ECL_DEMO_MHD IMPORTED_TARGET libmicrohttpd)
endif()
if(ECL_DEMO_MHD_FOUND)
  include(${CMAKE_SOURCE_DIR}/tools/edgecl/serve_assets.cmake)
  # The server's sources (all but the `edgecl serve` command), compiled once for every test
  # that runs the server in-process (here and tests/reliab.cmake) instead of once per test.
  add_library(ecl_test_serve STATIC
    ${CMAKE_SOURCE_DIR}/tools/edgecl/serve_app.c ${CMAKE_SOURCE_DIR}/tools/edgecl/serve_http.c
    ${CMAKE_SOURCE_DIR}/tools/edgecl/serve_guard.c
    ${CMAKE_SOURCE_DIR}/tools/edgecl/serve_journal.c ${CMAKE_SOURCE_DIR}/tools/edgecl/serve_persist.c
    ${CMAKE_SOURCE_DIR}/tools/edgecl/serve_json.c ${CMAKE_SOURCE_DIR}/tools/edgecl/serve_web.c
    ${CMAKE_SOURCE_DIR}/tools/edgecl/serve_state.c ${CMAKE_SOURCE_DIR}/tools/edgecl/serve_samples.c
    ${CMAKE_SOURCE_DIR}/tools/edgecl/serve_export.c)
  target_include_directories(ecl_test_serve PUBLIC ${CMAKE_SOURCE_DIR}/tools/edgecl)
  target_link_libraries(ecl_test_serve PUBLIC edgecl_tools edgecl_port edgecl edgecl_web_assets
                        PkgConfig::ECL_DEMO_MHD)
  ecl_add_test(test_serve ${CMAKE_SOURCE_DIR}/tests/demo/test_serve.c)
  target_link_libraries(test_serve PRIVATE ecl_test_serve)
  # Kept samples, thumbnails, deleting, "unknown", serving a CLI state (issue 12).
  ecl_add_test(test_serve_samples ${CMAKE_SOURCE_DIR}/tests/demo/test_serve_samples.c)
  target_link_libraries(test_serve_samples PRIVATE ecl_test_serve)
  # The server with a stand-in backbone, for working on the page without a model (not a test).
  add_executable(demo_stub_server EXCLUDE_FROM_ALL ${CMAKE_SOURCE_DIR}/tests/demo/stub_server.c)
  target_link_libraries(demo_stub_server PRIVATE ecl_test_serve)

  add_test(NAME demo_serve_cli
    COMMAND bash ${CMAKE_SOURCE_DIR}/tests/e2e/serve_cli.sh $<TARGET_FILE:edgecl_cli>)
  set_tests_properties(demo_serve_cli PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)

  find_program(ECL_NODE node)
  if(ECL_NODE)
    add_test(NAME demo_e2e
      COMMAND ${ECL_NODE} ${CMAKE_SOURCE_DIR}/tests/e2e/demo_e2e.mjs
              --edgecl $<TARGET_FILE:edgecl_cli> --out ${CMAKE_BINARY_DIR}/demo_e2e
              --docs-png ${CMAKE_SOURCE_DIR}/docs/demo.png)
    set_tests_properties(demo_e2e PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300 COST 55)
  endif()
endif()

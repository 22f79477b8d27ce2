# The web demo (`edgecl serve`, `edgecl demo`): tools/edgecl/cmd_serve.c + serve_*.c are picked
# up by tools/edgecl.cmake when libmicrohttpd is found; the page (web/) is embedded here.
if(MHD_FOUND)
  include(${CMAKE_SOURCE_DIR}/tools/edgecl/serve_assets.cmake)
  target_link_libraries(edgecl_cli PRIVATE edgecl_web_assets)
else()
  message(STATUS "libmicrohttpd not found: `edgecl serve` / `edgecl demo` are not built")
endif()

# Included by tools/serve.cmake and tests/demo.cmake: the build rule that embeds web/* into a
# generated C file (ECL_SERVE_ASSETS_C), rebuilt whenever a file in web/ changes.
include_guard(GLOBAL)
file(GLOB ECL_WEB_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/web/*.html ${CMAKE_SOURCE_DIR}/web/*.js
     ${CMAKE_SOURCE_DIR}/web/*.css ${CMAKE_SOURCE_DIR}/web/*.svg ${CMAKE_SOURCE_DIR}/web/*.png)
list(SORT ECL_WEB_FILES)
set(ECL_SERVE_ASSETS_C ${CMAKE_BINARY_DIR}/generated/serve_web_assets.c)
add_custom_command(OUTPUT ${ECL_SERVE_ASSETS_C}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/generated
  COMMAND ${CMAKE_COMMAND} -DOUT=${ECL_SERVE_ASSETS_C} "-DFILES=${ECL_WEB_FILES}"
          -P ${CMAKE_SOURCE_DIR}/tools/edgecl/serve_embed.cmake
  DEPENDS ${ECL_WEB_FILES} ${CMAKE_SOURCE_DIR}/tools/edgecl/serve_embed.cmake
  COMMENT "Embedding web/ into the edgecl binary" VERBATIM)
# A library of its own, so that the CLI and the tests share one generation step.
add_library(edgecl_web_assets STATIC ${ECL_SERVE_ASSETS_C})

# The Python module (issue 11): tools/python/edgecl/ (ctypes over libedgecl.so) plus its private
# helper _edgecl_fe.so (the tools' image loader and feature extractor, tools/common), installed
# into Debian's python path: <prefix>/lib/python3.<minor>/dist-packages/edgecl/.
include(GNUInstallDirs)
get_property(ECL_SHARED_OK GLOBAL PROPERTY TARGET_SUPPORTS_SHARED_LIBS)
if(NOT ECL_FUZZ AND ECL_SHARED_OK)
  set(ECL_PYFE_MAP ${CMAKE_BINARY_DIR}/edgecl_fe.map)
  file(CONFIGURE OUTPUT ${ECL_PYFE_MAP} CONTENT "{\n  global:\n    eclpy_*;\n  local:\n    *;\n};\n")
  add_library(edgecl_pyfe MODULE ${CMAKE_SOURCE_DIR}/tools/python/pyfe.c)
  set_target_properties(edgecl_pyfe PROPERTIES OUTPUT_NAME _edgecl_fe PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)
  target_link_libraries(edgecl_pyfe PRIVATE edgecl_tools)
  target_link_options(edgecl_pyfe PRIVATE "LINKER:--version-script=${ECL_PYFE_MAP}")

  include(${CMAKE_SOURCE_DIR}/cmake/python.cmake) # ECL_PYTHON3, ECL_PYTHON_INSTALL_DIR
  file(GLOB ECL_PY_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tools/python/edgecl/*.py)
  set(ECL_PY_PKG_DIR ${ECL_PYTHON_INSTALL_DIR}/edgecl)
  install(FILES ${ECL_PY_SRC} DESTINATION ${ECL_PY_PKG_DIR})
  install(TARGETS edgecl_pyfe LIBRARY DESTINATION ${ECL_PY_PKG_DIR})
  # Where libedgecl is, seen from the installed package (relative: the tree can move).
  file(RELATIVE_PATH ECL_PY_TO_LIBDIR /p/${ECL_PY_PKG_DIR} /p/${CMAKE_INSTALL_LIBDIR})
  file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/python/_paths.py CONTENT
    "# written by tools/python.cmake at install: libedgecl relative to this package\nLIBDIR_FROM_PACKAGE = \"${ECL_PY_TO_LIBDIR}\"\n")
  install(FILES ${CMAKE_BINARY_DIR}/python/_paths.py DESTINATION ${ECL_PY_PKG_DIR})
endif()

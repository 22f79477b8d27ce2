# Which python3 runs the Python tests and where the module is installed; shared by
# tools/python.cmake (install rules) and tests/install.cmake (tests).
include_guard(GLOBAL)
# Debian's python3 (not a pyenv or venv one): its sys.path has /usr/local/lib/python3.X/
# dist-packages and /usr/lib/python3.X/dist-packages, and python3-numpy lives there.
find_program(ECL_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT ECL_PYTHON3)
  find_program(ECL_PYTHON3 python3)
endif()
set(ECL_PY_MINOR "")
if(ECL_PYTHON3)
  execute_process(COMMAND ${ECL_PYTHON3} -c "import sys; print(sys.version_info[1])"
    OUTPUT_VARIABLE ECL_PY_MINOR OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
endif()
if(ECL_PY_MINOR STREQUAL "")
  set(ECL_PY_MINOR 11) # Debian 12
endif()
set(ECL_PYTHON_INSTALL_DIR lib/python3.${ECL_PY_MINOR}/dist-packages CACHE STRING
  "where `cmake --install` puts the edgecl Python package (relative to the prefix)")


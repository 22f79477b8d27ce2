# Installable library (issue 11): libedgecl as a shared library (soname with the version, only
# ecl_* symbols exported) and a static archive, both holding the library AND the port layer
# (src/port: files, locks, clocks), so one -ledgecl is enough; headers under include/edgecl/;
# edgecl.pc; edgeclConfig.cmake + version file (find_package(edgecl CONFIG) -> edgecl::edgecl,
# edgecl::edgecl_static); the Python module (tools/python.cmake); a .deb via CPack.
# In-tree targets (the CLI, tests, the MCU build) keep using the static `edgecl`/`edgecl_port`.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The installed libraries reuse the in-tree objects (compiled -fPIC): nothing is compiled twice.
set(ECL_LIB_OBJECTS $<TARGET_OBJECTS:edgecl> $<TARGET_OBJECTS:edgecl_port>)
set(ECL_LIB_OUT ${CMAKE_BINARY_DIR}/lib)

# Exported: the ecl_* functions declared in include/edgecl/*.h (the contract), nothing else; the
# library's internal ecl_* helpers (kernels, planner, state codec) stay local. The linker version
# script is generated from the headers at configure time.
file(GLOB ECL_PUBLIC_HEADERS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/include/edgecl/*.h)
set(ECL_PUBLIC_SYMBOLS "")
foreach(h ${ECL_PUBLIC_HEADERS})
  file(READ ${h} txt)
  string(REGEX MATCHALL "ecl_[A-Za-z0-9_]+[ ]*\\(" calls "${txt}")
  foreach(c ${calls})
    string(REGEX REPLACE "[ ]*\\($" "" c "${c}")
    list(APPEND ECL_PUBLIC_SYMBOLS ${c})
  endforeach()
endforeach()
list(REMOVE_DUPLICATES ECL_PUBLIC_SYMBOLS)
list(SORT ECL_PUBLIC_SYMBOLS)
list(JOIN ECL_PUBLIC_SYMBOLS ";\n    " ECL_PUBLIC_SYMBOLS_TXT)
set(ECL_VERSION_SCRIPT ${CMAKE_BINARY_DIR}/edgecl.map)
file(CONFIGURE OUTPUT ${ECL_VERSION_SCRIPT} CONTENT
  "/* generated from include/edgecl/*.h by tools/install.cmake */\n{\n  global:\n    ${ECL_PUBLIC_SYMBOLS_TXT};\n  local:\n    *;\n};\n")
set(ECL_INSTALL_LIBS "")
get_property(ECL_SHARED_OK GLOBAL PROPERTY TARGET_SUPPORTS_SHARED_LIBS)
if(ECL_SHARED_OK) # not on bare-metal toolchains (Cortex-M): there only the static library
  add_library(edgecl_shared SHARED ${ECL_LIB_OBJECTS})
  set_target_properties(edgecl_shared PROPERTIES
    OUTPUT_NAME edgecl EXPORT_NAME edgecl
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR} # 0.x: a minor release may break ABI
    LIBRARY_OUTPUT_DIRECTORY ${ECL_LIB_OUT}
    LINK_DEPENDS ${ECL_VERSION_SCRIPT})
  target_link_options(edgecl_shared PRIVATE "LINKER:--version-script=${ECL_VERSION_SCRIPT}")
  if(NOT ECL_SANITIZE AND NOT ECL_FUZZ) # sanitizer runtimes come from the executable
    target_link_options(edgecl_shared PRIVATE "LINKER:--no-undefined")
  endif()
  target_link_libraries(edgecl_shared PUBLIC m Threads::Threads)
  target_include_directories(edgecl_shared PUBLIC
    $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  set(ECL_INSTALL_LIBS edgecl_shared)
endif()

add_library(edgecl_static STATIC ${ECL_LIB_OBJECTS})
set_target_properties(edgecl_static PROPERTIES OUTPUT_NAME edgecl EXPORT_NAME edgecl_static
  ARCHIVE_OUTPUT_DIRECTORY ${ECL_LIB_OUT})
target_link_libraries(edgecl_static PUBLIC m Threads::Threads)
target_include_directories(edgecl_static PUBLIC
  $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

install(TARGETS ${ECL_INSTALL_LIBS} edgecl_static EXPORT edgeclTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/edgecl DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

# CMake package: <libdir>/cmake/edgecl/
set(ECL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/edgecl)
install(EXPORT edgeclTargets NAMESPACE edgecl:: DESTINATION ${ECL_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/edgeclConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_SOURCE_DIR}/cmake/edgeclConfig.cmake
  ${CMAKE_BINARY_DIR}/edgeclConfigVersion.cmake DESTINATION ${ECL_CMAKE_DIR})

# pkg-config: relocatable (prefix from ${pcfiledir}), so a .deb unpacked anywhere still works.
set(ECL_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH ECL_PC_TO_PREFIX /p/${ECL_PC_DIR} /p)
string(REGEX REPLACE "/$" "" ECL_PC_TO_PREFIX "${ECL_PC_TO_PREFIX}")
configure_file(${CMAKE_SOURCE_DIR}/cmake/edgecl.pc.in ${CMAKE_BINARY_DIR}/edgecl.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/edgecl.pc DESTINATION ${ECL_PC_DIR})

# .deb: `cpack -G DEB` in the build directory (everything `cmake --install` installs, /usr).
set(CPACK_PACKAGE_NAME edgecl)
set(CPACK_PACKAGE_VENDOR "edgecl")
set(CPACK_PACKAGE_CONTACT "edgecl maintainers <edgecl@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "continual learning on the edge: C library (libedgecl), headers, CLI and Python module")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libpng16-16, libjpeg62-turbo, libmicrohttpd12")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3, python3-numpy, pkg-config")
include(CPack)

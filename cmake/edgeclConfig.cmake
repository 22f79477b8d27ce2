# edgeclConfig.cmake - find_package(edgecl CONFIG) gives:
#   edgecl::edgecl         the shared library (libedgecl.so), headers <edgecl/...>
#   edgecl::edgecl_static  the static archive (libedgecl.a), same headers
# Both hold the library and the port layer (edgecl/port.h); they need libm and threads.
#
#     find_package(edgecl 0.1 CONFIG REQUIRED)
#     target_link_libraries(app PRIVATE edgecl::edgecl)
include(CMakeFindDependencyMacro)
find_dependency(Threads)
include(${CMAKE_CURRENT_LIST_DIR}/edgeclTargets.cmake)

# bench-cl's dataset readers (tools/common/datasets.c) read gzip'd IDX files through zlib
# (Debian: zlib1g-dev).
find_package(ZLIB REQUIRED)
target_link_libraries(edgecl_tools PUBLIC ZLIB::ZLIB)

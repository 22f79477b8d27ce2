# Style is enforced: every tracked C source and header must be clang-format clean
# (.clang-format at the top). Skipped (77) when clang-format or git is not available.
add_test(NAME format_check COMMAND bash ${CMAKE_SOURCE_DIR}/tests/format_check.sh)
set_tests_properties(format_check PROPERTIES SKIP_RETURN_CODE 77 LABELS "style;no-asan" TIMEOUT 120)

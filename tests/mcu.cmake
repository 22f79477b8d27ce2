# Microcontroller check (owner: backcli): the library cross-compiled for Cortex-M4F with
# arm-none-eabi-gcc + newlib (nosys), no malloc/stdio references, sizes printed.
# Skipped (77) without the toolchain: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi
add_test(NAME mcu_cortex_m4 COMMAND bash ${CMAKE_SOURCE_DIR}/tests/mcu/mcu_check.sh)
set_tests_properties(mcu_cortex_m4 PROPERTIES LABELS "mcu" TIMEOUT 300 SKIP_RETURN_CODE 77)

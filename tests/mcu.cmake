# Microcontroller check (owner: backcli): the library cross-compiled for Cortex-M4F with
# arm-none-eabi-gcc + newlib (nosys), no malloc/stdio references, sizes printed.
# Skipped (77) without the toolchain: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi
add_test(NAME mcu_cortex_m4 COMMAND bash ${CMAKE_SOURCE_DIR}/tests/mcu/mcu_check.sh)
set_tests_properties(mcu_cortex_m4 PROPERTIES LABELS "mcu" TIMEOUT 300 SKIP_RETURN_CODE 77)

# A Cortex-M4 firmware that learns (tests/mcu/fw/), booted under qemu-system-arm (MPS2-AN386):
# the backbone and photos from ../shared compiled into flash, NCM and the replay head (uint8
# replay memory) learn three classes on the device. Skipped (77) without the toolchain, qemu or
# ../shared. Not under the sanitizers (a cross build: no-asan).
add_test(NAME mcu_fw_learns COMMAND bash ${CMAKE_SOURCE_DIR}/tests/mcu/fw_test.sh
                                    ${CMAKE_BINARY_DIR}/mcu_fw)
set_tests_properties(mcu_fw_learns PROPERTIES LABELS "mcu;cross;no-asan" TIMEOUT 600
                     SKIP_RETURN_CODE 77)

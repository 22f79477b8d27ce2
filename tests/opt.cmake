# Optimised kernels vs the reference kernels (src/kernels/opt/), and the backbone benchmark's
# command line (bench/backbone.c): --help, bad arguments, and one quick end-to-end run that checks
# opt-vs-ref agreement (skipped when models/mobilenet_v2.tflite has not been generated).
# One executable from one file per concern (tests/kernels_opt.h); its main() runs them all.
set(ECL_KERNELS_OPT_TEST_SOURCES
    ${CMAKE_SOURCE_DIR}/tests/test_kernels_opt.c ${CMAKE_SOURCE_DIR}/tests/test_kernels_opt_f32.c
    ${CMAKE_SOURCE_DIR}/tests/test_kernels_opt_i8.c ${CMAKE_SOURCE_DIR}/tests/test_kernels_opt_rq.c
    ${CMAKE_SOURCE_DIR}/tests/test_kernels_opt_tables.c ${CMAKE_SOURCE_DIR}/tests/kernels_opt_util.c)
ecl_add_test(test_kernels_opt ${ECL_KERNELS_OPT_TEST_SOURCES})
target_link_libraries(test_kernels_opt PRIVATE Threads::Threads)
# The AVX512-VNNI int8 CONV_2D on few input channels and large maps (x86-64 only: it calls the
# kernel by name; skipped at run time without AVX512-VNNI).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  ecl_add_test(test_conv_i8_smallk ${CMAKE_SOURCE_DIR}/tests/test_conv_i8_smallk.c)
endif()

if(TARGET bench_backbone)
  add_test(NAME bench_backbone_cli
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/opt/bench_cli.sh $<TARGET_FILE:bench_backbone>
                   ${CMAKE_SOURCE_DIR})
  set_tests_properties(bench_backbone_cli PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()

# NEON kernels: cross-compiled and run under qemu-aarch64 (skipped without the toolchain).
add_test(NAME kernels_opt_neon_qemu
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/opt/neon_qemu.sh ${CMAKE_SOURCE_DIR})
set_tests_properties(kernels_opt_neon_qemu PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)

# The int8 model's ONNX Runtime peer (tools/convert/onnx_int8_export.mjs): ORT fuses the QDQ graph
# into int8 kernels, and its features/logits/scores stay within a few LSBs of edgecl's int8 model
# on the test images, same top-1 (skipped without node, onnxruntime-node or the int8 model).
# (edgecl_cli is defined later, in tools/edgecl.cmake: the generator expression resolves it.)
add_test(NAME ort_int8_export
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/opt/ort_int8.sh $<TARGET_FILE:edgecl_cli>
                 ${CMAKE_SOURCE_DIR})
set_tests_properties(ort_int8_export PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)

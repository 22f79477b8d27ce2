/* Optimised float32 and int8 kernels (src/kernels/opt/) against the reference kernels on random
 * shapes: odd channel counts, channel/pixel tails, strides 1-3, padding, 1x1 and KxK convolutions,
 * batches, fused activations, and threaded execution through parallel_for (both a serial
 * splitter that hands out uneven ranges in reverse order and a real 2-thread pthread one).
 *
 * Floats agree within a bound on rounding (test_kernels_opt_f32.c), integers bit for bit. If the
 * CPU has no AVX2/FMA (and this is not AArch64) the tests on the installed table are skipped:
 * ecl_kernels_opt_install() then leaves the reference table in place.
 * On x86 the float CONV_2D / DEPTHWISE_CONV_2D tests also run once per instruction set
 * (test_*_avx2, test_*_avx512) whatever table is installed; each is reported SKIPPED when the CPU
 * (or, for AVX-512, the OS's XCR0) lacks it. Likewise the int8 CONV_2D / FULLY_CONNECTED tests
 * (bit-exact) run on the AVX2, AVX512-VNNI and AVX-VNNI kernels (test_*_avx2, test_*_vnni,
 * test_conv_i8*_avxvnni), with zero points at the ends of their ranges too
 * (test_conv_i8_ends_*). On AArch64 the same int8 bodies run on the SDOT kernels
 * (test_*_neondot; SKIPPED when the core, e.g. qemu -cpu cortex-a57, has no dot-product
 * extension) and on the plain NEON ones (test_*_neon).
 *
 * One executable from several files, one concern each, sharing tests/kernels_opt.h:
 *   test_kernels_opt.c         the table that install() picks (test_install) and main();
 *   test_kernels_opt_f32.c     float32 kernels;    test_kernels_opt_i8.c   int8 kernels, QUANTIZE;
 *   test_kernels_opt_rq.c      requantisation;     test_kernels_opt_tables.c  the bodies per ISA;
 *   kernels_opt_util.c         the shared table, random stream and parallel_for splitters. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "kernels_opt.h"
#if defined(__x86_64__) || defined(__aarch64__)
#include "kernels/opt/opt.h" /* the AVX2/AVX-512 and NEON/SDOT entry points, tested one by one */
#endif

/* The table: install leaves what it does not implement untouched. */
static void test_install(void **state) {
    struct ecl_kernels ref = ecl_kernels_ref(), k = ref;
    ecl_kernels_opt_install(&k);
    if (!strcmp(k.name, "avx2") || !strcmp(k.name, "avxvnni") ||
        !strncmp(k.name, "avx512", 6)) { /* int8 on x86 */
        assert_true((const void *)k.conv2d_i8 != (const void *)ref.conv2d_i8);
        assert_true((const void *)k.dwconv_i8 != (const void *)ref.dwconv_i8);
    } else if (strncmp(k.name, "neon", 4) != 0) {
        assert_ptr_equal(k.conv2d_i8, ref.conv2d_i8);
    }
    if (strcmp(k.name, "avx512vnni") != 0 && strncmp(k.name, "neon", 4) != 0)
        assert_ptr_equal(k.fc_i8, ref.fc_i8);
    assert_ptr_equal(k.softmax_f32, ref.softmax_f32);
    assert_ptr_equal(k.maxpool_f32, ref.maxpool_f32);
    assert_non_null(k.name);
    struct ecl_kernels best = ecl_kernels_best();
    assert_string_equal(best.name, k.name);
#if defined(__x86_64__)
    if (ecl_opt_have_avx512_vnni()) {
        assert_string_equal(k.name, "avx512vnni");
        assert_ptr_equal(k.conv2d_i8, ecl_avx512_vnni_conv2d_i8);
        assert_ptr_equal(k.fc_i8, ecl_avx512_vnni_fc_i8);
    } else if (ecl_opt_have_avx512()) {
        assert_string_equal(k.name, "avx512");
    }
    if (ecl_opt_have_avx512()) {
        assert_ptr_equal(k.conv2d_f32, ecl_avx512_conv2d_f32);
        assert_ptr_equal(k.dwconv_f32, ecl_avx512_dwconv_f32);
    }
#endif
#if defined(__aarch64__)
    /* int8 CONV_2D / FULLY_CONNECTED: SDOT exactly when the core reports it; depthwise: NEON */
    int dot = ecl_opt_have_dotprod();
    assert_string_equal(k.name, dot ? "neondot" : "neon");
    assert_ptr_equal(k.conv2d_i8, dot ? ecl_neondot_conv2d_i8 : ecl_neon_conv2d_i8);
    assert_ptr_equal(k.conv2d_i8_scratch,
                     dot ? ecl_neondot_conv2d_i8_scratch : ecl_neon_conv2d_i8_scratch);
    assert_ptr_equal(k.fc_i8, dot ? ecl_neondot_fc_i8 : ecl_neon_fc_i8);
    assert_ptr_equal(k.dwconv_i8, ecl_neon_dwconv_i8);
#endif
    fprintf(stderr, "kernels: %s\n", k.name);
}

int main(void) {
    opt = ecl_kernels_ref();
    ecl_kernels_opt_install(&opt);
    have_opt = strcmp(opt.name, "ref") != 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_install),
        cmocka_unit_test(test_conv_1x1),
        cmocka_unit_test(test_conv_kxk),
        cmocka_unit_test(test_dwconv),
        cmocka_unit_test(test_fc),
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_mean_hw),
        cmocka_unit_test(test_conv_i8),
        cmocka_unit_test(test_dwconv_i8),
        cmocka_unit_test(test_requant_i8),
        cmocka_unit_test(test_requant_single),
#if defined(__aarch64__) || defined(__ARM_NEON)
        cmocka_unit_test(test_requant_neon),
#endif
        cmocka_unit_test(test_fc_i8),
        cmocka_unit_test(test_conv_i8_avx2),
        cmocka_unit_test(test_conv_i8_ends_avx2),
        cmocka_unit_test(test_conv_i8_vnni),
        cmocka_unit_test(test_conv_i8_ends_vnni),
        cmocka_unit_test(test_fc_i8_vnni),
        cmocka_unit_test(test_dwconv_i8_avx2),
        cmocka_unit_test(test_dwconv_i8_vnni),
        cmocka_unit_test(test_conv_i8_avxvnni),
        cmocka_unit_test(test_conv_i8_ends_avxvnni),
        cmocka_unit_test(test_conv_i8_neondot),
        cmocka_unit_test(test_conv_i8_ends_neondot),
        cmocka_unit_test(test_fc_i8_neondot),
        cmocka_unit_test(test_conv_i8_neon),
        cmocka_unit_test(test_conv_i8_ends_neon),
        cmocka_unit_test(test_fc_i8_neon),
        cmocka_unit_test(test_add_i8),
        cmocka_unit_test(test_quantize_i8),
        cmocka_unit_test(test_conv_1x1_avx2),
        cmocka_unit_test(test_conv_kxk_avx2),
        cmocka_unit_test(test_dwconv_avx2),
        cmocka_unit_test(test_conv_1x1_avx512),
        cmocka_unit_test(test_conv_kxk_avx512),
        cmocka_unit_test(test_dwconv_avx512),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

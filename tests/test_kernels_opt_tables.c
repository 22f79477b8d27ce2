/* The float and int8 test bodies (test_kernels_opt_f32.c, test_kernels_opt_i8.c) on each
 * instruction set's kernels explicitly, whatever table is installed: on x86 AVX2 and AVX-512
 * (float), AVX2, AVX512-VNNI and AVX-VNNI (int8); on AArch64 SDOT and plain NEON (int8). A test
 * whose instruction set the CPU (or the OS) lacks reports SKIPPED. */
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

/* x86: the AVX2 and the AVX-512 float conv kernels explicitly, whichever one is installed. */
static int x86_table(int avx512, struct ecl_kernels *t) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
    if (avx512 && !ecl_opt_have_avx512()) return 0;
    *t = ecl_kernels_ref();
    t->name = avx512 ? "avx512" : "avx2";
    t->conv2d_f32 = avx512 ? ecl_avx512_conv2d_f32 : ecl_avx2_conv2d_f32;
    t->conv2d_f32_scratch = avx512 ? ecl_avx512_conv2d_f32_scratch : ecl_avx2_conv2d_f32_scratch;
    t->conv2d_f32_prepack_bytes = avx512 ? ecl_avx512_conv2d_f32_prepack_bytes : 0;
    t->conv2d_f32_prepack = avx512 ? ecl_avx512_conv2d_f32_prepack : 0;
    t->dwconv_f32 = avx512 ? ecl_avx512_dwconv_f32 : ecl_avx2_dwconv_f32;
    return 1;
#else
    (void)avx512, (void)t;
    return 0;
#endif
}
#define ISA_TEST(fn, body, avx512)                                                                 \
    void fn(void **state) {                                                                        \
        struct ecl_kernels t;                                                                      \
        if (!x86_table(avx512, &t)) {                                                              \
            fprintf(stderr, "%s: CPU/OS without %s, skipped\n", #fn,                               \
                    avx512 ? "AVX-512F" : "AVX2");                                                 \
            skip();                                                                                \
        }                                                                                          \
        run_with(t, body);                                                                         \
    }
ISA_TEST(test_conv_1x1_avx2, test_conv_1x1_body, 0)
ISA_TEST(test_conv_kxk_avx2, test_conv_kxk_body, 0)
ISA_TEST(test_dwconv_avx2, test_dwconv_body, 0)
ISA_TEST(test_conv_1x1_avx512, test_conv_1x1_body, 1)
ISA_TEST(test_conv_kxk_avx512, test_conv_kxk_body, 1)
ISA_TEST(test_dwconv_avx512, test_dwconv_body, 1)

/* x86: the AVX2 int8 kernels, the AVX512-VNNI ones (vnni 1) and the AVX-VNNI conv (vnni 2). */
static int x86_q_table(int vnni, struct ecl_kernels *t) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
    if (vnni == 1 && !ecl_opt_have_avx512_vnni()) return 0;
    if (vnni == 2 && !ecl_opt_have_avx_vnni()) return 0;
    *t = ecl_kernels_ref();
    t->name = vnni == 1 ? "avx512vnni" : vnni == 2 ? "avxvnni" : "avx2";
    t->conv2d_i8 = ecl_avx2_conv2d_i8;
    t->conv2d_i8_scratch = ecl_avx2_conv2d_i8_scratch;
    t->conv2d_i8_prepack_bytes = ecl_avx2_conv2d_i8_prepack_bytes;
    t->conv2d_i8_prepack = ecl_avx2_conv2d_i8_prepack;
    t->dwconv_i8 = ecl_avx2_dwconv_i8;
    if (vnni == 1) {
        t->conv2d_i8 = ecl_avx512_vnni_conv2d_i8;
        t->conv2d_i8_scratch = ecl_avx512_vnni_conv2d_i8_scratch;
        t->conv2d_i8_prepack_bytes = ecl_avx512_vnni_conv2d_i8_prepack_bytes;
        t->conv2d_i8_prepack = ecl_avx512_vnni_conv2d_i8_prepack;
        t->fc_i8 = ecl_avx512_vnni_fc_i8;
        t->dwconv_i8 = ecl_avx512_vnni_dwconv_i8;
    } else if (vnni == 2) {
        t->conv2d_i8 = ecl_avxvnni_conv2d_i8;
        t->conv2d_i8_scratch = ecl_avxvnni_conv2d_i8_scratch;
        t->conv2d_i8_prepack_bytes = 0;
        t->conv2d_i8_prepack = 0;
    }
    return 1;
#else
    (void)vnni, (void)t;
    return 0;
#endif
}
#define ISA_Q_TEST(fn, body, vnni)                                                                 \
    void fn(void **state) {                                                                        \
        struct ecl_kernels t;                                                                      \
        if (!x86_q_table(vnni, &t)) {                                                              \
            fprintf(stderr, "%s: CPU/OS without %s, skipped\n", #fn,                               \
                    vnni == 1   ? "AVX512-VNNI"                                                    \
                    : vnni == 2 ? "AVX-VNNI"                                                       \
                                : "AVX2");                                                         \
            skip();                                                                                \
        }                                                                                          \
        run_with(t, body);                                                                         \
    }
ISA_Q_TEST(test_conv_i8_avx2, test_conv_i8_body, 0)
ISA_Q_TEST(test_conv_i8_ends_avx2, test_conv_i8_ends_body, 0)
ISA_Q_TEST(test_conv_i8_vnni, test_conv_i8_body, 1)
ISA_Q_TEST(test_conv_i8_ends_vnni, test_conv_i8_ends_body, 1)
ISA_Q_TEST(test_fc_i8_vnni, test_fc_i8_body, 1)
ISA_Q_TEST(test_dwconv_i8_avx2, test_dwconv_i8_body, 0)
ISA_Q_TEST(test_dwconv_i8_vnni, test_dwconv_i8_body, 1)
ISA_Q_TEST(test_conv_i8_avxvnni, test_conv_i8_body, 2)
ISA_Q_TEST(test_conv_i8_ends_avxvnni, test_conv_i8_ends_body, 2)

/* AArch64: the int8 CONV_2D / FULLY_CONNECTED kernels with SDOT (dot 1) or without (dot 0).
 * These run in the focused test kernels_opt_neon_qemu (tests/opt/neon_qemu.sh builds with
 * ECL_TEST_ARM_TABLES, under qemu -cpu max and -cpu cortex-a57), and only for the table that is
 * not the installed one (that one is tested by test_conv_i8 etc.); the cross-built unit suite
 * (aarch64_suite) leaves them out to keep its time. */
static const char *arm_q_table(int dot, struct ecl_kernels *t) {
#if defined(__aarch64__) && defined(ECL_TEST_ARM_TABLES)
    if (dot && !ecl_opt_have_dotprod()) return "no dot-product extension (HWCAP_ASIMDDP)";
    if (!strcmp(opt.name, dot ? "neondot" : "neon"))
        return "the installed table, tested by the tests without suffix";
    *t = ecl_kernels_ref();
    t->name = dot ? "neondot" : "neon";
    t->conv2d_i8 = dot ? ecl_neondot_conv2d_i8 : ecl_neon_conv2d_i8;
    t->conv2d_i8_scratch = dot ? ecl_neondot_conv2d_i8_scratch : ecl_neon_conv2d_i8_scratch;
    t->fc_i8 = dot ? ecl_neondot_fc_i8 : ecl_neon_fc_i8;
    return NULL;
#elif defined(__aarch64__)
    (void)dot, (void)t;
    return "run by kernels_opt_neon_qemu (tests/opt/neon_qemu.sh)";
#else
    (void)dot, (void)t;
    return "not AArch64";
#endif
}
#define ARM_Q_TEST(fn, body, dot)                                                                  \
    void fn(void **state) {                                                                        \
        struct ecl_kernels t;                                                                      \
        const char *why = arm_q_table(dot, &t);                                                    \
        if (why) {                                                                                 \
            fprintf(stderr, "%s: %s, SKIPPED\n", #fn, why);                                        \
            skip();                                                                                \
        }                                                                                          \
        run_with(t, body);                                                                         \
    }
ARM_Q_TEST(test_conv_i8_neondot, test_conv_i8_body, 1)
ARM_Q_TEST(test_conv_i8_ends_neondot, test_conv_i8_ends_body, 1)
ARM_Q_TEST(test_fc_i8_neondot, test_fc_i8_body, 1)
ARM_Q_TEST(test_conv_i8_neon, test_conv_i8_body, 0)
ARM_Q_TEST(test_conv_i8_ends_neon, test_conv_i8_ends_body, 0)
ARM_Q_TEST(test_fc_i8_neon, test_fc_i8_body, 0)

/* tests/kernels_opt.h - what the optimised-kernel tests (tests/test_kernels_opt*.c, one
 * executable: test_kernels_opt) share: the kernel table under test, the random numbers, the
 * parallel_for splitters (tests/kernels_opt_util.c), the test bodies that run once per table, and
 * the test functions main() lists. One random stream runs through all the tests in main()'s
 * order, so each test sees the same cases whichever file it lives in.
 *
 *     struct ecl_kernels t = ecl_kernels_ref();
 *     t.conv2d_i8 = ecl_avx2_conv2d_i8;        // the table to test
 *     run_with(t, test_conv_i8_body);          // the body on it; `opt` is restored after
 *     struct ecl_kctx kc = kctx(2);            // a real 2-thread parallel_for
 *     int s = rint_(1, 3);                     // uniform in [1, 3]
 */
#ifndef EDGECL_TESTS_KERNELS_OPT_H
#define EDGECL_TESTS_KERNELS_OPT_H

#include <stdint.h>
#include "kernels/kernels.h"

/* ---- shared state and helpers (tests/kernels_opt_util.c) ---- */
extern struct ecl_kernels opt; /* the table under test: the installed one, or run_with()'s */
extern int have_opt;           /* the installed table is not the reference one */
extern int scratch_used;       /* conv cases that ran with a kernel scratch */
uint32_t rnd(void);            /* xorshift: one stream for the whole executable */
int rint_(int lo, int hi);     /* [lo, hi] */
/* mode 0: no parallel_for; 1: a serial splitter handing out uneven ranges in reverse order
 * (3 parts); 2: two real pthreads */
struct ecl_kctx kctx(int mode);
int out_dim(int in, int k, int s, int pad_total);
void run_with(struct ecl_kernels t, void (*body)(void)); /* body() with opt = t */

/* ---- bodies run on the installed table and on each instruction set's (kernels_opt_tables.c) */
void test_conv_1x1_body(void); /* test_kernels_opt_f32.c */
void test_conv_kxk_body(void);
void test_dwconv_body(void);
void test_conv_i8_body(void); /* test_kernels_opt_i8.c */
void test_conv_i8_ends_body(void);
void test_fc_i8_body(void);
void test_dwconv_i8_body(void);

/* ---- the tests ---- */
/* test_kernels_opt_f32.c: float32 kernels on the installed table */
void test_conv_1x1(void **state);
void test_conv_kxk(void **state);
void test_dwconv(void **state);
void test_fc(void **state);
void test_add(void **state);
void test_mean_hw(void **state);
/* test_kernels_opt_i8.c: int8 kernels (and QUANTIZE) on the installed table */
void test_conv_i8(void **state);
void test_dwconv_i8(void **state);
void test_fc_i8(void **state);
void test_add_i8(void **state);
void test_quantize_i8(void **state);
/* test_kernels_opt_rq.c: requantisation */
void test_requant_i8(void **state);
void test_requant_single(void **state);
#if defined(__aarch64__) || defined(__ARM_NEON)
void test_requant_neon(void **state);
#endif
/* test_kernels_opt_tables.c: the bodies above on each x86 / AArch64 table explicitly */
void test_conv_1x1_avx2(void **state);
void test_conv_kxk_avx2(void **state);
void test_dwconv_avx2(void **state);
void test_conv_1x1_avx512(void **state);
void test_conv_kxk_avx512(void **state);
void test_dwconv_avx512(void **state);
void test_conv_i8_avx2(void **state);
void test_conv_i8_ends_avx2(void **state);
void test_conv_i8_vnni(void **state);
void test_conv_i8_ends_vnni(void **state);
void test_fc_i8_vnni(void **state);
void test_dwconv_i8_avx2(void **state);
void test_dwconv_i8_vnni(void **state);
void test_conv_i8_avxvnni(void **state);
void test_conv_i8_ends_avxvnni(void **state);
void test_conv_i8_neondot(void **state);
void test_conv_i8_ends_neondot(void **state);
void test_fc_i8_neondot(void **state);
void test_conv_i8_neon(void **state);
void test_conv_i8_ends_neon(void **state);
void test_fc_i8_neon(void **state);

#endif

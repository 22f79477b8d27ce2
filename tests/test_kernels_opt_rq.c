/* Requantisation (int32 accumulator -> int8) against exact references: the corner cases through
 * the installed table's int8 CONV_2D, ecl_requant_single() against ruy's formula in 128 bits, and
 * on AArch64 the NEON helper every NEON int8 kernel uses (kernels/opt/arm/q_neon.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include "kernels_opt.h"

/* Requantisation corner cases through a 1x1 conv with K = 1: accumulators that hit the
 * saturating left shift, exact rounding ties (x * m = k * 2^31 +- 2^30) and extreme shifts. */
void test_requant_i8(void **state) {
    enum { C = 40, P = 64 };
    int32_t mult[C], shift[C], bias[C];
    int8_t in[P], w[C], r[P * C], o[P * C];
    struct ecl_conv_params p = {0};
    p.stride_h = p.stride_w = p.dil_h = p.dil_w = 1;
    p.act_min_q = -128, p.act_max_q = 127;
    p.out_mult = mult, p.out_shift = shift;
    for (int c = 0; c < C; c++) {
        mult[c] = c % 5 == 0 ? (1 << 30) : (int32_t)((1u << 30) + rnd() % (1u << 30));
        shift[c] = c % 8 == 0 ? 31 : c % 8 == 1 ? -31 : c % 8 == 2 ? 20 : rint_(-14, 2);
        bias[c] = c % 3 == 0 ? INT32_MAX - 40000 : c % 3 == 1 ? (1 << (c % 20)) : -(1 << (c % 20));
        w[c] = (int8_t)rint_(-127, 127);
    }
    for (int i = 0; i < P; i++)
        in[i] = (int8_t)(i - 32);
    struct ecl_shape4 is = {1, 8, 8, 1}, ws = {C, 1, 1, 1}, os = {1, 8, 8, C};
    for (int zp = -128; zp <= 127 + 256; zp += 85) {
        p.rounding = zp > 127 ? ECL_ROUND_SINGLE : ECL_ROUND_DOUBLE; /* each zp in both modes */
        p.in_zp = zp > 127 ? zp - 256 : zp, p.out_zp = -p.in_zp / 2;
        size_t need = opt.conv2d_i8_scratch ? opt.conv2d_i8_scratch(&p, is, ws, os, 1) : 0;
        void *scratch = need ? aligned_alloc(64, (need + 63) & ~(size_t)63) : NULL;
        struct ecl_kctx kc0 = {0}, kc = {0};
        kc.scratch = scratch, kc.scratch_bytes = need;
        ecl_ref_conv2d_i8(&kc0, &p, in, is, w, ws, bias, r, os);
        opt.conv2d_i8(&kc, &p, in, is, w, ws, bias, o, os);
        assert_memory_equal(r, o, sizeof r);
        free(scratch);
    }
}

/* ecl_requant_single() against ruy's formula evaluated in 128 bits, (x*m + 2^(k-1)) >> k with
 * k = 31 - shift, saturated to int32: exact ties of both signs (m = 2^30, odd multiples of
 * halves), random values, every shift in [-31, 31], and the extremes of x. */
void test_requant_single(void **state) {
    static const int32_t xs[] = {0, 1, -1, 2, -2, 3, -3, 5, -5, INT32_MAX, INT32_MIN, 1 << 30};
    long checked = 0, ties_differ = 0;
    for (int shift = -31; shift <= 31; shift++)
        for (int it = 0; it < 400; it++) {
            int32_t m = it % 4 == 0 ? (1 << 30) : (int32_t)((1u << 30) + rnd() % (1u << 30));
            int32_t x = it < 12 ? xs[it] : (int32_t)rnd() >> (rnd() % 31);
            int k = 31 - shift;
            __int128 pr = (__int128)x * m, want;
            want = k >= 1 ? (pr + ((__int128)1 << (k - 1))) >> k : pr * ((__int128)1 << -k);
            if (want > INT32_MAX) want = INT32_MAX;
            if (want < INT32_MIN) want = INT32_MIN;
            assert_int_equal(ecl_requant_single(x, m, shift), (int32_t)want);
            assert_int_equal(ecl_requant_r(x, m, shift, ECL_ROUND_SINGLE), (int32_t)want);
            if (shift <= 0 && ecl_requant(x, m, shift) != (int32_t)want) ties_differ++;
            checked++;
        }
    /* the two roundings really differ on these inputs (negative ties, double-rounding cases) */
    assert_true(ties_differ > 0);
    fprintf(stderr, "requant_single: %ld values, %ld where double rounding differs\n", checked,
            ties_differ);
}

#if defined(__aarch64__) || defined(__ARM_NEON)
#include "kernels/opt/arm/q_neon.h"
/* The NEON requantisation helper every NEON int8 kernel uses (q_neon.h) against
 * ecl_requant_r(), both roundings, every shift it accepts, ties and extreme accumulators: the
 * raw value, and the output stage (+ zp, clamp) the kernels apply. Single rounding with a left
 * shift is exact through the output stage only when x * 2^shift saturates (q_neon.h). */
void test_requant_neon(void **state) {
    static const int32_t xs[] = {0, 1, -1, 3, -3, INT32_MAX, INT32_MIN, 1 << 30, -(1 << 30)};
    long checked = 0, saturated = 0;
    for (int rounding = 0; rounding < 2; rounding++)
        for (int it = 0; it < 20000; it++) {
            int32_t m[4], sh[4], x[4], got[4], out[4];
            int32_t zp = rint_(-128, 127), lo = rint_(-128, 0), hi = rint_(lo, 127);
            for (int l = 0; l < 4; l++) {
                m[l] = rnd() % 4 == 0 ? (1 << 30) : (int32_t)((1u << 30) + rnd() % (1u << 30));
                if (rnd() % 8 == 0) m[l] = -m[l];
                sh[l] = rint_(-31, rounding == ECL_ROUND_SINGLE ? 30 : 31);
                x[l] = it < 9 ? xs[it] : (int32_t)rnd() >> (rnd() % 31);
            }
            assert_true(rqn_vec_ok(m, sh, 4, rounding));
            struct rqn r = rqn_load(m, sh, rounding);
            struct rqo o = rqo_make(zp, lo, hi);
            vst1q_s32(got, rqn_raw(vld1q_s32(x), &r));
            vst1q_s32(out, rqo_requant(vld1q_s32(x), &r, &o));
            for (int l = 0; l < 4; l++) {
                int32_t want = ecl_requant_r(x[l], m[l], sh[l], rounding);
                int32_t want_out = ecl_requant_out_r(x[l], m[l], sh[l], zp, lo, hi, rounding);
                int sat =
                    rounding == ECL_ROUND_SINGLE && sh[l] > 0 &&
                    (int64_t)x[l] * ((int64_t)1 << sh[l]) != (int32_t)((uint32_t)x[l] << sh[l]);
                saturated += sat;
                if ((!sat && got[l] != want) || out[l] != want_out)
                    fprintf(stderr,
                            "neon requant x %d m %d shift %d rounding %d: %d (out %d), want %d "
                            "(out %d)\n",
                            x[l], m[l], sh[l], rounding, got[l], out[l], want, want_out);
                if (!sat) assert_true(got[l] == want);
                assert_true(out[l] == want_out);
                checked++;
            }
        }
    assert_true(saturated > 0);
    int32_t small = (1 << 30) - 1, lsh = 1, big = 31;
    assert_true(!rqn_vec_ok(&small, &lsh, 1, ECL_ROUND_SINGLE)); /* |m| < 2^30 with a left shift */
    assert_true(!rqn_vec_ok(&small, &big, 1, ECL_ROUND_SINGLE));
    fprintf(stderr, "requant_neon: %ld lanes, %ld with a saturating left shift\n", checked,
            saturated);
}
#endif

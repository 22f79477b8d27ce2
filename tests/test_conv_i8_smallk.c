/* int8 CONV_2D with few input channels on large maps (MobileNetV2's 112x112 / 56x56 / 28x28 1x1
 * convolutions, K = 16..32) through the AVX512-VNNI kernel, bit-exact against the reference:
 * whole 6-pixel tiles and a pixel tail, Cout = 16 (adjacent 64-byte stores of 4 pixels), 96 / 144
 * / 192 (4, 3, 2 and 1 blocks of 16 per tile) and odd counts (channel tails), weights packed
 * per call and at plan time, both roundings, int8 (w_zp = 0) and uint8 (w_zp != 0) models, a
 * threaded split. The requantisation parameters stay in the vector path's domain (shifts -31..
 * 3, |mult| >= 2^30), including:
 *   - tie channels: mult = 2^30, shift -1..-6, weights in [-2, 2] and no bias, so that the
 *     accumulators x are small and x * mult / 2^(31+k) lands exactly on .5 for many pixels (the
 *     test counts them from its own accumulators and requires some, in both signs);
 *   - shift -31 (rounding term 2^61 in the 64-bit path) and left shifts (saturating pre-shift),
 *     or none (every shift <= -1, as in real models);
 *   - biases near +-2^30 (large accumulators, products near 2^61).
 * Skipped when the CPU or OS lacks AVX512-VNNI. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernels/kernels.h"
#include "kernels/opt/opt.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint32_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
static int rint_(int lo, int hi) /* [lo, hi] */
{
    return lo + (int)(rnd() % (uint32_t)(hi - lo + 1));
}

/* uneven ranges, last first (a kernel that depends on range order or size breaks here) */
static void pf_split3(void *user, int n, ecl_task_fn fn, void *ctx) {
    (void)user;
    int cut[4] = {0, n / 7, n / 2, n};
    for (int i = 2; i >= 0; i--)
        if (cut[i + 1] > cut[i]) fn(ctx, cut[i], cut[i + 1]);
}

struct tally {
    long outputs, clamped, ties_pos, ties_neg;
};

/* channel kinds: 0 realistic, 1 tie channel, 2 shift -31, 3 left shift, 4 big bias */
static int left_shifts = 1; /* 0: no kind-3 channels (every shift <= -1) */
static int chan_kind(int c) {
    static const int kinds[8] = {0, 1, 1, 0, 2, 1, 3, 4}; /* ties in even and odd lanes */
    return kinds[c % 8] == 3 && !left_shifts ? 0 : kinds[c % 8];
}

static void make_params(int oc, int K, int32_t *mult, int32_t *shift, int32_t *bias) {
    for (int c = 0; c < oc; c++) {
        double real = (0.5 + (double)rnd() / 4294967296.0) * 30.0 / (3000.0 * K);
        ecl_quantize_multiplier(real, &mult[c], &shift[c]);
        bias[c] = rint_(-20000, 20000);
        switch (chan_kind(c)) {
        case 1:
            mult[c] = 1 << 30, shift[c] = -rint_(1, 6), bias[c] = 0;
            break;
        case 2:
            shift[c] = -31;
            break;
        case 3:
            shift[c] = rint_(1, 3);
            break;
        case 4:
            bias[c] = rnd() % 2 ? (1 << 30) - rint_(0, 1000) : -(1 << 30) + rint_(0, 1000);
            shift[c] = -rint_(20, 31);
            break;
        }
    }
}

/* x * m / 2^(31 - shift) exactly halfway between two integers (single rounding's tie) */
static int is_tie(int32_t x, int32_t m, int32_t shift) {
    int k = 31 - shift;
    if (k < 1 || k > 62) return 0;
    __int128 p = (__int128)x * m, r = p & (((__int128)1 << k) - 1);
    return r == ((__int128)1 << (k - 1));
}

static int run_case(int ih, int iw, int ic, int oc, int k, int stride, int rounding, int wzp,
                    int threaded, struct tally *t) {
    struct ecl_conv_params p = {0};
    p.stride_h = p.stride_w = stride, p.dil_h = p.dil_w = 1;
    p.pad_top = p.pad_left = k / 2;
    p.in_zp = rint_(-128, 127), p.w_zp = wzp, p.out_zp = rint_(-100, 100);
    p.act_min_q = rnd() % 4 ? -128 : p.out_zp, p.act_max_q = 127; /* a quarter RELU */
    p.rounding = rounding;
    const int oh = (ih + 2 * (k / 2) - k) / stride + 1, ow = (iw + 2 * (k / 2) - k) / stride + 1;
    struct ecl_shape4 is = {1, ih, iw, ic}, ws = {oc, k, k, ic}, os = {1, oh, ow, oc};
    const int K = k * k * ic;
    int32_t *mult = malloc(sizeof(int32_t) * oc), *shift = malloc(sizeof(int32_t) * oc);
    int32_t *bias = malloc(sizeof(int32_t) * oc);
    int8_t *in = malloc(ecl_shape4_count(is)), *w = malloc(ecl_shape4_count(ws));
    size_t no = ecl_shape4_count(os);
    int8_t *r = malloc(no), *o = malloc(no);
    assert_true(mult && shift && bias && in && w && r && o);
    make_params(oc, K, mult, shift, bias);
    p.out_mult = mult, p.out_shift = shift;
    for (size_t i = 0; i < ecl_shape4_count(is); i++)
        in[i] = (int8_t)rint_(-128, 127);
    for (int c = 0; c < oc; c++)
        for (int q = 0; q < K; q++) /* tie channels: small accumulators */
            w[(size_t)c * K + q] =
                (int8_t)(chan_kind(c) == 1 ? wzp + rint_(-2, 2) : rint_(-127, 127));
    struct ecl_kctx kc0 = {0};
    ecl_ref_conv2d_i8(&kc0, &p, in, is, w, ws, bias, r, os);

    /* the 1x1 accumulators, to count ties and clamped outputs */
    if (k == 1)
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
                for (int c = 0; c < oc; c++) {
                    const int8_t *a = in + ((size_t)y * stride * iw + (size_t)x * stride) * ic;
                    int32_t acc = bias[c];
                    for (int q = 0; q < ic; q++)
                        acc += (a[q] - p.in_zp) * (w[(size_t)c * K + q] - wzp);
                    if (rounding == ECL_ROUND_SINGLE && is_tie(acc, mult[c], shift[c])) {
                        int8_t v = r[((size_t)y * ow + x) * oc + c];
                        if (v > p.act_min_q && v < p.act_max_q) {
                            if (acc > 0) t->ties_pos++;
                            if (acc < 0) t->ties_neg++;
                        }
                    }
                }
    for (size_t i = 0; i < no; i++) /* the realistic channels */
        if (chan_kind((int)(i % (size_t)oc)) == 0) {
            t->clamped += r[i] == p.act_min_q || r[i] == p.act_max_q;
            t->outputs++;
        }

    struct ecl_kctx kc = {threaded ? pf_split3 : NULL, NULL, threaded ? 2 : 1, NULL, 0};
    size_t need = ecl_avx512_vnni_conv2d_i8_scratch(&p, is, ws, os, kc.n_threads);
    void *scratch = aligned_alloc(64, (need + 63) & ~(size_t)63);
    assert_non_null(scratch);
    memset(scratch, 0x5a, need);
    kc.scratch = scratch, kc.scratch_bytes = need;
    memset(o, 0x33, no);
    ecl_avx512_vnni_conv2d_i8(&kc, &p, in, is, w, ws, bias, o, os);
    int diff = 0;
    for (size_t i = 0; i < no; i++)
        diff += r[i] != o[i];

    /* packed at plan time: the kernel must read the packed copy, not w nor the scratch */
    size_t pb = ecl_avx512_vnni_conv2d_i8_prepack_bytes(&p, is, ws, os);
    assert_true(pb > 0);
    void *packed = aligned_alloc(64, (pb + 63) & ~(size_t)63);
    assert_non_null(packed);
    memset(packed, 0x5a, pb);
    ecl_avx512_vnni_conv2d_i8_prepack(&p, is, w, ws, bias, os, packed);
    memset(w, 0x7f, ecl_shape4_count(ws));
    p.w_packed = packed;
    kc.scratch = NULL, kc.scratch_bytes = 0;
    memset(o, 0x33, no);
    ecl_avx512_vnni_conv2d_i8(&kc, &p, in, is, w, ws, bias, o, os);
    for (size_t i = 0; i < no; i++)
        diff += r[i] != o[i];
    if (diff)
        fprintf(stderr, "%dx%dx%d -> %d k%d s%d round %d w_zp %d threaded %d: %d differ\n", ih, iw,
                ic, oc, k, stride, rounding, wzp, threaded, diff);
    free(packed), free(scratch), free(mult), free(shift), free(bias), free(in), free(w), free(r),
        free(o);
    return diff;
}

static void test_smallk_vnni(void **state) {
    (void)state;
    if (!ecl_opt_have_avx512_vnni()) {
        fprintf(stderr, "test_smallk_vnni: CPU/OS without AVX512-VNNI, SKIPPED\n");
        skip();
    }
    /* {h, w, Cin, Cout}: MobileNetV2's shapes, then tails (pixels % 6 != 0, Cout % 16 != 0) */
    static const int shapes[][4] = {
        {112, 112, 32, 16}, {112, 112, 16, 96}, {56, 56, 24, 144}, {28, 28, 32, 192},
        {13, 11, 16, 17},   {9, 7, 24, 40},     {17, 5, 32, 50},   {7, 13, 16, 64},
        {5, 5, 20, 33},     {1, 1, 16, 16},     {3, 3, 12, 112},   {11, 9, 8, 160},
        {3, 3, 16, 208},    {2, 5, 24, 200}, /* few tiles: channel slices of 3 and 4 blocks */
    };
    const int n = (int)(sizeof shapes / sizeof shapes[0]);
    struct tally t = {0};
    int bad = 0;
    for (int s = 0; s < n; s++)
        for (int mode = 0; mode < 4; mode++) {
            int rounding = mode & 1 ? ECL_ROUND_SINGLE : ECL_ROUND_DOUBLE;
            int wzp = mode & 2 ? (s % 3 == 0 ? 127 : s % 3 == 1 ? -128 : rint_(-40, 40)) : 0;
            left_shifts = (s + mode / 2) % 2;
            bad += run_case(shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3], 1, 1, rounding,
                            wzp, (s + mode) % 3 == 0 || s >= n - 2, &t);
        }
    /* 1x1 stride 2 and 3x3 with few channels (the gathered, non-contiguous tile rows) */
    for (int mode = 0; mode < 4; mode++) {
        int rounding = mode & 1 ? ECL_ROUND_SINGLE : ECL_ROUND_DOUBLE, wzp = mode & 2 ? 13 : 0;
        left_shifts = mode < 2;
        bad += run_case(29, 31, 24, 48, 1, 2, rounding, wzp, mode == 1, &t);
        bad += run_case(23, 19, 3, 32, 3, 2, rounding, wzp, mode == 2, &t);
        bad += run_case(15, 17, 8, 20, 3, 1, rounding, wzp, mode == 3, &t);
    }
    fprintf(stderr,
            "smallk: %ld outputs of realistic channels, %.1f%% at the activation bounds, "
            "single-rounding ties inside "
            "the range: %ld positive, %ld negative\n",
            t.outputs, 100.0 * (double)t.clamped / (double)t.outputs, t.ties_pos, t.ties_neg);
    assert_true(t.clamped < t.outputs / 2); /* most outputs exercise the rounding */
    assert_true(t.ties_pos > 100 && t.ties_neg > 100);
    assert_int_equal(bad, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_smallk_vnni)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

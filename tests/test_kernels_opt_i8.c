/* Optimised int8 kernels against the reference, bit-exact: CONV_2D (1x1, KxK, dilation, folded
 * padding, prepacked weights, zero points at the ends of their ranges), FULLY_CONNECTED,
 * DEPTHWISE_CONV_2D and ADD on the installed table, and QUANTIZE float -> int8. The CONV_2D /
 * FULLY_CONNECTED / DEPTHWISE_CONV_2D bodies also run per instruction set
 * (test_kernels_opt_tables.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernels_opt.h"
#if defined(__x86_64__) || defined(__aarch64__)
#include "kernels/opt/opt.h" /* the AVX2/AVX-512 and NEON/SDOT entry points, tested one by one */
#endif

static size_t q_outputs, q_saturated; /* int8 cases: outputs, outputs at the clamp bounds */

/* ---- int8 CONV_2D / DEPTHWISE_CONV_2D: bit-exact with the reference ---- */
static int8_t *rbuf_i8(size_t n, int lo, int hi) {
    int8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (int8_t)rint_(lo, hi);
    return p;
}

/* Per-channel requantisation as the interpreter makes it: real multiplier in_scale * w_scale[c] /
 * out_scale, here drawn around 1/(typical |acc|) so outputs span the int8 range (sometimes
 * large multipliers with a positive shift, sometimes tiny ones). RELU-like ranges put about half
 * of their outputs at the lower bound; the tests check that most outputs are not clamped. */
static int q_ends; /* 1: zero points at the ends of their range, weights down to -128 */
static void q_params(struct ecl_conv_params *p, int oc, int K, int32_t *mult, int32_t *shift) {
    p->in_zp = rint_(-128, 127);
    /* a third of the cases a uint8 model's filter zero point, lowered (uint8 zp - 128: real
     * models' filter zero points are 90..170) */
    p->w_zp = rnd() % 3 == 0 ? rint_(-40, 40) : 0;
    if (q_ends) {
        static const int32_t ends[] = {-128, 127, 0, -127, 126};
        p->in_zp = ends[rnd() % 5];
        p->w_zp = ends[rnd() % 5];
    }
    p->out_zp = rint_(-128, 127);
    switch (rnd() % 4) {
    case 0:
    case 1:
        p->act_min_q = -128, p->act_max_q = 127;
        break;
    case 2:
        p->act_min_q = p->out_zp, p->act_max_q = 127; /* RELU */
        break;
    default:
        p->act_min_q = p->out_zp, p->act_max_q = p->out_zp + 40 > 127 ? 127 : p->out_zp + 40;
        break;
    }
    for (int c = 0; c < oc; c++) {
        double typ = 8000.0 * sqrt((double)K) + 20000.0;
        double real = (0.25 + 3.0 * (double)rnd() / 4294967296.0) * 40.0 / typ;
        if (rnd() % 16 == 0) real *= 4096.0; /* positive shifts: saturating left shift */
        if (rnd() % 16 == 0) real /= 65536.0;
        ecl_quantize_multiplier(real, &mult[c], &shift[c]);
    }
    p->out_mult = mult;
    p->out_shift = shift;
    /* both roundings of enum ecl_rounding (int8 CONV_2D runs single, the rest double) */
    p->rounding = rnd() % 2 ? ECL_ROUND_SINGLE : ECL_ROUND_DOUBLE;
}

static int q_conv_case(int n, int ih, int iw, int ic, int oc, int kh, int kw, int sh, int sw,
                       int pt, int pl, int ph_tot, int pw_tot, int dil, int mode) {
    struct ecl_conv_params p = {0};
    p.stride_h = sh, p.stride_w = sw, p.dil_h = p.dil_w = dil;
    p.pad_top = pt, p.pad_left = pl;
    int ekh = (kh - 1) * dil + 1, ekw = (kw - 1) * dil + 1;
    struct ecl_shape4 is = {n, ih, iw, ic}, ws = {oc, kh, kw, ic};
    struct ecl_shape4 os = {n, out_dim(ih, ekh, sh, ph_tot), out_dim(iw, ekw, sw, pw_tot), oc};
    if (os.h <= 0 || os.w <= 0) return 0;
    int32_t *mult = malloc(sizeof(int32_t) * oc), *shift = malloc(sizeof(int32_t) * oc);
    int32_t *b = malloc(sizeof(int32_t) * oc);
    assert_true(mult && shift && b);
    q_params(&p, oc, kh * kw * ic, mult, shift);
    for (int c = 0; c < oc; c++)
        b[c] = rint_(-20000, 20000);
    int8_t *in = rbuf_i8(ecl_shape4_count(is), -128, 127);
    int8_t *w = rbuf_i8(ecl_shape4_count(ws), q_ends ? -128 : -127, 127);
    size_t no = ecl_shape4_count(os);
    int8_t *r = rbuf_i8(no, -128, 127), *o = rbuf_i8(no, -128, 127);
    int use_bias = rnd() % 4 != 0;
    struct ecl_kctx kc0 = {0}, kc = kctx(mode);
    size_t need = opt.conv2d_i8_scratch ? opt.conv2d_i8_scratch(&p, is, ws, os, 2) : 0;
    void *scratch = NULL;
    if (need) {
        scratch = aligned_alloc(64, (need + 63) & ~(size_t)63);
        assert_non_null(scratch);
        memset(scratch, 0x5a, need); /* garbage: the kernel must overwrite what it reads */
        kc.scratch = scratch;
        kc.scratch_bytes = need;
        scratch_used++;
    }
    ecl_ref_conv2d_i8(&kc0, &p, in, is, w, ws, use_bias ? b : NULL, r, os);
    opt.conv2d_i8(&kc, &p, in, is, w, ws, use_bias ? b : NULL, o, os);
    int diff = 0, sat = 0;
    for (size_t i = 0; i < no; i++) {
        diff += r[i] != o[i];
        sat += r[i] == p.act_min_q || r[i] == p.act_max_q;
    }
    /* weights packed once beforehand (the interpreter does it at plan time): the kernel must
     * read them, not w (garbage now) nor the scratch (none) */
    size_t pb = opt.conv2d_i8_prepack_bytes ? opt.conv2d_i8_prepack_bytes(&p, is, ws, os) : 0;
    if (pb) {
        void *packed = aligned_alloc(64, (pb + 63) & ~(size_t)63);
        assert_non_null(packed);
        memset(packed, 0x5a, pb);
        opt.conv2d_i8_prepack(&p, is, w, ws, use_bias ? b : NULL, os, packed);
        int8_t *w2 = rbuf_i8(ecl_shape4_count(ws), -128, 127);
        struct ecl_kctx kc2 = kctx(mode);
        p.w_packed = packed;
        memset(o, 0, no);
        opt.conv2d_i8(&kc2, &p, in, is, w2, ws, use_bias ? b : NULL, o, os);
        p.w_packed = NULL;
        for (size_t i = 0; i < no; i++)
            diff += r[i] != o[i];
        free(packed), free(w2);
    }
    if (diff)
        fprintf(stderr,
                "conv_i8 n%d %dx%dx%d -> %d k%dx%d s%dx%d pad %d,%d dil%d mode%d round%d: %d/%zu "
                "differ (prepacked %d)\n",
                n, ih, iw, ic, oc, kh, kw, sh, sw, pt, pl, dil, mode, (int)p.rounding, diff, no,
                pb != 0);
    q_outputs += no;
    q_saturated += sat;
    free(scratch), free(mult), free(shift), free(b), free(in), free(w), free(r), free(o);
    return diff;
}

void test_conv_i8_body(void) {
    int bad = 0;
    q_outputs = q_saturated = 0;
    for (int it = 0; it < 60; it++) { /* 1x1, strides 1-2, no padding */
        int s = rint_(1, 2);
        bad += q_conv_case(rint_(1, 2), rint_(1, 13), rint_(1, 13), rint_(1, 70), rint_(1, 37), 1,
                           1, s, s, 0, 0, 0, 0, 1, it % 3);
    }
    for (int it = 0; it < 60; it++) { /* KxK, SAME-like and folded (asymmetric) padding */
        int kh = rint_(1, 5), kw = rint_(1, 5), sh = rint_(1, 3), sw = rint_(1, 3);
        int ih = rint_(1, 17), iw = rint_(1, 17), dil = it % 10 == 9 ? 2 : 1;
        int pht = rint_(0, kh), pwt = rint_(0, kw);
        bad += q_conv_case(rint_(1, 2), ih, iw, rint_(1, 40), rint_(1, 21), kh, kw, sh, sw,
                           rint_(0, pht), rint_(0, pwt), pht, pwt, dil, it % 3);
    }
    /* MobileNetV2 shapes: stem 3x3/2 with a folded PAD (top/left 0, bottom/right 1), large K,
     * 1x1 with K = 16, 7x7 320 -> 1280, and K16 > 4096 (reference fallback) */
    bad += q_conv_case(1, 33, 33, 3, 32, 3, 3, 2, 2, 0, 0, 1, 1, 1, 2);
    bad += q_conv_case(1, 7, 7, 960, 160, 1, 1, 1, 1, 0, 0, 0, 0, 1, 2);
    bad += q_conv_case(1, 7, 7, 320, 1280, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1);
    bad += q_conv_case(1, 20, 20, 16, 96, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0);
    bad += q_conv_case(1, 5, 5, 600, 3, 3, 3, 1, 1, 1, 1, 2, 2, 1, 1);
    fprintf(stderr, "conv_i8: %zu outputs, %.1f%% at the activation bounds\n", q_outputs,
            100.0 * q_saturated / (double)q_outputs);
    assert_true(q_saturated < q_outputs * 7 / 10); /* most outputs exercise the rounding */
    assert_true(bad == 0);
}

void test_conv_i8(void **state) {
    test_conv_i8_body();
}

/* Zero points at the ends of their ranges (in_zp -128/127: the +128 offset of the VNNI kernel
 * at 0/255; w_zp -128/127: a uint8 model's filter zero point 0/255) and weights down to -128,
 * through 1x1 (odd channel counts, strides) and KxK convolutions. */
void test_conv_i8_ends_body(void) {
    int bad = 0;
    q_ends = 1;
    for (int it = 0; it < 40; it++) {
        int s = rint_(1, 2);
        bad += q_conv_case(rint_(1, 2), rint_(1, 11), rint_(1, 11), rint_(1, 135), rint_(1, 80), 1,
                           1, s, s, 0, 0, 0, 0, 1, it % 3);
    }
    for (int it = 0; it < 30; it++) {
        int k = rint_(2, 3), st = rint_(1, 2);
        bad += q_conv_case(1, rint_(3, 12), rint_(3, 12), rint_(1, 35), rint_(1, 70), k, k, st, st,
                           k / 2, k / 2, k - 1, k - 1, 1, it % 3);
    }
    q_ends = 0;
    assert_true(bad == 0);
}

/* int8 FULLY_CONNECTED: batches, odd in/out sizes (vector tails), per-tensor and per-channel
 * requantisation, zero points anywhere in their range and at the ends. Bit-exact. */
void test_fc_i8_body(void) {
    int bad = 0;
    for (int it = 0; it < 80; it++) {
        int batch = rint_(1, 3), in_dim = rint_(1, 300), out_dim = rint_(1, 70);
        if (it == 0) batch = 1, in_dim = 1280, out_dim = 1001; /* MobileNetV2's classifier */
        struct ecl_conv_params cp = {0};
        int32_t *mult = malloc(sizeof(int32_t) * out_dim),
                *shift = malloc(sizeof(int32_t) * out_dim);
        int32_t *b = malloc(sizeof(int32_t) * out_dim);
        assert_true(mult && shift && b);
        q_ends = it % 3 == 2;
        q_params(&cp, out_dim, in_dim, mult, shift);
        q_ends = 0;
        struct ecl_fc_params p = {0};
        p.in_zp = cp.in_zp, p.w_zp = cp.w_zp, p.out_zp = cp.out_zp;
        p.act_min_q = cp.act_min_q, p.act_max_q = cp.act_max_q;
        p.out_mult = mult, p.out_shift = shift, p.per_channel = it % 4 != 0;
        p.rounding = cp.rounding;
        for (int c = 0; c < out_dim; c++)
            b[c] = rint_(-20000, 20000);
        int8_t *in = rbuf_i8((size_t)batch * in_dim, -128, 127);
        int8_t *w = rbuf_i8((size_t)out_dim * in_dim, -128, 127);
        size_t no = (size_t)batch * out_dim;
        int8_t *r = rbuf_i8(no, -128, 127), *o = rbuf_i8(no, -128, 127);
        const int32_t *bias = it % 5 == 4 ? NULL : b;
        struct ecl_kctx kc0 = {0}, kc = kctx(it % 3);
        ecl_ref_fc_i8(&kc0, &p, in, batch, in_dim, w, bias, r, out_dim);
        opt.fc_i8(&kc, &p, in, batch, in_dim, w, bias, o, out_dim);
        int diff = 0;
        for (size_t i = 0; i < no; i++)
            diff += r[i] != o[i];
        if (diff)
            fprintf(stderr, "fc_i8 b%d %d -> %d zp %d/%d: %d/%zu differ\n", batch, in_dim, out_dim,
                    p.in_zp, p.w_zp, diff, no);
        bad += diff;
        free(mult), free(shift), free(b), free(in), free(w), free(r), free(o);
    }
    assert_true(bad == 0);
}

void test_fc_i8(void **state) {
    test_fc_i8_body();
}

static int q_dw_case(int n, int ih, int iw, int c, int k, int s, int pt, int pl, int ph_tot,
                     int pw_tot, int dm, int mode) {
    struct ecl_conv_params p = {0};
    p.stride_h = p.stride_w = s;
    p.dil_h = p.dil_w = 1;
    p.depth_multiplier = dm;
    p.pad_top = pt, p.pad_left = pl;
    struct ecl_shape4 is = {n, ih, iw, c}, ws = {1, k, k, c * dm};
    struct ecl_shape4 os = {n, out_dim(ih, k, s, ph_tot), out_dim(iw, k, s, pw_tot), c * dm};
    if (os.h <= 0 || os.w <= 0) return 0;
    int32_t *mult = malloc(sizeof(int32_t) * os.c), *shift = malloc(sizeof(int32_t) * os.c);
    int32_t *b = malloc(sizeof(int32_t) * os.c);
    assert_true(mult && shift && b);
    q_params(&p, os.c, k * k * 16, mult, shift);
    for (int i = 0; i < os.c; i++)
        b[i] = rint_(-20000, 20000);
    int8_t *in = rbuf_i8(ecl_shape4_count(is), -128, 127);
    int8_t *w = rbuf_i8(ecl_shape4_count(ws), q_ends ? -128 : -127, 127);
    size_t no = ecl_shape4_count(os);
    int8_t *r = rbuf_i8(no, -128, 127), *o = rbuf_i8(no, -128, 127);
    int use_bias = rnd() % 4 != 0;
    struct ecl_kctx kc0 = {0}, kc = kctx(mode);
    ecl_ref_dwconv_i8(&kc0, &p, in, is, w, ws, use_bias ? b : NULL, r, os);
    opt.dwconv_i8(&kc, &p, in, is, w, ws, use_bias ? b : NULL, o, os);
    int diff = 0, sat = 0;
    for (size_t i = 0; i < no; i++) {
        diff += r[i] != o[i];
        sat += r[i] == p.act_min_q || r[i] == p.act_max_q;
    }
    if (diff)
        fprintf(stderr, "dw_i8 n%d %dx%dx%d k%d s%d pad %d,%d dm%d mode%d: %d/%zu differ\n", n, ih,
                iw, c, k, s, pt, pl, dm, mode, diff, no);
    q_outputs += no;
    q_saturated += sat;
    free(mult), free(shift), free(b), free(in), free(w), free(r), free(o);
    return diff;
}

void test_dwconv_i8_body(void) {
    int bad = 0;
    q_outputs = q_saturated = 0;
    for (int it = 0; it < 100; it++) {
        int k = it % 4 ? 3 : rint_(1, 5), s = rint_(1, 2);
        int pht = rint_(0, k - 1), pwt = rint_(0, k - 1);
        bad += q_dw_case(rint_(1, 2), rint_(1, 19), rint_(1, 19), rint_(1, 40), k, s, rint_(0, pht),
                         rint_(0, pwt), pht, pwt, it % 10 == 9 ? 2 : 1, it % 3);
    }
    bad += q_dw_case(1, 56, 56, 144, 3, 2, 0, 0, 1, 1, 1, 2); /* folded PAD, stride 2 */
    bad += q_dw_case(1, 14, 14, 576, 3, 1, 1, 1, 2, 2, 1, 1);
    bad += q_dw_case(1, 8, 8, 40, 3, 1, 1, 1, 2, 2, 1, 0);
    q_ends = 1; /* zero points at the ends of their ranges, weights down to -128 */
    for (int it = 0; it < 30; it++)
        bad += q_dw_case(1, rint_(1, 12), rint_(1, 12), rint_(1, 70), 3, rint_(1, 2), 1, 1, 2, 2, 1,
                         it % 3);
    q_ends = 0;
    fprintf(stderr, "dwconv_i8: %zu outputs, %.1f%% at the activation bounds\n", q_outputs,
            100.0 * q_saturated / (double)q_outputs);
    assert_true(q_saturated < q_outputs * 7 / 10);
    assert_true(bad == 0);
}

void test_dwconv_i8(void **state) {
    test_dwconv_i8_body();
}

/* int8 ADD with the interpreter's (TFLite's) parameters from random scales; broadcasting goes
 * to the reference. Bit-exact. */
void test_add_i8(void **state) {
    for (int it = 0; it < 60; it++) {
        struct ecl_shape4 os = {rint_(1, 2), rint_(1, 30), rint_(1, 30), rint_(1, 40)};
        if (it == 0) os = (struct ecl_shape4){1, 56, 56, 24};
        struct ecl_shape4 bs = os;
        if (it % 5 == 4) bs.h = bs.w = 1;
        double sa = 0.01 + 0.2 * rnd() / 4294967296.0, sb = 0.01 + 0.2 * rnd() / 4294967296.0;
        double so = (sa + sb) * (0.3 + rnd() / 4294967296.0);
        struct ecl_binary_params p = {0};
        p.left_shift = 20;
        double twice_max = 2.0 * (sa > sb ? sa : sb);
        ecl_quantize_multiplier(sa / twice_max, &p.a_mult, &p.a_shift);
        ecl_quantize_multiplier(sb / twice_max, &p.b_mult, &p.b_shift);
        ecl_quantize_multiplier(twice_max / ((1 << 20) * so), &p.out_mult, &p.out_shift);
        p.a_zp = rint_(-128, 127), p.b_zp = rint_(-128, 127), p.out_zp = rint_(-128, 127);
        p.act_min_q = it % 3 ? -128 : p.out_zp, p.act_max_q = 127;
        size_t n = ecl_shape4_count(os);
        int8_t *a = rbuf_i8(n, -128, 127), *b = rbuf_i8(ecl_shape4_count(bs), -128, 127);
        int8_t *r = rbuf_i8(n, 0, 0), *o = rbuf_i8(n, 0, 0);
        struct ecl_kctx kc0 = {0}, kc = kctx(it % 3);
        ecl_ref_add_i8(&kc0, &p, a, os, b, bs, r, os);
        opt.add_i8(&kc, &p, a, os, b, bs, o, os);
        assert_memory_equal(r, o, n);
#if defined(__x86_64__)
        /* the AVX2 kernel too when the AVX-512 one is installed over it */
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            memset(o, 0, n);
            ecl_avx2_add_i8(&kc, &p, a, os, b, bs, o, os);
            assert_memory_equal(r, o, n);
        }
#endif
        free(a), free(b), free(r), free(o);
    }
}

/* QUANTIZE float -> int8 against the reference loop: random values, exact ties (x / scale =
 * k + 0.5 with a power-of-two scale), values next to the ties, +-0, +-inf, NaN, huge values,
 * |x / scale| around 2^23, saturation at both ends, zero points at the ends, lengths with tails
 * (not a multiple of 32), threads. */
void test_quantize_i8(void **state) {
    if (!have_opt) skip();
    static const float special[] = {0.0f,         -0.0f,       0.5f,       -0.5f,       1.5f,
                                    -1.5f,        2.5f,        -2.5f,      127.5f,      -128.5f,
                                    1e30f,        -1e30f,      INFINITY,   -INFINITY,   NAN,
                                    8388607.5f,   -8388607.5f, 8388608.0f, 16777215.0f, 0.49999997f,
                                    -0.49999997f, 3.4e38f};
    const size_t ns = sizeof special / sizeof special[0];
    for (int it = 0; it < 40; it++) {
        size_t n = it == 0 ? 224 * 224 * 3 : (size_t)rint_(1, 5000);
        float scale = it % 4 == 0 ? 0.5f : it % 4 == 1 ? 1.0f / 64 : 0.001f + rnd() / 4294967296.0f;
        int32_t zp = it % 5 == 0 ? -128 : it % 5 == 1 ? 127 : rint_(-128, 127);
        float *x = malloc(n * sizeof *x);
        int8_t *r = malloc(n), *o = malloc(n);
        assert_non_null(x);
        assert_non_null(r);
        assert_non_null(o);
        for (size_t i = 0; i < n; i++) {
            int k = rint_(-400, 400);
            switch (rnd() % 4) {
            case 0: /* a tie: (k + 0.5) * scale, exact for power-of-two scales */
                x[i] = ((float)k + 0.5f) * scale;
                break;
            case 1: /* next to a tie */
                x[i] = nextafterf(((float)k + 0.5f) * scale, rnd() % 2 ? INFINITY : -INFINITY);
                break;
            case 2:
                x[i] = special[rnd() % ns] * (rnd() % 2 ? scale : 1.0f);
                break;
            default:
                x[i] = ((float)rnd() / 4294967296.0f - 0.5f) * 300.0f * scale;
            }
        }
        struct ecl_kctx kc = kctx(it % 3);
        ecl_ref_quantize_f32_i8(x, r, n, scale, zp);
        memset(o, 0x5a, n);
        opt.quantize_f32_i8(&kc, x, o, n, scale, zp);
        assert_memory_equal(r, o, n);
        free(x), free(r), free(o);
    }
}

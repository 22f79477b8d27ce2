/* Optimised float32 kernels (src/kernels/opt/) against the reference kernels on random shapes:
 * CONV_2D (1x1 and KxK, with and without the kernel scratch, with prepacked weights),
 * DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD and MEAN over H and W, on the installed table; the
 * CONV_2D / DEPTHWISE_CONV_2D bodies also run per instruction set (test_kernels_opt_tables.c).
 *
 * Tolerance: FMA and a different summation order change rounding only. For every output we
 * compute S = |bias| + sum |in*w| (the reference kernel run on absolute values, no activation)
 * and assert |opt - ref| <= 1e-5 * S + 1e-30: the textbook bound for a K-term float sum is
 * K * 2^-24 * S, typical errors are ~sqrt(K) * 2^-24 * S (K up to 3000 here), while any wrong
 * index or missing term gives an error of the order of S/K >= 3e-4 * S. The worst observed
 * |opt - ref| / S is printed per kernel. If the CPU has no AVX2/FMA (and this is not AArch64) the
 * tests are skipped: ecl_kernels_opt_install() then leaves the reference table in place. */
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

#define TOL 1e-5

static int prepacked_used; /* float conv cases that ran with prepacked weights */

static float *absdup(const float *x, size_t n) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = fabsf(x[i]);
    return p;
}

static float *rbuf(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)((double)rnd() / 4294967296.0 * 2.0 - 1.0) * 2.0f;
    return p;
}

/* max_i |ref_i - got_i| / (S_i + 1e-30); S = NULL: relative to 1 + max |ref| */
static double compare(const float *ref, const float *got, const float *S, size_t n) {
    double mx = 0, err = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(ref[i]) > mx) mx = fabs(ref[i]);
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)ref[i] - (double)got[i]) / (S ? S[i] + 1e-30 : 1.0 + mx);
        if (!(d <= err)) err = d; /* NaN propagates as failure */
    }
    return err;
}

static void act_range(float *lo, float *hi) {
    switch (rnd() % 3) {
    case 0:
        *lo = -INFINITY;
        *hi = INFINITY;
        break;
    case 1:
        *lo = 0.0f;
        *hi = INFINITY;
        break;
    default:
        *lo = 0.0f;
        *hi = 6.0f;
        break;
    }
}

/* ---- CONV_2D ---- */
static double conv_case(int n, int ih, int iw, int ic, int oc, int kh, int kw, int sh, int sw,
                        int same, int mode) {
    struct ecl_conv_params p = {0};
    p.stride_h = sh;
    p.stride_w = sw;
    p.dil_h = p.dil_w = 1;
    act_range(&p.act_min, &p.act_max);
    int ph = 0, pw = 0;
    if (same) {
        int oh = (ih + sh - 1) / sh, ow = (iw + sw - 1) / sw;
        ph = (oh - 1) * sh + kh - ih;
        pw = (ow - 1) * sw + kw - iw;
        if (ph < 0) ph = 0;
        if (pw < 0) pw = 0;
        p.pad_top = ph / 2;
        p.pad_left = pw / 2;
    }
    struct ecl_shape4 is = {n, ih, iw, ic}, ws = {oc, kh, kw, ic};
    struct ecl_shape4 os = {n, out_dim(ih, kh, sh, ph), out_dim(iw, kw, sw, pw), oc};
    if (os.h <= 0 || os.w <= 0) return 0;
    float *in = rbuf(ecl_shape4_count(is)), *w = rbuf(ecl_shape4_count(ws)), *b = rbuf(oc);
    size_t no = ecl_shape4_count(os);
    float *r = rbuf(no), *o = rbuf(no);
    int use_bias = rnd() % 4 != 0;
    struct ecl_kctx kc0 = {0}, kc = kctx(mode);
    /* the scratch the kernel asks for at plan time; sometimes withheld (fallback path) */
    size_t need = opt.conv2d_f32_scratch ? opt.conv2d_f32_scratch(&p, is, ws, os, 2) : 0;
    void *scratch = NULL;
    if (need && rnd() % 4 != 0) {
        scratch = aligned_alloc(64, (need + 63) & ~(size_t)63);
        assert_non_null(scratch);
        memset(scratch, 0xff, need); /* NaN garbage: the kernel must overwrite what it reads */
        kc.scratch = scratch;
        kc.scratch_bytes = need;
        scratch_used++;
    }
    ecl_ref_conv2d_f32(&kc0, &p, in, is, w, ws, use_bias ? b : NULL, r, os);
    opt.conv2d_f32(&kc, &p, in, is, w, ws, use_bias ? b : NULL, o, os);
    free(scratch);
    float *ai = absdup(in, ecl_shape4_count(is)), *aw = absdup(w, ecl_shape4_count(ws));
    float *ab = absdup(b, oc), *S = rbuf(no);
    struct ecl_conv_params pa = p;
    pa.act_min = -INFINITY, pa.act_max = INFINITY;
    ecl_ref_conv2d_f32(&kc0, &pa, ai, is, aw, ws, use_bias ? ab : NULL, S, os);
    double e = compare(r, o, S, no);
    /* weights packed once beforehand (the interpreter does it at plan time): the kernel must
     * read them, not w and bias (garbage now) nor a scratch (none); the same values on 1 and
     * on several threads */
    size_t pb = opt.conv2d_f32_prepack_bytes ? opt.conv2d_f32_prepack_bytes(&p, is, ws, os) : 0;
    if (pb) {
        void *packed = aligned_alloc(64, (pb + 63) & ~(size_t)63);
        assert_non_null(packed);
        memset(packed, 0xff, pb);
        opt.conv2d_f32_prepack(&p, is, w, ws, use_bias ? b : NULL, os, packed);
        float *w2 = rbuf(ecl_shape4_count(ws)), *b2 = rbuf(oc), *o1 = rbuf(no);
        struct ecl_kctx kc1 = {0}, kc2 = kctx(mode);
        p.w_packed = packed;
        opt.conv2d_f32(&kc2, &p, in, is, w2, ws, use_bias ? b2 : NULL, o, os);
        opt.conv2d_f32(&kc1, &p, in, is, w2, ws, use_bias ? b2 : NULL, o1, os);
        p.w_packed = NULL;
        double e2 = compare(r, o, S, no);
        if (e2 > e || e2 != e2) e = e2;
        if (memcmp(o, o1, no * sizeof(float)) != 0) e = 1e30; /* thread-dependent result */
        prepacked_used++;
        free(packed), free(w2), free(b2), free(o1);
    }
    free(ai), free(aw), free(ab), free(S);
    if (e > TOL)
        fprintf(stderr, "conv n%d %dx%dx%d -> %d k%dx%d s%dx%d same%d mode%d: err %g\n", n, ih, iw,
                ic, oc, kh, kw, sh, sw, same, mode, e);
    free(in), free(w), free(b), free(r), free(o);
    return e;
}

void test_conv_1x1_body(void) {
    scratch_used = prepacked_used = 0;
    double worst = 0;
    for (int it = 0; it < 60; it++) {
        int s = rint_(1, 2);
        double e = conv_case(rint_(1, 2), rint_(1, 13), rint_(1, 13), rint_(1, 70), rint_(1, 37), 1,
                             1, s, s, 0, it % 3);
        if (e > worst) worst = e;
    }
    /* MobileNetV2-like: large K, channel counts multiple of 8, 7x7 */
    double e = conv_case(1, 7, 7, 960, 160, 1, 1, 1, 1, 0, 2);
    if (e > worst) worst = e;
    e = conv_case(1, 7, 7, 320, 1280, 1, 1, 1, 1, 0, 1);
    if (e > worst) worst = e;
    e = conv_case(1, 14, 14, 3000, 5, 1, 1, 1, 1, 0, 0);
    if (e > worst) worst = e;
    /* weights > 256 KiB: walked in chunks of output channels, with channel tails */
    e = conv_case(2, 5, 5, 700, 101, 1, 1, 1, 1, 0, 1);
    if (e > worst) worst = e;
    /* small K with many outputs (64 -> 384, as in block_7..10) and K = 64 + 1 */
    e = conv_case(1, 14, 14, 64, 384, 1, 1, 1, 1, 0, 2);
    if (e > worst) worst = e;
    e = conv_case(1, 9, 9, 65, 77, 1, 1, 1, 1, 0, 1);
    if (e > worst) worst = e;
    /* packed-in-scratch path: K <= 192, Cout % 16 == 0, >= 128 pixels (and its fallback) */
    for (int it = 0; it < 12; it++) {
        int k = it < 4 ? 96 : rint_(65, 192), co = 16 * rint_(1, 40);
        e = conv_case(rint_(1, 2), rint_(12, 20), rint_(12, 20), k, co, 1, 1, 1, 1, 0, it % 3);
        if (e > worst) worst = e;
    }
    /* AVX-512 packed GEMM: K up to 640 (k tails of the 16x16 transpose), Cout not a multiple
     * of 16 or 32, >= 128 pixels with a partial last 12-pixel tile; and stride 2 (gathered) */
    for (int it = 0; it < 12; it++) {
        int k = it < 3 ? 96 + 16 * it : rint_(17, 640), co = it < 3 ? 24 : rint_(1, 100);
        e = conv_case(1, rint_(12, 20), rint_(12, 20), k, co, 1, 1, 1, 1, 0, it % 3);
        if (e > worst) worst = e;
    }
    e = conv_case(1, 29, 29, 40, 48, 1, 1, 2, 2, 0, 1);
    if (e > worst) worst = e;
    e = conv_case(1, 29, 29, 160, 96, 1, 1, 2, 2, 0, 2);
    if (e > worst) worst = e;
    /* prepacked small maps (7 .. 127 pixels, AVX-512): tiles of 7 pixels with a last one that
     * overlaps its predecessor, groups of 3, 2 or 1 panels, channel tails, batch 2; 6 pixels
     * (no prepacking) */
    for (int it = 0; it < 16; it++) {
        int k = rint_(65, 800), co = it < 4 ? 48 * it + rint_(1, 47) : rint_(1, 130);
        e = conv_case(rint_(1, 2), rint_(1, 9), rint_(1, 9), k, co, 1, 1, 1, 1, 0, it % 3);
        if (e > worst) worst = e;
    }
    e = conv_case(1, 1, 7, 100, 40, 1, 1, 1, 1, 0, 1);
    if (e > worst) worst = e;
    e = conv_case(1, 2, 3, 100, 50, 1, 1, 1, 1, 0, 2);
    if (e > worst) worst = e;
    fprintf(stderr, "conv cases with kernel scratch: %d, prepacked: %d\n", scratch_used,
            prepacked_used);
    if (opt.conv2d_f32_prepack_bytes) assert_true(prepacked_used > 0);
    if (opt.conv2d_f32_scratch) assert_true(scratch_used > 0);
    fprintf(stderr, "conv 1x1 (%s) worst rel err %.3g\n", opt.name, worst);
    assert_true(worst <= TOL);
}

void test_conv_kxk_body(void) {
    double worst = 0;
    for (int it = 0; it < 60; it++) {
        int k = rint_(2, 5), s = rint_(1, 3);
        double e = conv_case(rint_(1, 2), rint_(1, 17), rint_(1, 17), rint_(1, 19), rint_(1, 21), k,
                             rint_(1, 5), s, rint_(1, 3), rnd() & 1, it % 3);
        if (e > worst) worst = e;
    }
    /* MobileNetV2 stem: 224x224x3 (here 33x33) 3x3 stride 2 -> 32; 1x1 with padding */
    double e = conv_case(1, 33, 33, 3, 32, 3, 3, 2, 2, 1, 2);
    if (e > worst) worst = e;
    e = conv_case(1, 35, 37, 3, 40, 3, 3, 2, 2, 1, 1); /* Cout 40: 32 + 8-channel panel */
    if (e > worst) worst = e;
    /* rows >= 24 pixels wide (AVX-512: windows read in place, tiles along the row, borders and
     * row ends gathered): the real stem, odd widths, a lone last panel, 5x5, batch 2 */
    e = conv_case(1, 224, 224, 3, 32, 3, 3, 2, 2, 1, 2);
    if (e > worst) worst = e;
    e = conv_case(1, 50, 61, 3, 32, 3, 3, 2, 2, 1, 1);
    if (e > worst) worst = e;
    e = conv_case(1, 30, 53, 5, 40, 3, 3, 1, 1, 1, 1);
    if (e > worst) worst = e;
    e = conv_case(2, 12, 40, 2, 20, 5, 5, 1, 1, 0, 0);
    if (e > worst) worst = e;
    e = conv_case(1, 9, 9, 40, 20, 3, 3, 1, 1, 1, 0); /* K = 360: dot kernel with im2col */
    if (e > worst) worst = e;
    e = conv_case(1, 9, 9, 8, 8, 1, 1, 1, 1, 1, 0);
    if (e > worst) worst = e;
    /* K = 3*3*300 > the im2col limit: reference fallback */
    e = conv_case(1, 5, 5, 300, 3, 3, 3, 1, 1, 1, 1);
    if (e > worst) worst = e;
    fprintf(stderr, "conv kxk (%s) worst rel err %.3g\n", opt.name, worst);
    assert_true(worst <= TOL);
}

/* ---- DEPTHWISE_CONV_2D ---- */
static double dw_case(int n, int ih, int iw, int c, int k, int s, int same, int dm, int mode) {
    struct ecl_conv_params p = {0};
    p.stride_h = p.stride_w = s;
    p.dil_h = p.dil_w = 1;
    p.depth_multiplier = dm;
    act_range(&p.act_min, &p.act_max);
    int ph = 0;
    if (same) {
        int oh = (ih + s - 1) / s;
        ph = (oh - 1) * s + k - ih;
        if (ph < 0) ph = 0;
        p.pad_top = p.pad_left = ph / 2;
    }
    int pw = ph;
    if (same) {
        int ow = (iw + s - 1) / s;
        pw = (ow - 1) * s + k - iw;
        if (pw < 0) pw = 0;
        p.pad_left = pw / 2;
    }
    struct ecl_shape4 is = {n, ih, iw, c}, ws = {1, k, k, c * dm};
    struct ecl_shape4 os = {n, out_dim(ih, k, s, ph), out_dim(iw, k, s, pw), c * dm};
    if (os.h <= 0 || os.w <= 0) return 0;
    float *in = rbuf(ecl_shape4_count(is)), *w = rbuf(ecl_shape4_count(ws)), *b = rbuf(os.c);
    size_t no = ecl_shape4_count(os);
    float *r = rbuf(no), *o = rbuf(no);
    int use_bias = rnd() % 4 != 0;
    struct ecl_kctx kc0 = {0}, kc = kctx(mode);
    ecl_ref_dwconv_f32(&kc0, &p, in, is, w, ws, use_bias ? b : NULL, r, os);
    opt.dwconv_f32(&kc, &p, in, is, w, ws, use_bias ? b : NULL, o, os);
    float *ai = absdup(in, ecl_shape4_count(is)), *aw = absdup(w, ecl_shape4_count(ws));
    float *ab = absdup(b, os.c), *S = rbuf(no);
    struct ecl_conv_params pa = p;
    pa.act_min = -INFINITY, pa.act_max = INFINITY;
    ecl_ref_dwconv_f32(&kc0, &pa, ai, is, aw, ws, use_bias ? ab : NULL, S, os);
    double e = compare(r, o, S, no);
    free(ai), free(aw), free(ab), free(S);
    if (e > TOL)
        fprintf(stderr, "dw n%d %dx%dx%d k%d s%d same%d dm%d: err %g\n", n, ih, iw, c, k, s, same,
                dm, e);
    free(in), free(w), free(b), free(r), free(o);
    return e;
}

void test_dwconv_body(void) {
    double worst = 0;
    for (int it = 0; it < 80; it++) {
        int k = it % 4 ? 3 : rint_(1, 5);
        double e = dw_case(rint_(1, 2), rint_(1, 19), rint_(1, 19), rint_(1, 40), k, rint_(1, 2),
                           rnd() % 4 != 0, it % 10 == 9 ? 2 : 1, it % 3);
        if (e > worst) worst = e;
    }
    double e = dw_case(1, 56, 56, 144, 3, 2, 1, 1, 2); /* block_3_depthwise-like (padded) */
    if (e > worst) worst = e;
    e = dw_case(1, 14, 14, 576, 3, 1, 1, 1, 1);
    if (e > worst) worst = e;
    e = dw_case(1, 15, 15, 37, 3, 1, 1, 1, 2); /* 16-lane blocks + a 5-channel tail */
    if (e > worst) worst = e;
    /* wide rows (AVX-512: groups of 8 / 4 pixels along the row, then single pixels), channel
     * tails, both strides, padded and not */
    e = dw_case(2, 23, 45, 21, 3, 1, 1, 1, 1);
    if (e > worst) worst = e;
    e = dw_case(1, 31, 42, 35, 3, 2, 1, 1, 2);
    if (e > worst) worst = e;
    e = dw_case(1, 26, 29, 48, 3, 2, 0, 1, 0);
    if (e > worst) worst = e;
    fprintf(stderr, "dwconv (%s) worst rel err %.3g\n", opt.name, worst);
    assert_true(worst <= TOL);
}

/* ---- FULLY_CONNECTED ---- */
void test_fc(void **state) {
    if (!have_opt) skip();
    double worst = 0;
    for (int it = 0; it < 40; it++) {
        int batch = rint_(1, 4), in_dim = it == 0 ? 1280 : rint_(1, 300);
        int odim = it == 1 ? 1000 : rint_(1, 70);
        struct ecl_fc_params p = {0};
        act_range(&p.act_min, &p.act_max);
        float *x = rbuf((size_t)batch * in_dim), *w = rbuf((size_t)odim * in_dim), *b = rbuf(odim);
        float *r = rbuf((size_t)batch * odim), *o = rbuf((size_t)batch * odim);
        struct ecl_kctx kc0 = {0}, kc = kctx(it % 3);
        int use_bias = it % 5 != 4;
        ecl_ref_fc_f32(&kc0, &p, x, batch, in_dim, w, use_bias ? b : NULL, r, odim);
        opt.fc_f32(&kc, &p, x, batch, in_dim, w, use_bias ? b : NULL, o, odim);
        size_t nx = (size_t)batch * in_dim, nw = (size_t)odim * in_dim;
        float *ax = absdup(x, nx), *aw = absdup(w, nw), *ab = absdup(b, odim);
        float *S = rbuf((size_t)batch * odim);
        struct ecl_fc_params pa = p;
        pa.act_min = -INFINITY, pa.act_max = INFINITY;
        ecl_ref_fc_f32(&kc0, &pa, ax, batch, in_dim, aw, use_bias ? ab : NULL, S, odim);
        double e = compare(r, o, S, (size_t)batch * odim);
        free(ax), free(aw), free(ab), free(S);
        if (e > worst) worst = e;
        free(x), free(w), free(b), free(r), free(o);
    }
    fprintf(stderr, "fc worst rel err %.3g\n", worst);
    assert_true(worst <= TOL);
}

/* ---- ADD (same shapes: exact; broadcasting: reference fallback) ---- */
void test_add(void **state) {
    if (!have_opt) skip();
    for (int it = 0; it < 40; it++) {
        struct ecl_shape4 os = {rint_(1, 2), rint_(1, 30), rint_(1, 30), rint_(1, 40)};
        struct ecl_shape4 bs = os;
        if (it % 4 == 3) bs.h = bs.w = 1; /* broadcast */
        struct ecl_binary_params p = {0};
        act_range(&p.act_min, &p.act_max);
        size_t n = ecl_shape4_count(os);
        float *a = rbuf(n), *b = rbuf(ecl_shape4_count(bs)), *r = rbuf(n), *o = rbuf(n);
        struct ecl_kctx kc0 = {0}, kc = kctx(it % 3);
        ecl_ref_add_f32(&kc0, &p, a, os, b, bs, r, os);
        opt.add_f32(&kc, &p, a, os, b, bs, o, os);
        assert_memory_equal(r, o, n * sizeof(float));
        free(a), free(b), free(r), free(o);
    }
    /* large: several chunks, split over threads */
    struct ecl_shape4 s = {1, 56, 56, 24};
    struct ecl_binary_params p = {0};
    p.act_min = -INFINITY;
    p.act_max = INFINITY;
    size_t n = ecl_shape4_count(s);
    float *a = rbuf(n), *b = rbuf(n), *r = rbuf(n), *o = rbuf(n);
    struct ecl_kctx kc0 = {0}, kc = kctx(2);
    ecl_ref_add_f32(&kc0, &p, a, s, b, s, r, s);
    opt.add_f32(&kc, &p, a, s, b, s, o, s);
    assert_memory_equal(r, o, n * sizeof(float));
    free(a), free(b), free(r), free(o);
}

void test_mean_hw(void **state) {
    if (!have_opt) skip();
    double worst = 0;
    for (int it = 0; it < 20; it++) {
        struct ecl_shape4 is = {rint_(1, 2), rint_(1, 9), rint_(1, 9), rint_(1, 40)};
        if (it == 0) is = (struct ecl_shape4){1, 7, 7, 1280};
        float *x = rbuf(ecl_shape4_count(is)), *r = rbuf((size_t)is.n * is.c);
        float *o = rbuf((size_t)is.n * is.c);
        struct ecl_kctx kc0 = {0};
        ecl_ref_mean_hw_f32(&kc0, x, is, r);
        opt.mean_hw_f32(&kc0, x, is, o);
        double e = compare(r, o, NULL, (size_t)is.n * is.c);
        if (e > worst) worst = e;
        free(x), free(r), free(o);
    }
    fprintf(stderr, "mean_hw worst rel err %.3g\n", worst);
    assert_true(worst <= TOL);
}

void test_conv_1x1(void **state) {
    if (!have_opt) skip();
    test_conv_1x1_body();
}
void test_conv_kxk(void **state) {
    if (!have_opt) skip();
    test_conv_kxk_body();
}
void test_dwconv(void **state) {
    if (!have_opt) skip();
    test_dwconv_body();
}

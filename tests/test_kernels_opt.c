/* Optimised float32 kernels (src/kernels/opt/) against the reference kernels on random shapes:
 * odd channel counts, channel/pixel tails, strides 1-3, padding, 1x1 and KxK convolutions,
 * batches, fused activations, and threaded execution through parallel_for (both a serial
 * splitter that hands out uneven ranges in reverse order and a real 2-thread pthread one).
 *
 * Tolerance: FMA and a different summation order change rounding only. For every output we
 * compute S = |bias| + sum |in*w| (the reference kernel run on absolute values, no activation)
 * and assert |opt - ref| <= 1e-5 * S + 1e-30: the textbook bound for a K-term float sum is
 * K * 2^-24 * S, typical errors are ~sqrt(K) * 2^-24 * S (K up to 3000 here), while any wrong
 * index or missing term gives an error of the order of S/K >= 3e-4 * S. The worst observed
 * |opt - ref| / S is printed per kernel. If the CPU has no AVX2/FMA (and this is not AArch64) the
 * tests are skipped: ecl_kernels_opt_install() then leaves the reference table in place.
 * On x86 the float CONV_2D / DEPTHWISE_CONV_2D tests also run once per instruction set
 * (test_*_avx2, test_*_avx512) whatever table is installed; each is reported SKIPPED when the CPU
 * (or, for AVX-512, the OS's XCR0) lacks it. Likewise the int8 CONV_2D / FULLY_CONNECTED tests
 * (bit-exact) run on the AVX2, AVX512-VNNI and AVX-VNNI kernels (test_*_avx2, test_*_vnni,
 * test_conv_i8*_avxvnni), with zero
 * points at the ends of their ranges too (test_conv_i8_ends_*). On AArch64 the same int8 bodies
 * run on the SDOT kernels (test_*_neondot; SKIPPED when the core, e.g. qemu -cpu cortex-a57, has
 * no dot-product extension) and on the plain NEON ones (test_*_neon). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernels/kernels.h"
#if defined(__x86_64__) || defined(__aarch64__)
#include "kernels/opt/opt.h" /* the AVX2/AVX-512 and NEON/SDOT entry points, tested one by one */
#endif

#define TOL 1e-5

static float *absdup(const float *x, size_t n) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = fabsf(x[i]);
    return p;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
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
static float *rbuf(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (float)((double)rnd() / 4294967296.0 * 2.0 - 1.0) * 2.0f;
    return p;
}

static struct ecl_kernels opt;
static int have_opt;
static int scratch_used;              /* conv cases that ran with a kernel scratch */
static int prepacked_used;            /* float conv cases that ran with prepacked weights */
static size_t q_outputs, q_saturated; /* int8 cases: outputs, outputs at the clamp bounds */

/* ---- parallel_for implementations ---- */
static void pf_serial_split(void *user, int n, ecl_task_fn fn, void *ctx) {
    /* uneven ranges, last first: a kernel that depends on range order or size breaks here */
    int parts = *(int *)user;
    int cut[9] = {0};
    for (int i = 1; i < parts; i++)
        cut[i] = (int)((long)n * i * i / ((long)parts * parts));
    cut[parts] = n;
    for (int i = parts - 1; i >= 0; i--)
        if (cut[i + 1] > cut[i]) fn(ctx, cut[i], cut[i + 1]);
}

struct pt_arg {
    ecl_task_fn fn;
    void *ctx;
    int b, e;
};
static void *pt_main(void *a) {
    struct pt_arg *x = a;
    x->fn(x->ctx, x->b, x->e);
    return NULL;
}
static void pf_pthread2(void *user, int n, ecl_task_fn fn, void *ctx) {
    pthread_t t;
    struct pt_arg a = {fn, ctx, n / 2, n};
    int ok = pthread_create(&t, NULL, pt_main, &a) == 0;
    fn(ctx, 0, n / 2);
    if (ok)
        pthread_join(t, NULL);
    else
        fn(ctx, n / 2, n);
}

static struct ecl_kctx kctx(int mode) {
    static int parts = 3;
    struct ecl_kctx kc = {0};
    if (mode == 1) {
        kc.parallel_for = pf_serial_split;
        kc.pf_user = &parts;
        kc.n_threads = 3;
    } else if (mode == 2) {
        kc.parallel_for = pf_pthread2;
        kc.n_threads = 2;
    }
    return kc;
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

static int out_dim(int in, int k, int s, int pad_total) {
    return (in + pad_total - k) / s + 1;
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

static void test_conv_1x1_body(void) {
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

static void test_conv_kxk_body(void) {
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

static void test_dwconv_body(void) {
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
static void test_fc(void **state) {
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
static void test_add(void **state) {
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

static void test_mean_hw(void **state) {
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

static void test_conv_i8_body(void) {
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

static void test_conv_i8(void **state) {
    test_conv_i8_body();
}

/* Zero points at the ends of their ranges (in_zp -128/127: the +128 offset of the VNNI kernel
 * at 0/255; w_zp -128/127: a uint8 model's filter zero point 0/255) and weights down to -128,
 * through 1x1 (odd channel counts, strides) and KxK convolutions. */
static void test_conv_i8_ends_body(void) {
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
static void test_fc_i8_body(void) {
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

static void test_fc_i8(void **state) {
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

static void test_dwconv_i8_body(void) {
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

static void test_dwconv_i8(void **state) {
    test_dwconv_i8_body();
}

/* int8 ADD with the interpreter's (TFLite's) parameters from random scales; broadcasting goes
 * to the reference. Bit-exact. */
static void test_add_i8(void **state) {
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

/* Requantisation corner cases through a 1x1 conv with K = 1: accumulators that hit the
 * saturating left shift, exact rounding ties (x * m = k * 2^31 +- 2^30) and extreme shifts. */
static void test_requant_i8(void **state) {
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
static void test_requant_single(void **state) {
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
static void test_requant_neon(void **state) {
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

/* ---- the float conv/depthwise tests per table ---- */
static void run_with(struct ecl_kernels t, void (*body)(void)) {
    struct ecl_kernels saved = opt;
    opt = t;
    body();
    opt = saved;
}

static void test_conv_1x1(void **state) {
    if (!have_opt) skip();
    test_conv_1x1_body();
}
static void test_conv_kxk(void **state) {
    if (!have_opt) skip();
    test_conv_kxk_body();
}
static void test_dwconv(void **state) {
    if (!have_opt) skip();
    test_dwconv_body();
}

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
    static void fn(void **state) {                                                                 \
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
    static void fn(void **state) {                                                                 \
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
    static void fn(void **state) {                                                                 \
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

/* QUANTIZE float -> int8 against the reference loop: random values, exact ties (x / scale =
 * k + 0.5 with a power-of-two scale), values next to the ties, +-0, +-inf, NaN, huge values,
 * |x / scale| around 2^23, saturation at both ends, zero points at the ends, lengths with tails
 * (not a multiple of 32), threads. */
static void test_quantize_i8(void **state) {
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

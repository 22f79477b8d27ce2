/* AVX2+FMA float32 CONV_2D (compiled with -mavx2 -mfma; installed only after a runtime CPU
 * check, see opt_install.c).
 *
 * Why dot products along the input channels instead of the classic packed GEMM (broadcast A,
 * vector along output channels): TFLite stores conv weights OHWI, i.e. contiguous along the
 * input channels, and the kernel table has no plan-time hook to repack them, so a packed GEMM
 * would have to repack ~14 MB of MobileNetV2 weights on every inference. Here the
 * micro-kernel keeps MR=3 pixels x NR=4 output channels = 12 ymm accumulators of 8 partial
 * sums each; per 8 input channels it does 3 loads of activations, 4 loads of weights and 12
 * FMAs, and reduces the partial sums horizontally once per tile (hadd tree -> one __m128 of 4
 * outputs, to which bias and the fused activation are applied).
 *
 * 1x1 convolutions (stride any, no padding) read the activations in place: the row of pixel p
 * is NHWC-contiguous. Other convolutions gather the MR pixels' receptive fields (im2col, in the
 * weight order [ky][kx][i], zero outside the image) into a stack buffer, then run the same
 * micro-kernel with K = kh*kw*Cin. Work is split over tiles of pixels.
 *
 * Where repacking does pay even per call - small K (weights packed on each task's stack) and
 * medium K with many pixels (packed once, in parallel, into the kernel scratch) - a 6x16
 * broadcast GEMM replaces the dot products; see conv_small_k / packed_bytes below for the
 * measured thresholds.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include "kernels/opt/conv_walk.h"
#include "kernels/opt/opt.h"

#define MR 3
#define NR 4
#define IM2COL_MAX_K 2048 /* MR*K floats on the stack: 24 KiB */

static inline __m256i tail_mask(int n) /* lanes [0, n) set, n in 0..8 */
{
    static const int32_t m[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(m + 8 - n));
}

static inline __m128 hsum4(__m256 a, __m256 b, __m256 c, __m256 d) {
    __m256 t0 = _mm256_hadd_ps(a, b);
    __m256 t1 = _mm256_hadd_ps(c, d);
    __m256 t2 = _mm256_hadd_ps(t0, t1);
    return _mm_add_ps(_mm256_castps256_ps128(t2), _mm256_extractf128_ps(t2, 1));
}

/* out[r][j] = act(bias[j] + dot(a[r], w[j])) for r < mr, j < nr; a[r], w[j] have K floats.
 * Rows past mr / nr must still point at readable memory (callers repeat row 0). */
static inline void ukr_3x4(int K, const float *a0, const float *a1, const float *a2,
                           const float *w0, const float *w1, const float *w2, const float *w3,
                           const float *bias, float *o0, float *o1, float *o2, int mr, int nr,
                           __m128 lo, __m128 hi) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c02 = c00, c03 = c00;
    __m256 c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    __m256 c20 = c00, c21 = c00, c22 = c00, c23 = c00;
    int k = 0;
    for (; k + 8 <= K; k += 8) {
        __m256 x0 = _mm256_loadu_ps(a0 + k), x1 = _mm256_loadu_ps(a1 + k);
        __m256 x2 = _mm256_loadu_ps(a2 + k);
        __m256 v = _mm256_loadu_ps(w0 + k);
        c00 = _mm256_fmadd_ps(x0, v, c00);
        c10 = _mm256_fmadd_ps(x1, v, c10);
        c20 = _mm256_fmadd_ps(x2, v, c20);
        v = _mm256_loadu_ps(w1 + k);
        c01 = _mm256_fmadd_ps(x0, v, c01);
        c11 = _mm256_fmadd_ps(x1, v, c11);
        c21 = _mm256_fmadd_ps(x2, v, c21);
        v = _mm256_loadu_ps(w2 + k);
        c02 = _mm256_fmadd_ps(x0, v, c02);
        c12 = _mm256_fmadd_ps(x1, v, c12);
        c22 = _mm256_fmadd_ps(x2, v, c22);
        v = _mm256_loadu_ps(w3 + k);
        c03 = _mm256_fmadd_ps(x0, v, c03);
        c13 = _mm256_fmadd_ps(x1, v, c13);
        c23 = _mm256_fmadd_ps(x2, v, c23);
    }
    if (k < K) {
        __m256i m = tail_mask(K - k);
        __m256 x0 = _mm256_maskload_ps(a0 + k, m), x1 = _mm256_maskload_ps(a1 + k, m);
        __m256 x2 = _mm256_maskload_ps(a2 + k, m);
        __m256 v = _mm256_maskload_ps(w0 + k, m);
        c00 = _mm256_fmadd_ps(x0, v, c00);
        c10 = _mm256_fmadd_ps(x1, v, c10);
        c20 = _mm256_fmadd_ps(x2, v, c20);
        v = _mm256_maskload_ps(w1 + k, m);
        c01 = _mm256_fmadd_ps(x0, v, c01);
        c11 = _mm256_fmadd_ps(x1, v, c11);
        c21 = _mm256_fmadd_ps(x2, v, c21);
        v = _mm256_maskload_ps(w2 + k, m);
        c02 = _mm256_fmadd_ps(x0, v, c02);
        c12 = _mm256_fmadd_ps(x1, v, c12);
        c22 = _mm256_fmadd_ps(x2, v, c22);
        v = _mm256_maskload_ps(w3 + k, m);
        c03 = _mm256_fmadd_ps(x0, v, c03);
        c13 = _mm256_fmadd_ps(x1, v, c13);
        c23 = _mm256_fmadd_ps(x2, v, c23);
    }
    __m128 b;
    if (nr == NR) {
        b = bias ? _mm_loadu_ps(bias) : _mm_setzero_ps();
        __m128 r0 = _mm_min_ps(_mm_max_ps(_mm_add_ps(hsum4(c00, c01, c02, c03), b), lo), hi);
        _mm_storeu_ps(o0, r0);
        if (mr > 1) {
            __m128 r1 = _mm_min_ps(_mm_max_ps(_mm_add_ps(hsum4(c10, c11, c12, c13), b), lo), hi);
            _mm_storeu_ps(o1, r1);
        }
        if (mr > 2) {
            __m128 r2 = _mm_min_ps(_mm_max_ps(_mm_add_ps(hsum4(c20, c21, c22, c23), b), lo), hi);
            _mm_storeu_ps(o2, r2);
        }
    } else {
        __m128i m = _mm256_castsi256_si128(tail_mask(nr));
        b = bias ? _mm_maskload_ps(bias, m) : _mm_setzero_ps();
        __m128 r0 = _mm_min_ps(_mm_max_ps(_mm_add_ps(hsum4(c00, c01, c02, c03), b), lo), hi);
        _mm_maskstore_ps(o0, m, r0);
        if (mr > 1) {
            __m128 r1 = _mm_min_ps(_mm_max_ps(_mm_add_ps(hsum4(c10, c11, c12, c13), b), lo), hi);
            _mm_maskstore_ps(o1, m, r1);
        }
        if (mr > 2) {
            __m128 r2 = _mm_min_ps(_mm_max_ps(_mm_add_ps(hsum4(c20, c21, c22, c23), b), lo), hi);
            _mm_maskstore_ps(o2, m, r2);
        }
    }
}

struct conv_job {
    const struct ecl_conv_params *p;
    const float *in, *w, *bias;
    float *out;
    struct ecl_shape4 is, ws, os;
    int npix; /* n*oh*ow */
    struct ecl_split
        sp; /* dot kernel's items: pixel tiles, cut into channel slices on small maps */
};

/* Copy n floats; short rows (the 3x3x3 stem: 9 floats) inline instead of a libc call
 * (masked stores are slow on some AMD cores, so the tail is scalar). */
static inline void copyf(float *d, const float *s, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(d + i, _mm256_loadu_ps(s + i));
    for (; i < n; i++)
        d[i] = s[i];
}

static inline void zerof(float *d, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(d + i, _mm256_setzero_ps());
    for (; i < n; i++)
        d[i] = 0.0f;
}

/* Receptive field of output pixel (n, y, x) in weight order [ky][kx][i], zero outside the image. */
static void im2col(const struct conv_job *j, int n, int y, int x, float *dst) {
    const struct ecl_conv_params *p = j->p;
    struct ecl_shape4 is = j->is, ws = j->ws;
    size_t row = (size_t)ws.w * is.c;
    for (int ky = 0; ky < ws.h; ky++) {
        int iy = y * p->stride_h - p->pad_top + ky;
        float *d = dst + ky * row;
        if (iy < 0 || iy >= is.h) {
            zerof(d, row);
            continue;
        }
        int ix0 = x * p->stride_w - p->pad_left;
        const float *src = j->in + (((size_t)n * is.h + iy) * is.w) * is.c;
        if (ix0 >= 0 && ix0 + ws.w <= is.w) {
            copyf(d, src + (size_t)ix0 * is.c, row);
            continue;
        }
        for (int kx = 0; kx < ws.w; kx++) {
            int ix = ix0 + kx;
            if (ix < 0 || ix >= is.w)
                zerof(d + (size_t)kx * is.c, (size_t)is.c);
            else
                copyf(d + (size_t)kx * is.c, src + (size_t)ix * is.c, (size_t)is.c);
        }
    }
}

/* The activation row of each of the tile's mr pixels (rows past mr repeat row 0). */
static inline void tile_rows(const struct conv_job *j, int q0, int mr, int nrows, int direct, int K,
                             float *col, const float **a) {
    if (direct && j->p->stride_h == 1 && j->p->stride_w == 1) {
        /* 1x1, stride 1: output pixel q reads input pixel q */
        for (int r = 0; r < nrows; r++)
            a[r] = j->in + (size_t)(q0 + (r < mr ? r : 0)) * j->is.c;
        return;
    }
    struct ecl_pix px = ecl_pix_of(j->os, q0);
    for (int r = 0; r < nrows; r++) {
        if (r >= mr) {
            a[r] = a[0];
            continue;
        }
        if (direct) {
            a[r] = ecl_pix_1x1(j->in, j->is, j->p, px);
        } else {
            a[r] = col + (size_t)r * K;
            im2col(j, px.n, px.y, px.x, col + (size_t)r * K);
        }
        ecl_pix_next(j->os, &px);
    }
}

static void conv_tile_range(const struct conv_job *j, int begin, int end, int c_lo, int c_hi) {
    const struct ecl_conv_params *p = j->p;
    int cout = j->os.c;
    int K = j->ws.h * j->ws.w * j->ws.c;
    int direct = j->ws.h == 1 && j->ws.w == 1 && p->pad_top == 0 && p->pad_left == 0;
    __m128 lo = _mm_set1_ps(p->act_min), hi = _mm_set1_ps(p->act_max);
    float col[direct ? 1 : MR * IM2COL_MAX_K] __attribute__((aligned(32)));
    /* Weights larger than ~256 KiB (e.g. 320->1280, 960->320) would be streamed from L3 once
     * per pixel tile; for 1x1 convs walk them in chunks of output channels that stay in L2,
     * re-reading the (smaller) activation rows instead. */
    int ocs = cout;
    if (direct && (size_t)cout * K * sizeof(float) > (256u << 10)) {
        ocs = (int)((128u << 10) / ((size_t)K * sizeof(float))) & ~(NR - 1);
        if (ocs < NR) ocs = NR;
    }
    for (int oc0 = c_lo; oc0 < c_hi; oc0 += ocs) {
        int oc1 = c_hi - oc0 < ocs ? c_hi : oc0 + ocs;
        for (int t = begin; t < end; t++) {
            int q0 = t * MR, mr = j->npix - q0 < MR ? j->npix - q0 : MR;
            const float *a[MR] = {0}; /* tile_rows fills them (gcc cannot see it) */
            tile_rows(j, q0, mr, MR, direct, K, col, a);
            float *o[MR];
            for (int r = 0; r < MR; r++)
                o[r] = j->out + (size_t)(q0 + (r < mr ? r : 0)) * cout;
            for (int oc = oc0; oc < oc1; oc += NR) {
                int nr = cout - oc < NR ? cout - oc : NR;
                const float *w0 = j->w + (size_t)oc * K;
                const float *w1 = nr > 1 ? w0 + K : w0, *w2 = nr > 2 ? w0 + 2 * K : w0;
                const float *w3 = nr > 3 ? w0 + 3 * K : w0;
                ukr_3x4(K, a[0], a[1], a[2], w0, w1, w2, w3, j->bias ? j->bias + oc : NULL,
                        o[0] + oc, o[1] + oc, o[2] + oc, mr, nr, lo, hi);
            }
        }
    }
}

static void conv_tiles(void *ctx, int begin, int end) {
    const struct conv_job *j = ctx;
    if (j->sp.slices == 1) { /* items are tiles: keep the L2 blocking over them */
        conv_tile_range(j, begin, end, 0, j->os.c);
        return;
    }
    for (int it = begin; it < end; it++) {
        int t, c0, c1;
        ecl_split_item(&j->sp, it, &t, &c0, &c1);
        conv_tile_range(j, t, t + 1, c0, c1);
    }
}

/* ---- small K (<= SMALLK_MAX): packed weights, broadcast GEMM ----
 * With K = 16..64 (MobileNetV2's expand convs, and the 3x3x3 stem after im2col) the dot
 * product kernel spends as long in its horizontal reductions as in its FMAs. There the weights
 * are small (Cout*K <= 8192 floats), so each task repacks them on its stack as panels
 * [ob][k][16] and runs the classic 6x16 micro-kernel: per k, two vector loads of the panel,
 * six broadcasts of A, twelve FMAs into accumulators that already hold the bias. */
#define SMALLK_MAX 64
#define SMALLK_MAXW 8192
#define MR6 6

/* Pack output-channel panels [ob0, ob1) of the weights (and bias) as [ob][k][16]. */
static void pack_panels(const struct conv_job *j, float *pw, float *pb, int ob0, int ob1) {
    const int cout = j->os.c, K = j->ws.h * j->ws.w * j->ws.c;
    for (int ob = ob0; ob < ob1; ob++)
        for (int jj = 0; jj < 16; jj++) {
            int o = ob * 16 + jj;
            float *d = pw + (size_t)ob * K * 16 + jj;
            if (o < cout) {
                const float *src = j->w + (size_t)o * K;
                for (int k = 0; k < K; k++)
                    d[(size_t)k * 16] = src[k];
            } else {
                for (int k = 0; k < K; k++)
                    d[(size_t)k * 16] = 0.0f;
            }
            pb[o] = o < cout && j->bias ? j->bias[o] : 0.0f;
        }
}

/* 6x16 broadcast GEMM over pixel tiles [begin, end) with packed panels pw / bias pb. */
static void gemm_6x16(const struct conv_job *j, const float *pw, const float *pb, float *col,
                      int begin, int end);

static void conv_small_k(void *ctx, int begin, int end) {
    const struct conv_job *j = ctx;
    const int cout = j->os.c, nob = (cout + 15) / 16;
    float pw[SMALLK_MAXW + 16 * SMALLK_MAX] __attribute__((aligned(32)));
    float pb[SMALLK_MAXW / 16 + 16] __attribute__((aligned(32)));
    float col[MR6 * SMALLK_MAX];
    pack_panels(j, pw, pb, 0, nob);
    gemm_6x16(j, pw, pb, col, begin, end);
}

/* ---- medium K, many pixels: panels packed once per call into the kernel scratch ----
 * Measured (one thread): packing included, 14x14 64->384 0.128 -> 0.101 ms, 96->576
 * 0.270 -> 0.223 ms, 28x28 192->32 0.102 -> 0.088 ms; but slower for 7x7 layers (packing not
 * amortised over 49 pixels), K >= 384, and Cout not a multiple of 16 (padding waste). */
#define PACKED_MAX_K 192
#define PACKED_MIN_PIX 128

static size_t packed_bytes(const struct ecl_conv_params *p, struct ecl_shape4 is,
                           struct ecl_shape4 ws, struct ecl_shape4 os) {
    long K = (long)ws.h * ws.w * ws.c, npix = (long)os.n * os.h * os.w;
    int direct = ws.h == 1 && ws.w == 1 && p->pad_top == 0 && p->pad_left == 0;
    int small = K <= SMALLK_MAX && (long)((os.c + 15) / 16) * 16 * K <= SMALLK_MAXW;
    if (!direct || small || K > PACKED_MAX_K || npix < PACKED_MIN_PIX || os.c % 16 != 0 ||
        ws.c != is.c || p->dil_h != 1 || p->dil_w != 1)
        return 0;
    return ((size_t)os.c * K + (size_t)os.c) * sizeof(float) + 64;
}

size_t ecl_avx2_conv2d_f32_scratch(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                   struct ecl_shape4 ws, struct ecl_shape4 os, int n_threads) {
    return packed_bytes(p, is, ws, os);
}

struct packed_job {
    const struct conv_job *j;
    float *pw, *pb;
};

static void pack_task(void *ctx, int begin, int end) {
    const struct packed_job *pj = ctx;
    pack_panels(pj->j, pj->pw, pj->pb, begin, end);
}

static void packed_task(void *ctx, int begin, int end) {
    const struct packed_job *pj = ctx;
    gemm_6x16(pj->j, pj->pw, pj->pb, NULL, begin, end);
}

static void gemm_6x16(const struct conv_job *j, const float *pw, const float *pb, float *col,
                      int begin, int end) {
    const struct ecl_conv_params *p = j->p;
    const int cout = j->os.c, K = j->ws.h * j->ws.w * j->ws.c, nob = (cout + 15) / 16;
    const int direct = j->ws.h == 1 && j->ws.w == 1 && p->pad_top == 0 && p->pad_left == 0;
    const __m256 lo = _mm256_set1_ps(p->act_min), hi = _mm256_set1_ps(p->act_max);
    for (int t = begin; t < end; t++) {
        int q0 = t * MR6, mr = j->npix - q0 < MR6 ? j->npix - q0 : MR6;
        const float *a[MR6] = {0}; /* tile_rows fills mr of them (gcc cannot see it) */
        tile_rows(j, q0, mr, MR6, direct, K, col, a);
        for (int ob = 0; ob < nob; ob++) {
            const float *w = pw + (size_t)ob * K * 16;
            __m256 b0 = _mm256_load_ps(pb + ob * 16), b1 = _mm256_load_ps(pb + ob * 16 + 8);
            __m256 c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1;
            __m256 c30 = b0, c31 = b1, c40 = b0, c41 = b1, c50 = b0, c51 = b1;
            for (int k = 0; k < K; k++, w += 16) {
                __m256 v0 = _mm256_load_ps(w), v1 = _mm256_load_ps(w + 8), x;
                x = _mm256_broadcast_ss(a[0] + k);
                c00 = _mm256_fmadd_ps(x, v0, c00), c01 = _mm256_fmadd_ps(x, v1, c01);
                x = _mm256_broadcast_ss(a[1] + k);
                c10 = _mm256_fmadd_ps(x, v0, c10), c11 = _mm256_fmadd_ps(x, v1, c11);
                x = _mm256_broadcast_ss(a[2] + k);
                c20 = _mm256_fmadd_ps(x, v0, c20), c21 = _mm256_fmadd_ps(x, v1, c21);
                x = _mm256_broadcast_ss(a[3] + k);
                c30 = _mm256_fmadd_ps(x, v0, c30), c31 = _mm256_fmadd_ps(x, v1, c31);
                x = _mm256_broadcast_ss(a[4] + k);
                c40 = _mm256_fmadd_ps(x, v0, c40), c41 = _mm256_fmadd_ps(x, v1, c41);
                x = _mm256_broadcast_ss(a[5] + k);
                c50 = _mm256_fmadd_ps(x, v0, c50), c51 = _mm256_fmadd_ps(x, v1, c51);
            }
            __m256 acc[MR6][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                                  {c30, c31}, {c40, c41}, {c50, c51}};
            int o0 = ob * 16, nr = cout - o0 < 16 ? cout - o0 : 16;
            __m256i m0 = tail_mask(nr < 8 ? nr : 8), m1 = tail_mask(nr > 8 ? nr - 8 : 0);
            for (int r = 0; r < mr; r++) {
                float *op = j->out + (size_t)(q0 + r) * cout + o0;
                __m256 v0 = _mm256_min_ps(_mm256_max_ps(acc[r][0], lo), hi);
                __m256 v1 = _mm256_min_ps(_mm256_max_ps(acc[r][1], lo), hi);
                if (nr == 16) {
                    _mm256_storeu_ps(op, v0);
                    _mm256_storeu_ps(op + 8, v1);
                } else {
                    _mm256_maskstore_ps(op, m0, v0);
                    if (nr > 8) _mm256_maskstore_ps(op + 8, m1, v1);
                }
            }
        }
    }
}

void ecl_avx2_conv2d_f32(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                         const float *in, struct ecl_shape4 is, const float *w,
                         struct ecl_shape4 ws, const float *bias, float *out,
                         struct ecl_shape4 os) {
    int one = ws.h == 1 && ws.w == 1 && p->pad_top == 0 && p->pad_left == 0;
    long K = (long)ws.h * ws.w * ws.c;
    if (ws.c != is.c || p->dil_h != 1 || p->dil_w != 1 || (!one && K > IM2COL_MAX_K) ||
        (long)os.n * os.h * os.w > 0x7fffff00L) {
        ecl_ref_conv2d_f32(kc, p, in, is, w, ws, bias, out, os);
        return;
    }
    struct conv_job j = {p, in, w, bias, out, is, ws, os, os.n * os.h * os.w, {0, 1, 0, 1}};
    size_t need = packed_bytes(p, is, ws, os);
    if (need && kc && kc->scratch && kc->scratch_bytes >= need) {
        float *pw = (float *)(((uintptr_t)kc->scratch + 63) & ~(uintptr_t)63);
        struct packed_job pj = {&j, pw, pw + (size_t)os.c * K};
        ecl_kctx_run(kc, os.c / 16, pack_task, &pj);
        ecl_kctx_run(kc, (j.npix + MR6 - 1) / MR6, packed_task, &pj);
    } else if (K <= SMALLK_MAX && (long)((os.c + 15) / 16) * 16 * K <= SMALLK_MAXW)
        ecl_kctx_run(kc, (j.npix + MR6 - 1) / MR6, conv_small_k, &j);
    else {
        j.sp = ecl_split_plan(kc, (j.npix + MR - 1) / MR, os.c, 16);
        ecl_kctx_run(kc, ecl_split_items(&j.sp), conv_tiles, &j);
    }
}

/* AVX-512F float32 CONV_2D (compiled with -mavx512f -mavx512vl -mfma for the avx512_*.c files
 * only; installed by opt_install.c only when the CPU has AVX-512F and the OS saves the ZMM
 * state, else the AVX2 kernels stay).
 *
 * Same structure as avx2_conv.c, twice the vector width:
 * - packed broadcast GEMM: weights packed as panels [ob][k][16] (16 output channels per zmm),
 *   micro-kernel 12 pixels x 32 channels = 24 zmm accumulators that start at the bias; per k 2
 *   panel loads and 12 broadcast FMAs (embedded broadcast from memory). The panels are packed
 *   at plan time into persistent bytes (conv2d_f32_prepack: 1x1 stride-1 convs that are not
 *   small-K; on small maps, 7..127 pixels, those run a 7-pixel x 48-channel kernel instead),
 *   else per call: on the task's stack for small weights (K <= 64, Cout*K <= 8192: expand
 *   convs, the stem), or into the kernel scratch (parallel). KxK small-K convs on wide rows
 *   (the stem) read their windows in place, a segment per filter row.
 * - dot products along k (avx512_conv_dot.c): what is left (7x7 layers not prepacked, large
 *   weights, other KxK convs via im2col).
 * Channel and k tails use AVX-512 masks. Results equal the reference up to float rounding; each
 * output is computed the same way whatever the split between threads.
 * DEPTHWISE_CONV_2D: avx512_dw.c.
 */
#include "kernels/opt/x86/avx512_conv.h"

#define SMALLK_MAX 64
#define SMALLK_MAXW 8192
#define PACKED_MIN_PIX 128
#define PACKED_MAX_BYTES (320u << 10)
#define PACKED_MAX_K 640 /* GMR*K floats of stack for the last tile: 30 KiB */
#define SMR 7            /* prepacked small-map GEMM: pixels */
#define SNB 3            /* prepacked small-map GEMM: 16-channel panels */

/* ------------------------------------------------------------------ packed GEMM */

/* Pack 16-channel panels [ob0, ob1) of the weights as [ob][k][16] and the bias as pb[ob*16+jj]
 * (zero past Cout). */
static void pack_panels(const struct conv_job *j, float *pw, float *pb, int ob0, int ob1) {
    const int cout = j->os.c, K = j->K;
    for (int ob = ob0; ob < ob1; ob++) {
        float *d = pw + (size_t)ob * K * 16;
        int nr = cout - ob * 16 < 16 ? cout - ob * 16 : 16;
        const float *src = j->w + (size_t)ob * 16 * K;
        int k = 0;
        if (nr == 16) {
            /* 16x16 blocks: load 16 rows of 16 k, transpose, store 16 k-rows of 16 channels */
            for (; k + 16 <= K; k += 16) {
                __m512 r[16], t[16];
                for (int i = 0; i < 16; i++)
                    r[i] = _mm512_loadu_ps(src + (size_t)i * K + k);
                for (int i = 0; i < 16; i += 2) {
                    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
                    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
                }
                for (int i = 0; i < 16; i += 4) {
                    __m512d a0 = _mm512_castps_pd(t[i]), a1 = _mm512_castps_pd(t[i + 1]);
                    __m512d a2 = _mm512_castps_pd(t[i + 2]), a3 = _mm512_castps_pd(t[i + 3]);
                    r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, a2));
                    r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, a2));
                    r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(a1, a3));
                    r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(a1, a3));
                }
                /* r[4g + e]: rows 4g..4g+3, k offsets {e, e+4, e+8, e+12} in its 4 lanes */
                for (int e = 0; e < 4; e++) {
                    __m512 x = _mm512_shuffle_f32x4(r[e], r[4 + e], 0x88);
                    __m512 y = _mm512_shuffle_f32x4(r[8 + e], r[12 + e], 0x88);
                    __m512 xh = _mm512_shuffle_f32x4(r[e], r[4 + e], 0xDD);
                    __m512 yh = _mm512_shuffle_f32x4(r[8 + e], r[12 + e], 0xDD);
                    t[e] = _mm512_shuffle_f32x4(x, y, 0x88);       /* k = e */
                    t[e + 8] = _mm512_shuffle_f32x4(x, y, 0xDD);   /* k = e + 8 */
                    t[e + 4] = _mm512_shuffle_f32x4(xh, yh, 0x88); /* k = e + 4 */
                    t[e + 12] = _mm512_shuffle_f32x4(xh, yh, 0xDD);
                }
                for (int i = 0; i < 16; i++)
                    _mm512_store_ps(d + (size_t)(k + i) * 16, t[i]);
            }
        }
        for (; k < K; k++)
            for (int jj = 0; jj < 16; jj++)
                d[(size_t)k * 16 + jj] = jj < nr ? src[(size_t)jj * K + k] : 0.0f;
        for (int jj = 0; jj < 16; jj++)
            pb[ob * 16 + jj] = jj < nr && j->bias ? j->bias[ob * 16 + jj] : 0.0f;
    }
}

/* GMR (or fewer) pixels x NB panels of 16 channels. a: rows at stride lda (all GMR readable). */
#define GEMM_KERNEL(NAME, NB)                                                                      \
    static inline void NAME(int K, const float *a, size_t lda, const float *w, const float *pb,    \
                            float *out, size_t ldo, int mr, int nr, __m512 lo, __m512 hi) {        \
        __m512 c[GMR][NB];                                                                         \
        for (int r = 0; r < GMR; r++)                                                              \
            for (int b = 0; b < NB; b++)                                                           \
                c[r][b] = _mm512_load_ps(pb + 16 * b);                                             \
        for (int k = 0; k < K; k++, w += 16 * NB) {                                                \
            __m512 v[NB];                                                                          \
            for (int b = 0; b < NB; b++)                                                           \
                v[b] = _mm512_load_ps(w + 16 * b);                                                 \
            for (int r = 0; r < GMR; r++) {                                                        \
                __m512 x = _mm512_set1_ps(a[r * lda + k]);                                         \
                for (int b = 0; b < NB; b++)                                                       \
                    c[r][b] = _mm512_fmadd_ps(x, v[b], c[r][b]);                                   \
            }                                                                                      \
        }                                                                                          \
        for (int r = 0; r < mr; r++)                                                               \
            for (int b = 0; b < NB; b++) {                                                         \
                __m512 y = _mm512_min_ps(_mm512_max_ps(c[r][b], lo), hi);                          \
                int n = nr - 16 * b;                                                               \
                if (n >= 16)                                                                       \
                    _mm512_storeu_ps(out + r * ldo + 16 * b, y);                                   \
                else if (n > 0)                                                                    \
                    _mm512_mask_storeu_ps(out + r * ldo + 16 * b, kmask(n), y);                    \
            }                                                                                      \
    }
GEMM_KERNEL(ukr_gemm_1, 1)

/* Two panels (32 channels): panel ob at w0, panel ob+1 at w1 = w0 + K*16 (nr <= 16: w1 and
 * the second half of pb are not read). Row r's k values are nseg segments of seglen floats,
 * segment s at a + s*segstride + r*lda (one segment: plain rows; kxk windows read in place: a
 * segment per filter row). */
static inline __attribute__((always_inline)) void
ukr_gemm_pair_seg(int nseg, int seglen, size_t segstride, const float *a, size_t lda,
                  const float *w0, const float *w1, const float *pb, float *out, size_t ldo, int mr,
                  int nr, __m512 lo, __m512 hi) {
    __m512 c[GMR][2];
    __m512 b0 = _mm512_load_ps(pb), b1 = nr > 16 ? _mm512_load_ps(pb + 16) : b0;
    if (nr <= 16) w1 = w0;
    for (int r = 0; r < GMR; r++)
        c[r][0] = b0, c[r][1] = b1;
    for (int s = 0; s < nseg; s++, a += segstride)
        for (int k = 0; k < seglen; k++, w0 += 16, w1 += 16) {
            __m512 v0 = _mm512_load_ps(w0), v1 = _mm512_load_ps(w1);
            for (int r = 0; r < GMR; r++) {
                __m512 x = _mm512_set1_ps(a[r * lda + k]);
                c[r][0] = _mm512_fmadd_ps(x, v0, c[r][0]);
                c[r][1] = _mm512_fmadd_ps(x, v1, c[r][1]);
            }
        }
    for (int r = 0; r < mr; r++)
        for (int b = 0; b < 2; b++) {
            __m512 y = _mm512_min_ps(_mm512_max_ps(c[r][b], lo), hi);
            int n = nr - 16 * b;
            if (n >= 16)
                _mm512_storeu_ps(out + r * ldo + 16 * b, y);
            else if (n > 0)
                _mm512_mask_storeu_ps(out + r * ldo + 16 * b, kmask(n), y);
        }
}

static inline void ukr_gemm_pair(int K, const float *a, size_t lda, const float *w0,
                                 const float *w1, const float *pb, float *out, size_t ldo, int mr,
                                 int nr, __m512 lo, __m512 hi) {
    ukr_gemm_pair_seg(1, K, 0, a, lda, w0, w1, pb, out, ldo, mr, nr, lo, hi);
}

/* Output panels ob and ob + 1 (16 channels each; only ob if it is the last) of the tile of
 * mr pixels at q0 whose activation rows are a (stride lda). */
static inline void gemm_panels(const struct conv_job *j, const float *pw, const float *pb,
                               const float *a, size_t lda, int q0, int mr, int ob, __m512 lo,
                               __m512 hi) {
    const int cout = j->os.c, K = j->K, nob = (cout + 15) / 16, nr = cout - ob * 16;
    const float *w0 = pw + (size_t)ob * K * 16;
    float *o = j->out + (size_t)q0 * cout + ob * 16;
    if (ob + 1 < nob)
        ukr_gemm_pair(K, a, lda, w0, w0 + (size_t)K * 16, pb + ob * 16, o, (size_t)cout, mr, nr, lo,
                      hi);
    else
        ukr_gemm_1(K, a, lda, w0, pb + ob * 16, o, (size_t)cout, mr, nr, lo, hi);
}

/* Pixel tiles [begin, end) of GMR pixels, all output channels, packed panels pw / bias pb.
 * Tiles are processed in chunks whose activation rows stay in L2 while every panel pair
 * sweeps over them. */
static void gemm_tiles(const struct conv_job *j, const float *pw, const float *pb, float *col,
                       int begin, int end, int ob_lo, int nob) {
    const int K = j->K;
    const __m512 lo = _mm512_set1_ps(j->p->act_min), hi = _mm512_set1_ps(j->p->act_max);
    int chunk = (int)((256u << 10) / ((size_t)GMR * K * sizeof(float)));
    if (chunk < 1) chunk = 1;
    const int inplace = j->direct && j->p->stride_h == 1 && j->p->stride_w == 1;
    if (!inplace) chunk = 1; /* gathered rows live in col: one tile at a time */
    for (int t0 = begin; t0 < end; t0 += chunk) {
        int t1 = end - t0 < chunk ? end : t0 + chunk;
        if (inplace) {
            for (int ob = ob_lo; ob < nob; ob += 2)
                for (int t = t0; t < t1; t++) {
                    int q0 = t * GMR, mr = j->npix - q0 < GMR ? j->npix - q0 : GMR;
                    size_t lda;
                    const float *a = q0 + GMR <= j->npix ? (lda = (size_t)K, j->in + (size_t)q0 * K)
                                                         : tile_rows(j, q0, mr, GMR, col, &lda);
                    gemm_panels(j, pw, pb, a, lda, q0, mr, ob, lo, hi);
                }
        } else {
            for (int t = t0; t < t1; t++) {
                int q0 = t * GMR, mr = j->npix - q0 < GMR ? j->npix - q0 : GMR;
                size_t lda;
                const float *a = tile_rows(j, q0, mr, GMR, col, &lda);
                for (int ob = ob_lo; ob < nob; ob += 2)
                    gemm_panels(j, pw, pb, a, lda, q0, mr, ob, lo, hi);
            }
        }
    }
}

/* Output rows [begin, end) of an im2col'd conv (the stem) in tiles of GMR pixels along the row:
 * tiles whose windows lie inside the image read them in place (a segment per filter row), the
 * others (borders, the last partial tile of a row) are gathered into col. */
static void win_rows(const struct conv_job *j, const float *pw, const float *pb, float *col,
                     int begin, int end) {
    const struct ecl_conv_params *p = j->p;
    const struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    const int K = j->K, cout = os.c, nob = (cout + 15) / 16;
    const __m512 lo = _mm512_set1_ps(p->act_min), hi = _mm512_set1_ps(p->act_max);
    int x_lo, x_hi;
    ecl_interior_cols(p, is, os, ws.w, &x_lo, &x_hi);
    const size_t rs = (size_t)is.w * is.c, xs = (size_t)p->stride_w * is.c;
    for (int row = begin; row < end; row++) {
        const int n = row / os.h, y = row % os.h, iy0 = y * p->stride_h - p->pad_top;
        const int rows_in = iy0 >= 0 && iy0 + ws.h <= is.h;
        for (int x0 = 0; x0 < os.w; x0 += GMR) {
            const int mr = os.w - x0 < GMR ? os.w - x0 : GMR, q0 = row * os.w + x0;
            if (rows_in && mr == GMR && x0 >= x_lo && x0 + GMR <= x_hi) {
                const float *a = j->in + ((size_t)n * is.h + iy0) * rs +
                                 (size_t)(x0 * p->stride_w - p->pad_left) * is.c;
                for (int ob = 0; ob < nob; ob += 2) {
                    const float *w0 = pw + (size_t)ob * K * 16;
                    ukr_gemm_pair_seg(ws.h, ws.w * is.c, rs, a, xs, w0, w0 + (size_t)K * 16,
                                      pb + ob * 16, j->out + (size_t)q0 * cout + ob * 16,
                                      (size_t)cout, GMR, cout - ob * 16, lo, hi);
                }
            } else {
                size_t lda;
                const float *a = tile_rows(j, q0, mr, GMR, col, &lda);
                for (int ob = 0; ob < nob; ob += 2)
                    gemm_panels(j, pw, pb, a, lda, q0, mr, ob, lo, hi);
            }
        }
    }
}

/* small K: each task packs the (small) weights on its stack; items are GMR-pixel tiles, or
 * output rows (j->win) */
static void conv_small_k(void *ctx, int begin, int end) {
    const struct conv_job *j = ctx;
    const int nob = (j->os.c + 15) / 16;
    float pw[SMALLK_MAXW + 16 * SMALLK_MAX] __attribute__((aligned(64)));
    float pb[SMALLK_MAXW / 16 + 16] __attribute__((aligned(64)));
    float col[GMR * SMALLK_MAX] __attribute__((aligned(64)));
    pack_panels(j, pw, pb, 0, nob);
    if (j->win)
        win_rows(j, pw, pb, col, begin, end);
    else
        gemm_tiles(j, pw, pb, col, begin, end, 0, nob);
}

static int small_k(long K, int cout) {
    return K <= SMALLK_MAX && (long)((cout + 15) / 16) * 16 * K <= SMALLK_MAXW;
}

static size_t packed_bytes(const struct ecl_conv_params *p, struct ecl_shape4 is,
                           struct ecl_shape4 ws, struct ecl_shape4 os) {
    long K = (long)ws.h * ws.w * ws.c, npix = (long)os.n * os.h * os.w;
    int direct = ws.h == 1 && ws.w == 1 && p->pad_top == 0 && p->pad_left == 0;
    size_t nob = (size_t)(os.c + 15) / 16;
    size_t bytes = (nob * 16 * (size_t)K + nob * 16) * sizeof(float);
    if (!direct || small_k(K, os.c) || npix < PACKED_MIN_PIX || bytes > PACKED_MAX_BYTES ||
        K > PACKED_MAX_K || ws.c != is.c || p->dil_h != 1 || p->dil_w != 1 || p->stride_h != 1 ||
        p->stride_w != 1)
        return 0;
    return bytes + 64;
}

size_t ecl_avx512_conv2d_f32_scratch(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                     struct ecl_shape4 ws, struct ecl_shape4 os, int n_threads) {
    return packed_bytes(p, is, ws, os);
}

struct packed_job {
    const struct conv_job *j;
    float *pw, *pb; /* read-only when prepacked */
};

static void pack_task(void *ctx, int begin, int end) {
    const struct packed_job *pj = ctx;
    pack_panels(pj->j, pj->pw, pj->pb, begin, end);
}

static void packed_task(void *ctx, int begin, int end) {
    const struct packed_job *pj = ctx;
    float col[GMR * PACKED_MAX_K] __attribute__((aligned(64))); /* the last, partial tile */
    const struct conv_job *j = pj->j;
    int nob = (j->os.c + 15) / 16;
    if (j->sp.slices == 1) { /* items are tiles: keep the L2 blocking over them */
        gemm_tiles(j, pj->pw, pj->pb, col, begin, end, 0, nob);
        return;
    }
    for (int it = begin; it < end; it++) { /* slices of 32 channels: gemm_panels' pairs */
        int t, u0, u1;
        ecl_split_item(&j->sp, it, &t, &u0, &u1);
        gemm_tiles(j, pj->pw, pj->pb, col, t, t + 1, 2 * u0, 2 * u1 < nob ? 2 * u1 : nob);
    }
}

/* ------------------------------------------------------------------ plan-time packing
 * conv2d_f32_prepack (kernels.h): the panels of pack_panels, once, into persistent bytes. Then
 * 1x1 stride-1 convs on >= PACKED_MIN_PIX pixels run gemm_tiles without per-call packing, and
 * those on small maps (7x7: the dot kernel's territory otherwise) a GEMM of SMR-pixel tiles x
 * up to 3 panels, group of panels outer, tiles inner (each weight panel comes from memory once
 * and is reused from L2 by every tile). */

enum pack_kind { PK_NONE, PK_TILES, PK_SMALL };

static enum pack_kind pack_kind(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                struct ecl_shape4 ws, struct ecl_shape4 os) {
    long K = (long)ws.h * ws.w * ws.c, npix = (long)os.n * os.h * os.w;
    if (ws.h != 1 || ws.w != 1 || p->pad_top != 0 || p->pad_left != 0 || p->stride_h != 1 ||
        p->stride_w != 1 || p->dil_h != 1 || p->dil_w != 1 || ws.c != is.c || os.c < 1 ||
        K > IM2COL_MAX_K || npix > 0x7fffff00L || small_k(K, os.c))
        return PK_NONE;
    if (npix >= PACKED_MIN_PIX) return packed_bytes(p, is, ws, os) ? PK_TILES : PK_NONE;
    return npix >= SMR ? PK_SMALL : PK_NONE;
}

size_t ecl_avx512_conv2d_f32_prepack_bytes(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                           struct ecl_shape4 ws, struct ecl_shape4 os) {
    if (pack_kind(p, is, ws, os) == PK_NONE) return 0;
    size_t nob = (size_t)(os.c + 15) / 16, K = (size_t)ws.h * ws.w * ws.c;
    return (nob * 16 * K + nob * 16) * sizeof(float);
}

void ecl_avx512_conv2d_f32_prepack(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                   const float *w, struct ecl_shape4 ws, const float *bias,
                                   struct ecl_shape4 os, void *dst) {
    struct conv_job j = {
        p, NULL, w,           bias, NULL, is, ws, os, os.n * os.h * os.w, ws.h * ws.w * ws.c,
        1, 0,    {0, 1, 0, 1}};
    float *pw = dst;
    pack_panels(&j, pw, pw + (size_t)((os.c + 15) / 16) * 16 * j.K, 0, (os.c + 15) / 16);
}

/* SMR pixels (rows at stride lda) x NB panels (at stride wst floats); stores rows [r0, SMR). */
#define GEMM_SMALL_KERNEL(NAME, NB)                                                                \
    static void NAME(int K, const float *a, size_t lda, const float *w, size_t wst,                \
                     const float *pb, float *out, size_t ldo, int r0, int nr, __m512 lo,           \
                     __m512 hi) {                                                                  \
        __m512 c[SMR][NB];                                                                         \
        for (int r = 0; r < SMR; r++)                                                              \
            for (int b = 0; b < NB; b++)                                                           \
                c[r][b] = _mm512_load_ps(pb + 16 * b);                                             \
        for (int k = 0; k < K; k++, w += 16) {                                                     \
            __m512 v[NB];                                                                          \
            for (int b = 0; b < NB; b++)                                                           \
                v[b] = _mm512_load_ps(w + b * wst);                                                \
            for (int r = 0; r < SMR; r++) {                                                        \
                __m512 x = _mm512_set1_ps(a[r * lda + k]);                                         \
                for (int b = 0; b < NB; b++)                                                       \
                    c[r][b] = _mm512_fmadd_ps(x, v[b], c[r][b]);                                   \
            }                                                                                      \
        }                                                                                          \
        for (int r = r0; r < SMR; r++)                                                             \
            for (int b = 0; b < NB; b++) {                                                         \
                __m512 y = _mm512_min_ps(_mm512_max_ps(c[r][b], lo), hi);                          \
                int n = nr - 16 * b;                                                               \
                if (n >= 16)                                                                       \
                    _mm512_storeu_ps(out + r * ldo + 16 * b, y);                                   \
                else if (n > 0)                                                                    \
                    _mm512_mask_storeu_ps(out + r * ldo + 16 * b, kmask(n), y);                    \
            }                                                                                      \
    }
GEMM_SMALL_KERNEL(ukr_small_1, 1)
GEMM_SMALL_KERNEL(ukr_small_2, 2)
GEMM_SMALL_KERNEL(ukr_small_3, 3)

typedef void (*ukr_small_fn)(int K, const float *a, size_t lda, const float *w, size_t wst,
                             const float *pb, float *out, size_t ldo, int r0, int nr, __m512 lo,
                             __m512 hi);
static const ukr_small_fn ukr_small[SNB + 1] = {0, ukr_small_1, ukr_small_2, ukr_small_3};

/* items: groups of SNB panels (ecl_split rows), cut into ranges of SMR-pixel tiles */
static void small_task(void *ctx, int begin, int end) {
    const struct packed_job *pj = ctx;
    const struct conv_job *j = pj->j;
    const int K = j->K, cout = j->os.c, nob = (cout + 15) / 16;
    const __m512 lo = _mm512_set1_ps(j->p->act_min), hi = _mm512_set1_ps(j->p->act_max);
    for (int it = begin; it < end; it++) {
        int g, t0, t1;
        ecl_split_item(&j->sp, it, &g, &t0, &t1);
        const int ob = g * SNB, nb = nob - ob < SNB ? nob - ob : SNB;
        const float *w = pj->pw + (size_t)ob * K * 16;
        for (int t = t0; t < t1; t++) {
            /* the last tile ends at the last pixel, overlapping its predecessor, whose rows it
             * does not store again */
            int q0 = t * SMR, r0 = 0;
            if (q0 + SMR > j->npix) r0 = q0 + SMR - j->npix, q0 = j->npix - SMR;
            ukr_small[nb](K, j->in + (size_t)q0 * K, (size_t)K, w, (size_t)K * 16, pj->pb + ob * 16,
                          j->out + (size_t)q0 * cout + ob * 16, (size_t)cout, r0, cout - ob * 16,
                          lo, hi);
        }
    }
}

/* Runs the conv with the weights prepacked in p->w_packed; 0 if it has no such path. */
static int conv_prepacked(const struct ecl_kctx *kc, struct conv_job *j) {
    enum pack_kind kind = pack_kind(j->p, j->is, j->ws, j->os);
    if (kind == PK_NONE) return 0;
    const int nob = (j->os.c + 15) / 16;
    float *pw = (float *)j->p->w_packed;
    struct packed_job pj = {j, pw, pw + (size_t)nob * 16 * j->K};
    if (kind == PK_TILES) {
        j->sp = ecl_split_plan(kc, (j->npix + GMR - 1) / GMR, (nob + 1) / 2, 1);
        ecl_kctx_run(kc, ecl_split_items(&j->sp), packed_task, &pj);
    } else {
        j->sp = ecl_split_plan(kc, (nob + SNB - 1) / SNB, (j->npix + SMR - 1) / SMR, 1);
        ecl_kctx_run(kc, ecl_split_items(&j->sp), small_task, &pj);
    }
    return 1;
}

void ecl_avx512_conv2d_f32(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                           const float *in, struct ecl_shape4 is, const float *w,
                           struct ecl_shape4 ws, const float *bias, float *out,
                           struct ecl_shape4 os) {
    int one = ws.h == 1 && ws.w == 1 && p->pad_top == 0 && p->pad_left == 0;
    long K = (long)ws.h * ws.w * ws.c;
    if (ws.c != is.c || p->dil_h != 1 || p->dil_w != 1 || K > IM2COL_MAX_K ||
        (long)os.n * os.h * os.w > 0x7fffff00L) {
        /* the AVX2 kernel handles 1x1 convs with any K, else calls the reference */
        ecl_avx2_conv2d_f32(kc, p, in, is, w, ws, bias, out, os);
        return;
    }
    struct conv_job j = {p,      in,  w, bias,        out, is, ws, os, os.n * os.h * os.w,
                         (int)K, one, 0, {0, 1, 0, 1}};
    if (p->w_packed && conv_prepacked(kc, &j)) return;
    size_t need = packed_bytes(p, is, ws, os);
    int ntiles = (j.npix + GMR - 1) / GMR;
    if (need && kc && kc->scratch && kc->scratch_bytes >= need) {
        float *pw = (float *)(((uintptr_t)kc->scratch + 63) & ~(uintptr_t)63);
        int nob = (os.c + 15) / 16;
        struct packed_job pj = {&j, pw, pw + (size_t)nob * 16 * K};
        ecl_kctx_run(kc, nob, pack_task, &pj);
        j.sp = ecl_split_plan(kc, ntiles, (nob + 1) / 2, 1);
        ecl_kctx_run(kc, ecl_split_items(&j.sp), packed_task, &pj);
    } else if (small_k(K, os.c)) {
        j.win = !one && os.w >= 2 * GMR;
        ecl_kctx_run(kc, j.win ? os.n * os.h : ntiles, conv_small_k, &j);
    } else {
        ecl_avx512_conv_dot(kc, &j);
    }
}

/* AVX2+FMA float32 DEPTHWISE_CONV_2D (depth_multiplier 1, dilation 1, any kernel size with a
 * 3x3 fast path) and the element-wise / small kernels: FULLY_CONNECTED, ADD, MEAN over H,W.
 *
 * Depthwise in NHWC vectorises over channels: the 1HWC weights are contiguous along channels,
 * so for a block of 8 channels the 9 weight vectors of a 3x3 kernel stay in registers while the
 * loop walks along the output row (9 loads + 9 FMAs per 8 outputs). Taps outside the image are
 * skipped (rows: the valid ky range is computed per output row; columns: only border pixels
 * take the checked path). Channel tails use masked loads/stores. Work is split over output rows.
 */
#include <immintrin.h>
#include "kernels/opt/conv_walk.h"
#include "kernels/opt/opt.h"

static inline __m256i tail_mask(int n) /* lanes [0, n) set, n in 0..8 */
{
    static const int32_t m[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(m + 8 - n));
}

struct dw_job {
    const struct ecl_conv_params *p;
    const float *in, *w, *bias;
    float *out;
    struct ecl_shape4 is, ws, os;
};

#define MAXTAPS 49 /* fast path up to 7x7 */

/* One output pixel, one block of nc <= 8 channels: any kernel size, taps outside the image
 * skipped (rows via [ky0, ky1), columns checked here). */
static inline void dw_px(const struct dw_job *j, const float *inb, float *ob, int iy0, int ky0,
                         int ky1, int x, int c, __m256 lo, __m256 hi) {
    const struct ecl_conv_params *p = j->p;
    const int C = j->os.c, kw = j->ws.w, W = j->is.w, nc = C - c < 8 ? C - c : 8;
    const int ix0 = x * p->stride_w - p->pad_left;
    const __m256i m = tail_mask(nc);
    __m256 acc = j->bias ? _mm256_maskload_ps(j->bias + c, m) : _mm256_setzero_ps();
    for (int ky = ky0; ky < ky1; ky++) {
        const float *ip = inb + (size_t)(iy0 + ky) * W * C + c;
        const float *wp = j->w + (size_t)ky * kw * C + c;
        for (int kx = 0; kx < kw; kx++) {
            int ix = ix0 + kx;
            if (ix < 0 || ix >= W) continue;
            acc = _mm256_fmadd_ps(_mm256_maskload_ps(ip + (size_t)ix * C, m),
                                  _mm256_maskload_ps(wp + (size_t)kx * C, m), acc);
        }
    }
    acc = _mm256_min_ps(_mm256_max_ps(acc, lo), hi);
    _mm256_maskstore_ps(ob + (size_t)x * C + c, m, acc);
}

/* Border pixel, two full blocks of 8 channels at once (two independent FMA chains, plain
 * loads): the left/right image columns of every row go through here. */
static inline void dw_px2(const struct dw_job *j, const float *inb, float *ob, int iy0, int ky0,
                          int ky1, int x, int c, __m256 lo, __m256 hi) {
    const struct ecl_conv_params *p = j->p;
    const int C = j->os.c, kw = j->ws.w, W = j->is.w;
    const int ix0 = x * p->stride_w - p->pad_left;
    __m256 a0 = j->bias ? _mm256_loadu_ps(j->bias + c) : _mm256_setzero_ps();
    __m256 a1 = j->bias ? _mm256_loadu_ps(j->bias + c + 8) : _mm256_setzero_ps();
    int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = W - ix0 < kw ? W - ix0 : kw;
    for (int ky = ky0; ky < ky1; ky++) {
        const float *ip = inb + (size_t)(iy0 + ky) * W * C + c; /* + (ix0 + kx) C below */
        const float *wp = j->w + (size_t)ky * kw * C + c;
        for (int kx = kx0; kx < kx1; kx++) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(ip + (size_t)(ix0 + kx) * C),
                                 _mm256_loadu_ps(wp + (size_t)kx * C), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(ip + (size_t)(ix0 + kx) * C + 8),
                                 _mm256_loadu_ps(wp + (size_t)kx * C + 8), a1);
        }
    }
    _mm256_storeu_ps(ob + (size_t)x * C + c, _mm256_min_ps(_mm256_max_ps(a0, lo), hi));
    _mm256_storeu_ps(ob + (size_t)x * C + c + 8, _mm256_min_ps(_mm256_max_ps(a1, lo), hi));
}

/* All channels of one output pixel. */
static inline void dw_pixel(const struct dw_job *j, const float *inb, float *ob, int iy0, int ky0,
                            int ky1, int x, __m256 lo, __m256 hi) {
    const int C = j->os.c;
    int c = 0;
    for (; c + 16 <= C; c += 16)
        dw_px2(j, inb, ob, iy0, ky0, ky1, x, c, lo, hi);
    for (; c < C; c += 8)
        dw_px(j, inb, ob, iy0, ky0, ky1, x, c, lo, hi);
}

/* Loop order: output row -> groups of 4 output pixels -> blocks of 8 channels. Walking the
 * channels innermost keeps every access sequential (NHWC rows are contiguous along channels)
 * so whole cache lines are used and the prefetchers follow; the 9 weight vectors are reloaded
 * per block from L1 (9 loads per 36 FMAs), and the four output pixels give four independent
 * FMA chains. Border pixels and channel tails take dw_px. */
static void dw_rows(void *ctx, int begin, int end) {
    const struct dw_job *j = ctx;
    const struct ecl_conv_params *p = j->p;
    struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    const int C = os.c, kh = ws.h, kw = ws.w, sh = p->stride_h, sw = p->stride_w;
    const int C8 = C & ~7;
    const __m256 lo = _mm256_set1_ps(p->act_min), hi = _mm256_set1_ps(p->act_max);
    int x_lo, x_hi; /* interior columns: every kx inside the image */
    ecl_interior_cols(p, is, os, kw, &x_lo, &x_hi);
    const int fast = kh == 3 && kw == 3;
    const size_t rs = (size_t)is.w * C, xs = (size_t)sw * C;
    for (int r = begin; r < end; r++) {
        int n = r / os.h, y = r % os.h;
        int iy0 = y * sh - p->pad_top;
        int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = is.h - iy0 < kh ? is.h - iy0 : kh;
        const float *inb = j->in + (size_t)n * is.h * is.w * C;
        float *ob = j->out + ((size_t)n * os.h + y) * os.w * C;
        int x = 0;
        for (; x < x_lo; x++)
            dw_pixel(j, inb, ob, iy0, ky0, ky1, x, lo, hi);
        if (fast) {
            for (; x + 4 <= x_hi; x += 4) {
                const float *ip0 = inb + ((size_t)iy0 * is.w + (x * sw - p->pad_left)) * C;
                float *op = ob + (size_t)x * C;
                for (int c = 0; c < C8; c += 8) {
                    const float *wp = j->w + c;
                    __m256 b = j->bias ? _mm256_loadu_ps(j->bias + c) : _mm256_setzero_ps();
                    __m256 s0 = b, s1 = b, s2 = b, s3 = b;
                    for (int ky = ky0; ky < ky1; ky++) {
                        const float *ip = ip0 + ky * rs + c;
                        const float *wk = wp + (size_t)ky * 3 * C;
                        __m256 wa = _mm256_loadu_ps(wk), wb = _mm256_loadu_ps(wk + C);
                        __m256 wc = _mm256_loadu_ps(wk + 2 * C);
#define DW_TAP(off, wv)                                                                            \
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(ip + (off)), wv, s0);                                     \
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(ip + (off) + xs), wv, s1);                                \
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(ip + (off) + 2 * xs), wv, s2);                            \
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(ip + (off) + 3 * xs), wv, s3);
                        DW_TAP(0, wa) DW_TAP(C, wb) DW_TAP(2 * C, wc)
#undef DW_TAP
                    }
                    _mm256_storeu_ps(op + c, _mm256_min_ps(_mm256_max_ps(s0, lo), hi));
                    _mm256_storeu_ps(op + C + c, _mm256_min_ps(_mm256_max_ps(s1, lo), hi));
                    _mm256_storeu_ps(op + 2 * C + c, _mm256_min_ps(_mm256_max_ps(s2, lo), hi));
                    _mm256_storeu_ps(op + 3 * C + c, _mm256_min_ps(_mm256_max_ps(s3, lo), hi));
                }
                if (C8 < C)
                    for (int k = 0; k < 4; k++)
                        dw_px(j, inb, ob, iy0, ky0, ky1, x + k, C8, lo, hi);
            }
        }
        for (; x < os.w; x++)
            dw_pixel(j, inb, ob, iy0, ky0, ky1, x, lo, hi);
    }
}

void ecl_avx2_dwconv_f32(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                         const float *in, struct ecl_shape4 is, const float *w,
                         struct ecl_shape4 ws, const float *bias, float *out,
                         struct ecl_shape4 os) {
    int dm = p->depth_multiplier > 0 ? p->depth_multiplier : 1;
    if (dm != 1 || is.c != os.c || ws.c != os.c || p->dil_h != 1 || p->dil_w != 1 ||
        ws.h * ws.w > MAXTAPS || p->stride_h < 1 || p->stride_w < 1) {
        ecl_ref_dwconv_f32(kc, p, in, is, w, ws, bias, out, os);
        return;
    }
    struct dw_job j = {p, in, w, bias, out, is, ws, os};
    ecl_kctx_run(kc, os.n * os.h, dw_rows, &j);
}

/* ------------------------------------------------------------------ FULLY_CONNECTED */
static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

struct fc_job {
    const struct ecl_fc_params *p;
    const float *in, *w, *bias;
    float *out;
    int batch, in_dim, out_dim;
};

/* Items are output rows; each row's weights are read once for the whole batch. */
static void fc_rows(void *ctx, int begin, int end) {
    const struct fc_job *j = ctx;
    int K = j->in_dim, tail = K & 7;
    __m256i m = tail_mask(tail);
    for (int o = begin; o < end; o++) {
        const float *wr = j->w + (size_t)o * K;
        for (int b = 0; b < j->batch; b++) {
            const float *x = j->in + (size_t)b * K;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0;
            int k = 0;
            for (; k + 16 <= K; k += 16) {
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k), _mm256_loadu_ps(wr + k), a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k + 8), _mm256_loadu_ps(wr + k + 8), a1);
            }
            for (; k + 8 <= K; k += 8)
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k), _mm256_loadu_ps(wr + k), a0);
            if (tail)
                a1 = _mm256_fmadd_ps(_mm256_maskload_ps(x + k, m), _mm256_maskload_ps(wr + k, m),
                                     a1);
            float v = hsum(_mm256_add_ps(a0, a1)) + (j->bias ? j->bias[o] : 0.0f);
            v = v < j->p->act_min ? j->p->act_min : (v > j->p->act_max ? j->p->act_max : v);
            j->out[(size_t)b * j->out_dim + o] = v;
        }
    }
}

void ecl_avx2_fc_f32(const struct ecl_kctx *kc, const struct ecl_fc_params *p, const float *in,
                     int32_t batch, int32_t in_dim, const float *w, const float *bias, float *out,
                     int32_t out_dim) {
    struct fc_job j = {p, in, w, bias, out, batch, in_dim, out_dim};
    if (batch <= 0 || in_dim <= 0) {
        ecl_ref_fc_f32(kc, p, in, batch, in_dim, w, bias, out, out_dim);
        return;
    }
    /* below ~64k MACs a thread hand-off costs more than it saves */
    if ((long)out_dim * in_dim * batch < 65536)
        fc_rows(&j, 0, out_dim);
    else
        ecl_kctx_run(kc, out_dim, fc_rows, &j);
}

/* ------------------------------------------------------------------ ADD */
struct add_job {
    const struct ecl_binary_params *p;
    const float *a, *b;
    float *out;
    size_t n, len; /* len: values per item (ecl_split_elem_len) */
};

static void add_chunks(void *ctx, int begin, int end) {
    const struct add_job *j = ctx;
    const __m256 lo = _mm256_set1_ps(j->p->act_min), hi = _mm256_set1_ps(j->p->act_max);
    size_t i = (size_t)begin * j->len, e = (size_t)end * j->len;
    if (e > j->n) e = j->n;
    for (; i + 8 <= e; i += 8) {
        __m256 v = _mm256_add_ps(_mm256_loadu_ps(j->a + i), _mm256_loadu_ps(j->b + i));
        _mm256_storeu_ps(j->out + i, _mm256_min_ps(_mm256_max_ps(v, lo), hi));
    }
    for (; i < e; i++) {
        float v = j->a[i] + j->b[i];
        j->out[i] = v < j->p->act_min ? j->p->act_min : (v > j->p->act_max ? j->p->act_max : v);
    }
}

void ecl_avx2_add_f32(const struct ecl_kctx *kc, const struct ecl_binary_params *p, const float *a,
                      struct ecl_shape4 as, const float *b, struct ecl_shape4 bs, float *out,
                      struct ecl_shape4 os) {
    if (!ecl_opt_same_shape(as, os) || !ecl_opt_same_shape(bs, os)) {
        ecl_ref_add_f32(kc, p, a, as, b, bs, out, os);
        return;
    }
    struct add_job j = {p, a, b, out, ecl_shape4_count(os), 0};
    j.len = ecl_split_elem_len(kc, j.n);
    int chunks = ecl_split_elem_items(j.n, j.len);
    if (chunks < 0) {
        ecl_ref_add_f32(kc, p, a, as, b, bs, out, os);
        return;
    }
    ecl_kctx_run(kc, chunks, add_chunks, &j);
}

/* ------------------------------------------------------------------ MEAN over H, W */
struct mean_job {
    const float *in;
    struct ecl_shape4 is;
    float *out;
    struct ecl_split sp;
};

static void mean_hw_task(void *ctx, int begin, int end) {
    const struct mean_job *j = ctx;
    size_t hw = (size_t)j->is.h * j->is.w;
    int C = j->is.c;
    float inv = 1.0f / (float)hw;
    for (int it = begin; it < end; it++) {
        int n, c0, c1;
        ecl_split_item(&j->sp, it, &n, &c0, &c1);
        const float *src = j->in + (size_t)n * hw * C;
        for (int c = c0; c < c1; c += 8) {
            int nc = c1 - c < 8 ? c1 - c : 8;
            __m256i m = tail_mask(nc);
            __m256 s = _mm256_setzero_ps();
            for (size_t q = 0; q < hw; q++)
                s = _mm256_add_ps(s, _mm256_maskload_ps(src + q * C + c, m));
            _mm256_maskstore_ps(j->out + (size_t)n * C + c, m,
                                _mm256_mul_ps(s, _mm256_set1_ps(inv)));
        }
    }
}

void ecl_avx2_mean_hw_f32(const struct ecl_kctx *kc, const float *in, struct ecl_shape4 is,
                          float *out) {
    if ((size_t)is.h * is.w == 0) {
        ecl_ref_mean_hw_f32(kc, in, is, out);
        return;
    }
    /* channel slices at multiples of 8: the same 8-wide sums whatever the split */
    struct mean_job j = {in, is, out, ecl_split_plan(kc, is.n, is.c, 8)};
    ecl_kctx_run(kc, ecl_split_items(&j.sp), mean_hw_task, &j);
}

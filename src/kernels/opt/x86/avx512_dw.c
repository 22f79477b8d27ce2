/* AVX-512F float32 DEPTHWISE_CONV_2D (compiled with -mavx512f -mavx512vl -mfma for this file
 * only; installed by opt_install.c with the AVX-512 float CONV_2D of avx512_conv.c).
 *
 * Work item: one output row (cut into channel slices on small maps). 3x3 filters at stride 1
 * or 2 on rows whose three filter rows are inside the image: the interior pixels channel block
 * (16, masked tail) by channel block, the block's 9 weights and bias in registers along the row,
 * groups of 8 (stride 1) or 4 (stride 2) pixels sharing the input vectors under them
 * (dw3_block: 1.3-1.8x the speed of the order below at stride 1). Other rows (top and bottom
 * borders) and strides: groups of 4 interior pixels -> blocks of 16 channels (dw4, a port of
 * avx2_dw.c). Border pixels and other kernel sizes: a checked per-pixel path. Every output is
 * act(bias + taps in (ky, kx) order), one FMA per tap, on every path: the same value whatever
 * the split. depth_multiplier != 1 / dilation: the AVX2 kernel (-> reference).
 */
#include <immintrin.h>
#include <stdint.h>
#include "kernels/opt/conv_walk.h"
#include "kernels/opt/opt.h"

static inline __mmask16 kmask(int n) /* lanes [0, n) set, n in 0..16 */
{
    return (__mmask16)(n >= 16 ? 0xffff : (1u << n) - 1u);
}

struct dw_job {
    const struct ecl_conv_params *p;
    const float *in, *w, *bias;
    float *out;
    struct ecl_shape4 is, ws, os;
    struct ecl_split sp; /* output rows, cut into channel slices on small maps */
};

#define DW_MAXTAPS 49
#define DW_CHUNK 256 /* channels, multiple of 16 */

/* One output pixel, all channels, taps outside the image skipped. */
static inline void dw_pixel(const struct dw_job *j, const float *inb, float *ob, int iy0, int ky0,
                            int ky1, int x, int c0, int c1, __m512 lo, __m512 hi) {
    const struct ecl_conv_params *p = j->p;
    const int C = j->os.c, kw = j->ws.w, W = j->is.w;
    const int ix0 = x * p->stride_w - p->pad_left;
    const int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = W - ix0 < kw ? W - ix0 : kw;
    for (int c = c0; c < c1; c += 16) {
        const __mmask16 m = kmask(c1 - c);
        __m512 acc = j->bias ? _mm512_maskz_loadu_ps(m, j->bias + c) : _mm512_setzero_ps();
        for (int ky = ky0; ky < ky1; ky++) {
            const float *ip = inb + (size_t)(iy0 + ky) * W * C + c; /* + (ix0 + kx) C below */
            const float *wp = j->w + (size_t)ky * kw * C + c;
            if (m == 0xffff)
                for (int kx = kx0; kx < kx1; kx++)
                    acc = _mm512_fmadd_ps(_mm512_loadu_ps(ip + (size_t)(ix0 + kx) * C),
                                          _mm512_loadu_ps(wp + (size_t)kx * C), acc);
            else
                for (int kx = kx0; kx < kx1; kx++)
                    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, ip + (size_t)(ix0 + kx) * C),
                                          _mm512_maskz_loadu_ps(m, wp + (size_t)kx * C), acc);
        }
        acc = _mm512_min_ps(_mm512_max_ps(acc, lo), hi);
        _mm512_mask_storeu_ps(ob + (size_t)x * C + c, m, acc);
    }
}

/* 4 interior output pixels (3x3 kernel), one block of 16 channels (mask m). Full blocks use
 * plain loads (the compiler drops the all-ones mask). */
static inline __attribute__((always_inline)) void dw4(const struct dw_job *j, const float *ip0,
                                                      float *op, int c, __mmask16 m, int ky0,
                                                      int ky1, size_t rs, size_t xs, __m512 lo,
                                                      __m512 hi) {
    const int C = j->os.c;
    const float *wp = j->w + c;
    __m512 b = j->bias ? _mm512_maskz_loadu_ps(m, j->bias + c) : _mm512_setzero_ps();
    __m512 s0 = b, s1 = b, s2 = b, s3 = b;
#define LD(p) (m == 0xffff ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, (p)))
    for (int ky = ky0; ky < ky1; ky++) {
        const float *ip = ip0 + ky * rs + c;
        const float *wk = wp + (size_t)ky * 3 * C;
        __m512 wa = LD(wk), wb = LD(wk + C), wc = LD(wk + 2 * C);
#define DW_TAP(off, wv)                                                                            \
    s0 = _mm512_fmadd_ps(LD(ip + (off)), wv, s0);                                                  \
    s1 = _mm512_fmadd_ps(LD(ip + (off) + xs), wv, s1);                                             \
    s2 = _mm512_fmadd_ps(LD(ip + (off) + 2 * xs), wv, s2);                                         \
    s3 = _mm512_fmadd_ps(LD(ip + (off) + 3 * xs), wv, s3);
        DW_TAP(0, wa) DW_TAP(C, wb) DW_TAP(2 * C, wc)
#undef DW_TAP
    }
#undef LD
    if (m == 0xffff) {
        _mm512_storeu_ps(op + c, _mm512_min_ps(_mm512_max_ps(s0, lo), hi));
        _mm512_storeu_ps(op + C + c, _mm512_min_ps(_mm512_max_ps(s1, lo), hi));
        _mm512_storeu_ps(op + 2 * C + c, _mm512_min_ps(_mm512_max_ps(s2, lo), hi));
        _mm512_storeu_ps(op + 3 * C + c, _mm512_min_ps(_mm512_max_ps(s3, lo), hi));
    } else {
        _mm512_mask_storeu_ps(op + c, m, _mm512_min_ps(_mm512_max_ps(s0, lo), hi));
        _mm512_mask_storeu_ps(op + C + c, m, _mm512_min_ps(_mm512_max_ps(s1, lo), hi));
        _mm512_mask_storeu_ps(op + 2 * C + c, m, _mm512_min_ps(_mm512_max_ps(s2, lo), hi));
        _mm512_mask_storeu_ps(op + 3 * C + c, m, _mm512_min_ps(_mm512_max_ps(s3, lo), hi));
    }
}

/* 3x3 filter, all three filter rows inside the image, stride S (1 or 2), one block of 16
 * channels (mask m): n interior pixels of one output row. The block's 9 weights and bias stay
 * in registers along the row; groups of G pixels (8 at stride 1, 4 at stride 2) share the input
 * vectors under them (stride 1: 10 loads per filter row for 24 FMAs). ip: input at filter row
 * 0, the first pixel's window column 0, this channel block; op: its output. */
static inline __attribute__((always_inline)) void
dw3_block(const float *ip, size_t rs, const float *w, const float *bias, float *op, ptrdiff_t C,
          int n, __mmask16 m, __m512 lo, __m512 hi, const int S) {
    const int G = S == 1 ? 8 : 4, NV = (G - 1) * S + 3; /* <= 8, <= 10 */
#define LD(p) (m == 0xffff ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, (p)))
    __m512 wv[9];
    for (int k = 0; k < 9; k++)
        wv[k] = LD(w + k * C);
    const __m512 b = bias ? LD(bias) : _mm512_setzero_ps();
    const float *r0 = ip, *r1 = ip + rs, *r2 = ip + 2 * rs;
    int t = 0;
    for (; t + G <= n; t += G, r0 += G * S * C, r1 += G * S * C, r2 += G * S * C, op += G * C) {
        __m512 s[8];
        for (int g = 0; g < G; g++)
            s[g] = b;
#define DW3_ROW(R, K)                                                                              \
    {                                                                                              \
        __m512 v[10];                                                                              \
        for (int i = 0; i < NV; i++)                                                               \
            v[i] = LD((R) + i * C);                                                                \
        for (int g = 0; g < G; g++) {                                                              \
            s[g] = _mm512_fmadd_ps(v[g * S], wv[K], s[g]);                                         \
            s[g] = _mm512_fmadd_ps(v[g * S + 1], wv[K + 1], s[g]);                                 \
            s[g] = _mm512_fmadd_ps(v[g * S + 2], wv[K + 2], s[g]);                                 \
        }                                                                                          \
    }
        DW3_ROW(r0, 0)
        DW3_ROW(r1, 3)
        DW3_ROW(r2, 6)
#undef DW3_ROW
        for (int g = 0; g < G; g++) {
            __m512 y = _mm512_min_ps(_mm512_max_ps(s[g], lo), hi);
            if (m == 0xffff)
                _mm512_storeu_ps(op + g * C, y);
            else
                _mm512_mask_storeu_ps(op + g * C, m, y);
        }
    }
    for (; t < n; t++, r0 += S * C, r1 += S * C, r2 += S * C, op += C) {
        __m512 s = b;
        s = _mm512_fmadd_ps(LD(r0), wv[0], s);
        s = _mm512_fmadd_ps(LD(r0 + C), wv[1], s);
        s = _mm512_fmadd_ps(LD(r0 + 2 * C), wv[2], s);
        s = _mm512_fmadd_ps(LD(r1), wv[3], s);
        s = _mm512_fmadd_ps(LD(r1 + C), wv[4], s);
        s = _mm512_fmadd_ps(LD(r1 + 2 * C), wv[5], s);
        s = _mm512_fmadd_ps(LD(r2), wv[6], s);
        s = _mm512_fmadd_ps(LD(r2 + C), wv[7], s);
        s = _mm512_fmadd_ps(LD(r2 + 2 * C), wv[8], s);
        _mm512_mask_storeu_ps(op, m, _mm512_min_ps(_mm512_max_ps(s, lo), hi));
    }
#undef LD
}

/* The interior pixels [x0, x0 + n) of a row whose filter rows are all inside the image,
 * channels [c0, c1): dw3_block per channel block. */
static inline __attribute__((always_inline)) void dw3_interior(const struct dw_job *j,
                                                               const float *ip, float *op, int n,
                                                               int c0, int c1, __m512 lo, __m512 hi,
                                                               const int S) {
    const ptrdiff_t C = j->os.c;
    const size_t rs = (size_t)j->is.w * C;
    int c = c0;
    for (; c + 16 <= c1; c += 16)
        dw3_block(ip + c, rs, j->w + c, j->bias ? j->bias + c : NULL, op + c, C, n, 0xffff, lo, hi,
                  S);
    if (c < c1)
        dw3_block(ip + c, rs, j->w + c, j->bias ? j->bias + c : NULL, op + c, C, n, kmask(c1 - c),
                  lo, hi, S);
}

static void dw_row_range(const struct dw_job *j, int begin, int end, int c_lo, int c_hi) {
    const struct ecl_conv_params *p = j->p;
    struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    const int C = os.c, kh = ws.h, kw = ws.w, sh = p->stride_h, sw = p->stride_w;
    const __m512 lo = _mm512_set1_ps(p->act_min), hi = _mm512_set1_ps(p->act_max);
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
        if (fast && ky0 == 0 && ky1 == 3 && (sw == 1 || sw == 2) && x_lo < x_hi) {
            /* the whole row at once, channel block by channel block (dw3_block) */
            int x = 0;
            for (; x < x_lo; x++)
                dw_pixel(j, inb, ob, iy0, ky0, ky1, x, c_lo, c_hi, lo, hi);
            const float *ip = inb + ((size_t)iy0 * is.w + (size_t)(x * sw - p->pad_left)) * C;
            if (sw == 1)
                dw3_interior(j, ip, ob + (size_t)x * C, x_hi - x, c_lo, c_hi, lo, hi, 1);
            else
                dw3_interior(j, ip, ob + (size_t)x * C, x_hi - x, c_lo, c_hi, lo, hi, 2);
            for (x = x_hi; x < os.w; x++)
                dw_pixel(j, inb, ob, iy0, ky0, ky1, x, c_lo, c_hi, lo, hi);
            continue;
        }
        /* channel chunks of DW_CHUNK: the chunk's weights and the input rows under a group of
         * 4 output pixels stay in L1 (all 576 or 960 channels at once would not) */
        for (int c0 = c_lo; c0 < c_hi; c0 += DW_CHUNK) {
            const int c1 = c_hi - c0 < DW_CHUNK ? c_hi : c0 + DW_CHUNK;
            int x = 0;
            for (; x < x_lo; x++)
                dw_pixel(j, inb, ob, iy0, ky0, ky1, x, c0, c1, lo, hi);
            if (fast) {
                for (; x + 4 <= x_hi; x += 4) {
                    const float *ip0 = inb + ((size_t)iy0 * is.w + (x * sw - p->pad_left)) * C;
                    float *op = ob + (size_t)x * C;
                    int c = c0;
                    for (; c + 16 <= c1; c += 16)
                        dw4(j, ip0, op, c, 0xffff, ky0, ky1, rs, xs, lo, hi);
                    if (c < c1) dw4(j, ip0, op, c, kmask(c1 - c), ky0, ky1, rs, xs, lo, hi);
                }
            }
            for (; x < os.w; x++)
                dw_pixel(j, inb, ob, iy0, ky0, ky1, x, c0, c1, lo, hi);
        }
    }
}

static void dw_rows(void *ctx, int begin, int end) {
    const struct dw_job *j = ctx;
    for (int it = begin; it < end; it++) {
        int r, c0, c1;
        ecl_split_item(&j->sp, it, &r, &c0, &c1);
        dw_row_range(j, r, r + 1, c0, c1);
    }
}

void ecl_avx512_dwconv_f32(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                           const float *in, struct ecl_shape4 is, const float *w,
                           struct ecl_shape4 ws, const float *bias, float *out,
                           struct ecl_shape4 os) {
    int dm = p->depth_multiplier > 0 ? p->depth_multiplier : 1;
    if (dm != 1 || is.c != os.c || ws.c != os.c || p->dil_h != 1 || p->dil_w != 1 ||
        ws.h * ws.w > DW_MAXTAPS || p->stride_h < 1 || p->stride_w < 1) {
        ecl_avx2_dwconv_f32(kc, p, in, is, w, ws, bias, out, os);
        return;
    }
    struct dw_job j = {p, in, w, bias, out, is, ws, os, ecl_split_plan(kc, os.n * os.h, os.c, 16)};
    ecl_kctx_run(kc, ecl_split_items(&j.sp), dw_rows, &j);
}

/* src/kernels/opt/x86/avx512_conv.h - internal to the AVX-512 float CONV_2D files (compiled with
 * the AVX-512 flags only): the job, masks and copies, the activation rows of a pixel tile
 * (read in place or gathered), and the dot-product path of avx512_conv_dot.c. */
#ifndef EDGECL_KERNELS_OPT_X86_AVX512_CONV_H
#define EDGECL_KERNELS_OPT_X86_AVX512_CONV_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include "kernels/opt/conv_walk.h"
#include "kernels/opt/opt.h"

#define IM2COL_MAX_K 2048 /* DMR*K floats on the stack: 32 KiB */
#define DMR 4             /* dot kernel: pixels */
#define DNR 4             /* dot kernel: output channels */
#define GMR 12            /* GEMM kernel: pixels */

static inline __mmask16 kmask(int n) /* lanes [0, n) set, n in 0..16 */
{
    return (__mmask16)(n >= 16 ? 0xffff : (1u << n) - 1u);
}

struct conv_job {
    const struct ecl_conv_params *p;
    const float *in, *w, *bias;
    float *out;
    struct ecl_shape4 is, ws, os;
    int npix;            /* n*oh*ow */
    int K;               /* kh*kw*cin */
    int direct;          /* 1x1, no padding: rows read in place */
    int win;             /* small-K kxk conv on wide rows: windows read in place (win_rows) */
    struct ecl_split sp; /* items: pixel tiles, cut into channel slices on small maps */
};

static inline void copyf(float *d, const float *s, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(d + i, _mm512_loadu_ps(s + i));
    if (i < n) {
        __mmask16 m = kmask((int)(n - i));
        _mm512_mask_storeu_ps(d + i, m, _mm512_maskz_loadu_ps(m, s + i));
    }
}

static inline void zerof(float *d, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(d + i, _mm512_setzero_ps());
    if (i < n) _mm512_mask_storeu_ps(d + i, kmask((int)(n - i)), _mm512_setzero_ps());
}

/* Receptive field of output pixel (n, y, x) in weight order [ky][kx][i], zero outside. */
static inline void im2col(const struct conv_job *j, int n, int y, int x, float *dst) {
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

/* Activation rows of a tile of mr pixels starting at q0, as (base, stride): 1x1 stride-1 convs
 * read in place; otherwise the rows are gathered into col (nrows rows of K floats; rows past
 * mr repeat the last pixel so they stay readable). */
static inline const float *tile_rows(const struct conv_job *j, int q0, int mr, int nrows,
                                     float *col, size_t *lda) {
    const int K = j->K;
    if (j->direct && j->p->stride_h == 1 && j->p->stride_w == 1 && q0 + nrows <= j->npix) {
        *lda = (size_t)K;
        return j->in + (size_t)q0 * K;
    }
    struct ecl_pix px = ecl_pix_of(j->os, q0);
    for (int r = 0; r < nrows; r++) {
        if (r >= mr) {
            copyf(col + (size_t)r * K, col, (size_t)K);
            continue;
        }
        if (j->direct)
            copyf(col + (size_t)r * K, ecl_pix_1x1(j->in, j->is, j->p, px), (size_t)K);
        else
            im2col(j, px.n, px.y, px.x, col + (size_t)r * K);
        ecl_pix_next(j->os, &px);
    }
    *lda = (size_t)K;
    return col;
}

/* The conv with 4 pixels x 4 channels of dot products along k (avx512_conv_dot.c): sets
 * j->sp and runs the job on kc's threads. */
void ecl_avx512_conv_dot(const struct ecl_kctx *kc, struct conv_job *j);

#endif

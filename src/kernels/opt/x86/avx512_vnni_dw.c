/* AVX512-VNNI int8 3x3 DEPTHWISE_CONV_2D (compiled with -mavx512vnni and the AVX-512 flags;
 * installed with the VNNI conv kernels, see opt_install.c). Bit-exact with the reference.
 *
 * The AVX2 3x3 kernel (avx2_int8.c qdw_block16) widened to 32 channels per zmm, with vpdpwssd
 * (int16 pairs multiplied and added into int32 in one instruction) instead of madd + add: taps
 * are taken in pairs, the two taps' 32 channels interleaved as int16 (_mm512_unpack{lo,hi}_epi16,
 * per 128-bit lane), so each vpdpwssd does 2 taps x 16 channels, exactly (|in| <= 128,
 * |w - w_zp| <= 255). The lanes come out as channels {8l..8l+3} (lo) and {8l+4..8l+7} (hi) of
 * each 128-bit lane l; bias and requantisation parameters are permuted the same way, and
 * _mm512_packs_epi32 of the two halves puts the channels back in order. The input zero point is
 * folded into the bias (sum (in - zp) w = sum in w - zp sum w); taps outside the image read a
 * vector of in_zp, which contributes 0 like the reference's skipped tap. Channel tails use
 * masked loads and stores (lanes past C are computed from zeros and never stored).
 *
 * Everything else (other kernel sizes, depth_multiplier != 1, dilation, an input zero point
 * outside int8, w_zp outside [-128, 127], parameters outside rq_vec_ok()) goes to the AVX2 kernel.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include "kernels/opt/conv_walk.h"
#include "kernels/opt/opt.h"
#include "kernels/opt/x86/q_avx2.h"
#include "kernels/opt/x86/q_avx512.h"

struct vdw_job {
    const struct ecl_conv_params *p;
    const int8_t *in, *w;
    const int32_t *bias;
    int8_t *out;
    struct ecl_shape4 is, os;
    int lsh, k1, x_lo, x_hi; /* k1: every shift <= -1 (q_avx512.h rqz_*_k1) */
    struct ecl_split sp;     /* output rows, cut into 32-channel slices on small maps */
};

/* lane e of the lo (hi) half: channel 8 (e / 4) + e % 4 (+ 4) of the 32 */
static inline __m512i perm_lo(__m512i v0, __m512i v1) {
    const __m512i idx = _mm512_set_epi32(27, 26, 25, 24, 19, 18, 17, 16, 11, 10, 9, 8, 3, 2, 1, 0);
    return _mm512_permutex2var_epi32(v0, idx, v1);
}
static inline __m512i perm_hi(__m512i v0, __m512i v1) {
    const __m512i idx =
        _mm512_set_epi32(31, 30, 29, 28, 23, 22, 21, 20, 15, 14, 13, 12, 7, 6, 5, 4);
    return _mm512_permutex2var_epi32(v0, idx, v1);
}

/* Channels c..c+nc-1 (nc <= 32), output rows [begin, end). */
static void vdw_block32(const struct vdw_job *j, int c, int begin, int end) {
    const struct ecl_conv_params *p = j->p;
    const int C = j->os.c, sw = p->stride_w, sh = p->stride_h, H = j->is.h, W = j->is.w;
    const int OH = j->os.h, OW = j->os.w, nc = C - c < 32 ? C - c : 32;
    const __mmask32 m32 = _bzhi_u32(0xffffffffu, (unsigned)nc);
    const __mmask16 m0 = (__mmask16)(m32 & 0xffff), m1 = (__mmask16)(m32 >> 16);
    const size_t rs = (size_t)W * C;
    const size_t off[9] = {0,      C,          2 * (size_t)C,
                           rs,     rs + C,     rs + 2 * (size_t)C,
                           2 * rs, 2 * rs + C, 2 * rs + 2 * (size_t)C};
    const __m512i z = _mm512_setzero_si512(), zz = _mm512_set1_epi16((int16_t)p->in_zp);
    const __m512i wzp = _mm512_set1_epi16((int16_t)p->w_zp);
    int8_t zpb[32];
    memset(zpb, (int8_t)p->in_zp, sizeof zpb);
    __m512i wl[5], wh[5], flo = z, fhi = z;
    for (int q = 0; q < 5; q++) {
        const int8_t *wp = j->w + c;
        __m512i w0 = _mm512_sub_epi16(
            _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m32, wp + (size_t)2 * q * C)), wzp);
        __m512i w1 = q < 4 ? _mm512_sub_epi16(_mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(
                                                  m32, wp + (size_t)(2 * q + 1) * C)),
                                              wzp)
                           : z;
        wl[q] = _mm512_unpacklo_epi16(w0, w1);
        wh[q] = _mm512_unpackhi_epi16(w0, w1);
        flo = _mm512_dpwssd_epi32(flo, zz, wl[q]);
        fhi = _mm512_dpwssd_epi32(fhi, zz, wh[q]);
    }
    __m512i b0 = z, b1 = z;
    if (j->bias) {
        b0 = _mm512_maskz_loadu_epi32(m0, j->bias + c);
        b1 = _mm512_maskz_loadu_epi32(m1, j->bias + c + 16);
    }
    const __m512i blo = _mm512_sub_epi32(perm_lo(b0, b1), flo);
    const __m512i bhi = _mm512_sub_epi32(perm_hi(b0, b1), fhi);
    const __m512i one30 = _mm512_set1_epi32(1 << 30);
    __m512i mu0 = _mm512_mask_loadu_epi32(one30, m0, p->out_mult + c);
    __m512i mu1 = _mm512_mask_loadu_epi32(one30, m1, p->out_mult + c + 16);
    __m512i s0 = _mm512_maskz_loadu_epi32(m0, p->out_shift + c);
    __m512i s1 = _mm512_maskz_loadu_epi32(m1, p->out_shift + c + 16);
    const struct rqz rlo = rqz_from(perm_lo(mu0, mu1), perm_lo(s0, s1), p->rounding);
    const struct rqz rhi = rqz_from(perm_hi(mu0, mu1), perm_hi(s0, s1), p->rounding);
    const __m512i zp16 = _mm512_set1_epi16((int16_t)p->out_zp);
    const __m256i lo8 = _mm256_set1_epi8((char)p->act_min_q),
                  hi8 = _mm256_set1_epi8((char)p->act_max_q);
    const int k1 = j->k1, single = p->rounding == ECL_ROUND_SINGLE;
#define VRQ(x_, r_)                                                                                \
    (k1 ? (single ? rqz_single_k1(x_, r_) : rqz_double_k1(x_, r_)) : rqz_raw(x_, r_, j->lsh))
#define VPAIR(q, x0, x1)                                                                           \
    {                                                                                              \
        __m512i a_ = x0, b_ = x1;                                                                  \
        alo = _mm512_dpwssd_epi32(alo, _mm512_unpacklo_epi16(a_, b_), wl[q]);                      \
        ahi = _mm512_dpwssd_epi32(ahi, _mm512_unpackhi_epi16(a_, b_), wh[q]);                      \
    }
#define VTAPS                                                                                      \
    VPAIR(0, LD32(0), LD32(1))                                                                     \
    VPAIR(1, LD32(2), LD32(3))                                                                     \
    VPAIR(2, LD32(4), LD32(5))                                                                     \
    VPAIR(3, LD32(6), LD32(7))                                                                     \
    VPAIR(4, LD32(8), z) {                                                                         \
        __m512i w_ = _mm512_packs_epi32(VRQ(alo, &rlo), VRQ(ahi, &rhi));                           \
        __m256i b_ = _mm512_cvtsepi16_epi8(_mm512_adds_epi16(w_, zp16));                           \
        _mm256_mask_storeu_epi8(ob + (size_t)x * C, m32,                                           \
                                _mm256_min_epi8(_mm256_max_epi8(b_, lo8), hi8));                   \
    }
    for (int r = begin; r < end; r++) {
        int n = r / OH, y = r % OH, iy0 = y * sh - p->pad_top;
        const int8_t *inb = j->in + (size_t)n * H * W * C;
        int8_t *ob = j->out + ((size_t)n * OH + y) * OW * C + c;
        const int full_rows = iy0 >= 0 && iy0 + 3 <= H;
        for (int x = 0; x < OW; x++) {
            __m512i alo = blo, ahi = bhi;
            if (full_rows && x >= j->x_lo && x < j->x_hi) {
                const int8_t *ip = inb + ((size_t)iy0 * W + (size_t)(x * sw - p->pad_left)) * C + c;
#define LD32(t) _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m32, ip + off[t]))
                VTAPS
#undef LD32
            } else {
                const int8_t *tp[9];
                int ix0 = x * sw - p->pad_left;
                for (int t = 0; t < 9; t++) {
                    int iy = iy0 + t / 3, ix = ix0 + t % 3;
                    tp[t] = iy >= 0 && iy < H && ix >= 0 && ix < W
                                ? inb + ((size_t)iy * W + ix) * C + c
                                : zpb;
                }
#define LD32(t) _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m32, tp[t]))
                VTAPS
#undef LD32
            }
        }
    }
#undef VTAPS
#undef VPAIR
#undef VRQ
}

static void vdw_rows(void *ctx, int begin, int end) {
    const struct vdw_job *j = ctx;
    if (j->sp.slices == 1) {
        for (int c = 0; c < j->os.c; c += 32)
            vdw_block32(j, c, begin, end);
        return;
    }
    for (int it = begin; it < end; it++) {
        int r, c0, c1;
        ecl_split_item(&j->sp, it, &r, &c0, &c1);
        for (int c = c0; c < c1; c += 32)
            vdw_block32(j, c, r, r + 1);
    }
}

void ecl_avx512_vnni_dwconv_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                               const int8_t *in, struct ecl_shape4 is, const int8_t *w,
                               struct ecl_shape4 ws, const int32_t *bias, int8_t *out,
                               struct ecl_shape4 os) {
    int dm = p->depth_multiplier > 0 ? p->depth_multiplier : 1;
    if (dm != 1 || is.c != os.c || ws.c != os.c || is.n != os.n || p->dil_h != 1 || p->dil_w != 1 ||
        ws.h != 3 || ws.w != 3 || p->stride_h < 1 || p->stride_w < 1 || p->in_zp < -128 ||
        p->in_zp > 127 || p->w_zp < -128 || p->w_zp > 127 || os.c <= 0 ||
        !rq_vec_ok(p->out_mult, p->out_shift, os.c, p->out_zp, p->act_min_q, p->act_max_q,
                   p->rounding)) {
        ecl_avx2_dwconv_i8(kc, p, in, is, w, ws, bias, out, os);
        return;
    }
    struct vdw_job j = {p,  in, w, bias, out, is,
                        os, 0,  0, 0,    0,   ecl_split_plan(kc, os.n * os.h, os.c, 32)};
    j.lsh = any_left_shift(p->out_shift, os.c);
    j.k1 = 1;
    for (int c = 0; c < os.c; c++)
        j.k1 &= p->out_shift[c] <= -1;
    ecl_interior_cols(p, is, os, 3, &j.x_lo, &j.x_hi);
    ecl_kctx_run(kc, ecl_split_items(&j.sp), vdw_rows, &j);
}

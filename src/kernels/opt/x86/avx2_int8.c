/* AVX2 int8 CONV_2D, DEPTHWISE_CONV_2D and ADD (compiled with -mavx2 -mfma; installed only after
 * a runtime CPU check, see opt_install.c). Bit-exact with the reference kernels: the same int32
 * accumulators (integer sums are exact in any order, wrap-around included) and the same
 * requantisation, vectorised in q_avx2.h with the argument why it equals ecl_requant_out_r(,
 * p->rounding) on every input it is used for (other parameters take the scalar function itself).
 *
 * CONV_2D (any kernel size, stride, dilation, padding): each call first widens the OHWI weights
 * to int16 and packs them into the kernel scratch (conv2d_i8_scratch asks for
 * roundup(Cout,16) * roundup(K,2) * 2 bytes, K = kh*kw*Cin) as blocks of 16 output channels x
 * pairs of k (layout at qconv_pack). Then, per tile of 6 output pixels, the receptive fields are
 * gathered (im2col; one contiguous copy per pixel for 1x1, one per filter row otherwise) on the
 * stack as int16 (in - in_zp), zero outside the image: out-of-image taps, odd K and the input
 * zero point need no special case in the inner loop. The micro-kernel is the classic broadcast
 * GEMM tile, 6 pixels x 16 channels = 12 ymm int32 accumulators: per pair of k, 2 weight loads,
 * 6 broadcasts of an activation pair and 12 _mm256_madd_epi16 (|in - zp| <= 255, |w| <= 128:
 * each pair sum is exact). The accumulators are channel-contiguous, so bias, requantisation and
 * the int8 store follow straight from registers. Packing costs Cout*K per call (vectorised as
 * 8x8 int32 transposes), unless the interpreter had it done once at plan time
 * (conv2d_i8_prepack: the kernel then reads p->w_packed).
 *
 * DEPTHWISE_CONV_2D (depth_multiplier 1, dilation 1, up to 7x7): 3x3 kernels take 16 channels
 * at a time with two taps per _mm256_madd_epi16 (qdw_block16); other sizes and channel rests
 * use 8 int32 lanes and _mm256_mullo_epi32; C % 8 channels run the scalar formula.
 *
 * ADD: same shapes, 8 lanes, the TFLite formula with the vector requantisation.
 *
 * Everything else (grouped conv, depth_multiplier != 1, K > 2048, an input zero point outside
 * [-128, 127], a missing scratch, broadcasting ADD) calls the reference kernel.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include "kernels/opt/conv_walk.h"
#include "kernels/opt/opt.h"
#include "kernels/opt/x86/q_avx2.h"

#define Q_MAXTAPS 49 /* depthwise: up to 7x7 */

/* ------------------------------------------------------------------ CONV_2D */
/* Weights, widened and packed per call into the scratch: blocks of 16 output channels, for each
 * pair of k the 16 channels' (w[k], w[k+1]) int16 pairs: wp[((blk * K2 + kp) * 16 + ch) * 2 + e]
 * = w[16 blk + ch][2 kp + e], zero past Cout and K. One _mm256_madd_epi16 of a broadcast
 * activation pair (a[2kp], a[2kp+1]) with the first (second) 8 channels' pairs then gives 8 exact
 * int32 partial sums a[2kp] w[.][2kp] + a[2kp+1] w[.][2kp+1] (|.| <= 2 * 255 * 255; w is w - w_zp),
 * in channel order: no horizontal reduction, and the tile's accumulators go straight to
 * requantisation. */
#define Q_MR 6
#define Q_MAX_KP 2048 /* A tile on the stack: MR * Kp int16 = 24 KiB */

struct qconv_job {
    const struct ecl_conv_params *p;
    const int8_t *in, *w;
    const int32_t *bias;
    int8_t *out;
    struct ecl_shape4 is, ws, os;
    int16_t *wp;
    int K, K2, nblk, npix, vec, lsh;
    struct ecl_split sp; /* items: pixel tiles, cut into 16-channel block slices on small maps */
};

static int qconv_fast_ok(const struct ecl_conv_params *p, struct ecl_shape4 is,
                         struct ecl_shape4 ws, struct ecl_shape4 os) {
    int64_t K = (int64_t)ws.h * ws.w * ws.c;
    return is.c == ws.c && ws.n == os.c && is.n == os.n && K > 0 && (K + 1) / 2 * 2 <= Q_MAX_KP &&
           p->in_zp >= -128 && p->in_zp <= 127 && p->stride_h >= 1 && p->stride_w >= 1 &&
           p->dil_h >= 1 && p->dil_w >= 1 && os.n > 0 && os.h > 0 && os.w > 0 && os.c > 0;
}

static size_t qconv_pack_bytes(struct ecl_shape4 ws) {
    size_t K2 = ((size_t)ws.h * ws.w * ws.c + 1) / 2;
    return ((size_t)ws.n + 15) / 16 * K2 * 32 * sizeof(int16_t);
}

size_t ecl_avx2_conv2d_i8_scratch(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                  struct ecl_shape4 ws, struct ecl_shape4 os, int n_threads) {
    return qconv_fast_ok(p, is, ws, os) ? qconv_pack_bytes(ws) : 0;
}

/* r[i][j] <-> r[j][i], 8x8 int32 */
static inline void transpose8x8_epi32(__m256i r[8]) {
    __m256i t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
        u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
        u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
        u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x31);
    }
}

/* Items: blocks of 16 channels. Per 8 channels and 16 k: 8 rows widened to int16 are 8 x 8
 * int32 (k pairs), transposed to the pair-major layout; the rest element by element. */
static void qconv_pack(void *ctx, int begin, int end) {
    const struct qconv_job *j = ctx;
    const int K = j->K, K2 = j->K2, Cout = j->os.c, zw = j->p->w_zp;
    const __m256i wzp = _mm256_set1_epi16((int16_t)zw);
    for (int blk = begin; blk < end; blk++) {
        int16_t *d = j->wp + (size_t)blk * K2 * 32;
        for (int h = 0; h < 2; h++) {
            int o0 = blk * 16 + h * 8, k0 = 0;
            if (o0 + 8 <= Cout)
                for (; k0 + 16 <= K; k0 += 16) {
                    __m256i r[8];
                    for (int c = 0; c < 8; c++)
                        r[c] = _mm256_sub_epi16(
                            _mm256_cvtepi8_epi16(_mm_loadu_si128(
                                (const __m128i *)(j->w + (size_t)(o0 + c) * K + k0))),
                            wzp);
                    transpose8x8_epi32(r);
                    for (int q = 0; q < 8; q++)
                        _mm256_storeu_si256(
                            (__m256i *)(d + ((size_t)(k0 / 2 + q) * 16 + h * 8) * 2), r[q]);
                }
            for (int ch = h * 8; ch < h * 8 + 8; ch++) {
                int o = blk * 16 + ch;
                const int8_t *src = j->w + (size_t)o * K;
                for (int kp = k0 / 2; kp < K2; kp++) {
                    int k = 2 * kp;
                    d[((size_t)kp * 16 + ch) * 2] = (int16_t)(o < Cout ? src[k] - zw : 0);
                    d[((size_t)kp * 16 + ch) * 2 + 1] =
                        (int16_t)(o < Cout && k + 1 < K ? src[k + 1] - zw : 0);
                }
            }
        }
    }
}

/* d[0..n) = s[0..n) - zp as int16 */
static inline void widen_sub(int16_t *d, const int8_t *s, int n, __m256i zpv, int zp) {
    int i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256(
            (__m256i *)(d + i),
            _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(s + i))), zpv));
    if (i + 8 <= n) {
        _mm_storeu_si128((__m128i *)(d + i),
                         _mm_sub_epi16(_mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(s + i))),
                                       _mm256_castsi256_si128(zpv)));
        i += 8;
    }
    for (; i < n; i++)
        d[i] = (int16_t)(s[i] - zp);
}

/* Receptive field of output pixel pix in weight order [ky][kx][i], (in - zp), zero outside the
 * image and at K when K is odd. A filter row that lies inside the image is one contiguous run
 * of kw*C bytes (NHWC, dilation 1): widened in one go (the 3x3x3 stem: 3 runs of 9). */
static void im2col_px(const struct qconv_job *j, int pix, int16_t *d) {
    const struct ecl_conv_params *p = j->p;
    const struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    const int C = is.c, zp = p->in_zp, kw = ws.w;
    const __m256i zpv = _mm256_set1_epi16((int16_t)zp);
    int n = pix / (os.h * os.w), rem = pix % (os.h * os.w), y = rem / os.w, x = rem % os.w;
    const int8_t *inb = j->in + (size_t)n * is.h * is.w * C;
    const int ix0 = x * p->stride_w - p->pad_left;
    const int row_in = p->dil_w == 1 && ix0 >= 0 && ix0 + kw <= is.w;
    int16_t *dp = d;
    for (int ky = 0; ky < ws.h; ky++) {
        int iy = y * p->stride_h - p->pad_top + ky * p->dil_h;
        if (iy < 0 || iy >= is.h) {
            memset(dp, 0, (size_t)kw * C * sizeof(int16_t));
            dp += (size_t)kw * C;
            continue;
        }
        const int8_t *row = inb + (size_t)iy * is.w * C;
        if (row_in) {
            widen_sub(dp, row + (size_t)ix0 * C, kw * C, zpv, zp);
            dp += (size_t)kw * C;
            continue;
        }
        for (int kx = 0; kx < kw; kx++, dp += C) {
            int ix = ix0 + kx * p->dil_w;
            if (ix < 0 || ix >= is.w)
                memset(dp, 0, (size_t)C * sizeof(int16_t));
            else
                widen_sub(dp, row + (size_t)ix * C, C, zpv, zp);
        }
    }
    if (j->K & 1) *dp = 0;
}

static inline __m256i bcast_pair(const int16_t *a) {
    int32_t v;
    memcpy(&v, a, sizeof v);
    return _mm256_set1_epi32(v);
}

static void qconv_tile_range(const struct qconv_job *j, int begin, int end, int b_lo, int b_hi) {
    const struct ecl_conv_params *p = j->p;
    const int K2 = j->K2, Kp = 2 * K2, Cout = j->os.c;
    const struct rqo ro = rqo_make(p);
    _Alignas(32) int16_t A[Q_MR * Q_MAX_KP];
    for (int t = begin; t < end; t++) {
        int p0 = t * Q_MR, mr = j->npix - p0 < Q_MR ? j->npix - p0 : Q_MR;
        for (int r = 0; r < mr; r++)
            im2col_px(j, p0 + r, A + (size_t)r * Kp);
        const int16_t *a0 = A, *a1 = mr > 1 ? A + Kp : A, *a2 = mr > 2 ? A + 2 * Kp : A;
        const int16_t *a3 = mr > 3 ? A + 3 * Kp : A, *a4 = mr > 4 ? A + 4 * Kp : A;
        const int16_t *a5 = mr > 5 ? A + 5 * Kp : A;
        for (int blk = b_lo; blk < b_hi; blk++) {
            const int16_t *w = j->wp + (size_t)blk * K2 * 32;
            __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00,
                    c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
            for (int kp = 0; kp < K2; kp++, w += 32) {
                __m256i w0 = _mm256_loadu_si256((const __m256i *)w);
                __m256i w1 = _mm256_loadu_si256((const __m256i *)(w + 16));
                __m256i b = bcast_pair(a0 + 2 * kp);
                c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(b, w0));
                c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(b, w1));
                b = bcast_pair(a1 + 2 * kp);
                c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(b, w0));
                c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(b, w1));
                b = bcast_pair(a2 + 2 * kp);
                c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(b, w0));
                c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(b, w1));
                b = bcast_pair(a3 + 2 * kp);
                c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(b, w0));
                c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(b, w1));
                b = bcast_pair(a4 + 2 * kp);
                c40 = _mm256_add_epi32(c40, _mm256_madd_epi16(b, w0));
                c41 = _mm256_add_epi32(c41, _mm256_madd_epi16(b, w1));
                b = bcast_pair(a5 + 2 * kp);
                c50 = _mm256_add_epi32(c50, _mm256_madd_epi16(b, w0));
                c51 = _mm256_add_epi32(c51, _mm256_madd_epi16(b, w1));
            }
            /* epilogue: + bias, requantise, store (full blocks straight from registers) */
            const int o = blk * 16, nc = Cout - o < 16 ? Cout - o : 16;
            __m256i acc[Q_MR][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                                    {c30, c31}, {c40, c41}, {c50, c51}};
            int8_t *ob = j->out + (size_t)p0 * Cout + o;
            if (j->vec) {
                /* a channel tail uses padded copies of bias/mult/shift (padding lanes: any
                 * valid multiplier) and stores only its nc bytes */
                const int32_t *bp = j->bias ? j->bias + o : NULL;
                const int32_t *mp = p->out_mult + o, *sp = p->out_shift + o;
                int32_t bt[16], mt[16], st[16];
                if (nc < 16) {
                    for (int q = 0; q < 16; q++) {
                        bt[q] = q < nc && bp ? bp[q] : 0;
                        mt[q] = q < nc ? mp[q] : 1 << 30;
                        st[q] = q < nc ? sp[q] : 0;
                    }
                    bp = bt, mp = mt, sp = st;
                }
                __m256i b0 = _mm256_setzero_si256(), b1 = b0;
                if (bp) {
                    b0 = _mm256_loadu_si256((const __m256i *)bp);
                    b1 = _mm256_loadu_si256((const __m256i *)(bp + 8));
                }
                const struct rqv r0 = rq_load(mp, sp, p->rounding),
                                 r1 = rq_load(mp + 8, sp + 8, p->rounding);
                for (int r = 0; r < mr; r++) {
                    __m256i v0 = rq_raw(_mm256_add_epi32(acc[r][0], b0), &r0, j->lsh);
                    __m256i v1 = rq_raw(_mm256_add_epi32(acc[r][1], b1), &r1, j->lsh);
                    __m128i q8 = rq_pack16(v0, v1, &ro);
                    if (nc == 16) {
                        _mm_storeu_si128((__m128i *)(ob + (size_t)r * Cout), q8);
                    } else {
                        int8_t t8[16];
                        _mm_storeu_si128((__m128i *)t8, q8);
                        memcpy(ob + (size_t)r * Cout, t8, (size_t)nc);
                    }
                }
            } else {
                _Alignas(32) int32_t tmp[16];
                for (int r = 0; r < mr; r++) {
                    _mm256_store_si256((__m256i *)tmp, acc[r][0]);
                    _mm256_store_si256((__m256i *)(tmp + 8), acc[r][1]);
                    for (int q = 0; q < nc; q++)
                        ob[(size_t)r * Cout + q] = (int8_t)ecl_requant_out_r(
                            tmp[q] + (j->bias ? j->bias[o + q] : 0), p->out_mult[o + q],
                            p->out_shift[o + q], p->out_zp, p->act_min_q, p->act_max_q,
                            p->rounding);
                }
            }
        }
    }
}

static void qconv_tiles(void *ctx, int begin, int end) {
    const struct qconv_job *j = ctx;
    if (j->sp.slices == 1) {
        qconv_tile_range(j, begin, end, 0, j->nblk);
        return;
    }
    for (int it = begin; it < end; it++) {
        int t, b0, b1;
        ecl_split_item(&j->sp, it, &t, &b0, &b1);
        qconv_tile_range(j, t, t + 1, b0, b1);
    }
}

static struct qconv_job qconv_setup(const struct ecl_conv_params *p, const int8_t *in,
                                    const int8_t *w, const int32_t *bias, int8_t *out,
                                    struct ecl_shape4 is, struct ecl_shape4 ws,
                                    struct ecl_shape4 os, int16_t *wp) {
    struct qconv_job j = {p, in, w, bias, out, is, ws, os, wp, 0, 0, 0, 0, 0, 0, {0, 1, 0, 1}};
    j.K = ws.h * ws.w * ws.c;
    j.K2 = (j.K + 1) / 2;
    j.nblk = (os.c + 15) / 16;
    j.npix = os.n * os.h * os.w;
    return j;
}

/* Plan-time packing (kernels.h): the int16 panels qconv_pack writes into the scratch per call,
 * once, into persistent memory; the kernel then reads them from p->w_packed. */
size_t ecl_avx2_conv2d_i8_prepack_bytes(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                        struct ecl_shape4 ws, struct ecl_shape4 os) {
    return qconv_fast_ok(p, is, ws, os) ? qconv_pack_bytes(ws) : 0;
}

void ecl_avx2_conv2d_i8_prepack(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                const int8_t *w, struct ecl_shape4 ws, const int32_t *bias,
                                struct ecl_shape4 os, void *dst) {
    if (!dst || !qconv_fast_ok(p, is, ws, os)) return;
    struct qconv_job j = qconv_setup(p, NULL, w, bias, NULL, is, ws, os, dst);
    qconv_pack(&j, 0, j.nblk);
}

void ecl_avx2_conv2d_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                        const int8_t *in, struct ecl_shape4 is, const int8_t *w,
                        struct ecl_shape4 ws, const int32_t *bias, int8_t *out,
                        struct ecl_shape4 os) {
    size_t need = qconv_fast_ok(p, is, ws, os) ? qconv_pack_bytes(ws) : 0;
    if (!need || (!p->w_packed && (!kc || !kc->scratch || kc->scratch_bytes < need))) {
        ecl_ref_conv2d_i8(kc, p, in, is, w, ws, bias, out, os);
        return;
    }
    struct qconv_job j =
        qconv_setup(p, in, w, bias, out, is, ws, os,
                    p->w_packed ? (int16_t *)(uintptr_t)p->w_packed : (int16_t *)kc->scratch);
    j.vec = rq_vec_ok(p->out_mult, p->out_shift, os.c, p->out_zp, p->act_min_q, p->act_max_q,
                      p->rounding);
    j.lsh = any_left_shift(p->out_shift, os.c);
    if (!p->w_packed) ecl_kctx_run(kc, j.nblk, qconv_pack, &j);
    j.sp = ecl_split_plan(kc, (j.npix + Q_MR - 1) / Q_MR, j.nblk, 1);
    ecl_kctx_run(kc, ecl_split_items(&j.sp), qconv_tiles, &j);
}

/* ------------------------------------------------------------------ DEPTHWISE_CONV_2D */
struct qdw_job {
    const struct ecl_conv_params *p;
    const int8_t *in, *w;
    const int32_t *bias;
    int8_t *out;
    struct ecl_shape4 is, ws, os;
    int vec, lsh;
};

/* Scalar reference formula for one output (channel tails, and channels when !vec). */
static inline int8_t qdw_scalar(const struct qdw_job *j, const int8_t *inb, int iy0, int ix0,
                                int c) {
    const struct ecl_conv_params *p = j->p;
    const struct ecl_shape4 is = j->is, ws = j->ws;
    int32_t acc = j->bias ? j->bias[c] : 0;
    for (int ky = 0; ky < ws.h; ky++) {
        int iy = iy0 + ky;
        if (iy < 0 || iy >= is.h) continue;
        for (int kx = 0; kx < ws.w; kx++) {
            int ix = ix0 + kx;
            if (ix < 0 || ix >= is.w) continue;
            acc += ((int32_t)inb[((size_t)iy * is.w + ix) * is.c + c] - p->in_zp) *
                   ((int32_t)j->w[((size_t)ky * ws.w + kx) * ws.c + c] - p->w_zp);
        }
    }
    return (int8_t)ecl_requant_out_r(acc, p->out_mult[c], p->out_shift[c], p->out_zp, p->act_min_q,
                                     p->act_max_q, p->rounding);
}

/* 3x3 depthwise, 16 channels c..c+15, output rows [begin, end): pairs of taps interleaved as
 * int16 (_mm256_unpack{lo,hi}_epi16) and multiplied-added against the same interleaving of
 * the weights, so one _mm256_madd_epi16 does 2 taps x 8 channels (products of int8 values:
 * w - w_zp within +-255: |pair sum| <= 2 * 128 * 255). The lanes come out as channels {0-3, 8-11}
 * and {4-7, 12-15}; bias and requantisation parameters are permuted the same way, and
 * _mm256_packs_epi32 of the two halves puts the channels back in order. The input zero point is
 * folded into the bias: sum (in - zp) w = sum in w - zp sum w; taps outside the image (border
 * pixels) read a vector of in_zp instead, which contributes (zp - zp) w = 0 like the reference's
 * skipped tap. Channel blocks are the outer loop so that the setup is paid once per block and task.
 */
static void qdw_block16(const struct qdw_job *j, int c, int begin, int end, int x_lo, int x_hi,
                        const struct rqo *ro) {
    const struct ecl_conv_params *p = j->p;
    const int C = j->os.c, sw = p->stride_w, sh = p->stride_h, H = j->is.h, W = j->is.w;
    const int OH = j->os.h, OW = j->os.w;
    const size_t rs = (size_t)W * C;
    const size_t off[9] = {0,      C,          2 * (size_t)C,
                           rs,     rs + C,     rs + 2 * (size_t)C,
                           2 * rs, 2 * rs + C, 2 * rs + 2 * (size_t)C};
    const __m256i z = _mm256_setzero_si256(), zz = _mm256_set1_epi16((int16_t)p->in_zp);
    int8_t zpb[16];
    memset(zpb, (int8_t)p->in_zp, sizeof zpb);
    __m256i wl[5], wh[5], flo = z, fhi = z;
    const __m256i wzp = _mm256_set1_epi16((int16_t)p->w_zp);
    for (int q = 0; q < 5; q++) {
        const int8_t *wp = j->w + c;
        __m256i w0 = _mm256_sub_epi16(
            _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(wp + 2 * q * C))), wzp);
        __m256i w1 = q < 4 ? _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128(
                                                  (const __m128i *)(wp + (2 * q + 1) * C))),
                                              wzp)
                           : z;
        wl[q] = _mm256_unpacklo_epi16(w0, w1);
        wh[q] = _mm256_unpackhi_epi16(w0, w1);
        flo = _mm256_add_epi32(flo, _mm256_madd_epi16(zz, wl[q]));
        fhi = _mm256_add_epi32(fhi, _mm256_madd_epi16(zz, wh[q]));
    }
#define PERM_LO(v0, v1) _mm256_permute2x128_si256(v0, v1, 0x20)
#define PERM_HI(v0, v1) _mm256_permute2x128_si256(v0, v1, 0x31)
    __m256i b0 = z, b1 = z;
    if (j->bias) {
        b0 = _mm256_loadu_si256((const __m256i *)(j->bias + c));
        b1 = _mm256_loadu_si256((const __m256i *)(j->bias + c + 8));
    }
    const __m256i blo = _mm256_sub_epi32(PERM_LO(b0, b1), flo);
    const __m256i bhi = _mm256_sub_epi32(PERM_HI(b0, b1), fhi);
    __m256i m0 = _mm256_loadu_si256((const __m256i *)(p->out_mult + c));
    __m256i m1 = _mm256_loadu_si256((const __m256i *)(p->out_mult + c + 8));
    __m256i s0 = _mm256_loadu_si256((const __m256i *)(p->out_shift + c));
    __m256i s1 = _mm256_loadu_si256((const __m256i *)(p->out_shift + c + 8));
    const struct rqv rlo = rq_from(PERM_LO(m0, m1), PERM_LO(s0, s1), p->rounding);
    const struct rqv rhi = rq_from(PERM_HI(m0, m1), PERM_HI(s0, s1), p->rounding);
#undef PERM_LO
#undef PERM_HI
#define PAIR(q, x0, x1)                                                                            \
    {                                                                                              \
        __m256i a_ = x0, b_ = x1;                                                                  \
        alo = _mm256_add_epi32(alo, _mm256_madd_epi16(_mm256_unpacklo_epi16(a_, b_), wl[q]));      \
        ahi = _mm256_add_epi32(ahi, _mm256_madd_epi16(_mm256_unpackhi_epi16(a_, b_), wh[q]));      \
    }
#define TAPS                                                                                       \
    PAIR(0, LD16(0), LD16(1))                                                                      \
    PAIR(1, LD16(2), LD16(3))                                                                      \
    PAIR(2, LD16(4), LD16(5))                                                                      \
    PAIR(3, LD16(6), LD16(7))                                                                      \
    PAIR(4, LD16(8), z)                                                                            \
    _mm_storeu_si128((__m128i *)(ob + (size_t)x * C),                                              \
                     rq_pack16_il(rq_raw(alo, &rlo, j->lsh), rq_raw(ahi, &rhi, j->lsh), ro));
    for (int r = begin; r < end; r++) {
        int n = r / OH, y = r % OH, iy0 = y * sh - p->pad_top;
        const int8_t *inb = j->in + (size_t)n * H * W * C;
        int8_t *ob = j->out + ((size_t)n * OH + y) * OW * C + c;
        const int full_rows = iy0 >= 0 && iy0 + 3 <= H;
        for (int x = 0; x < OW; x++) {
            __m256i alo = blo, ahi = bhi;
            if (full_rows && x >= x_lo && x < x_hi) {
                const int8_t *ip = inb + ((size_t)iy0 * W + (size_t)(x * sw - p->pad_left)) * C + c;
#define LD16(t) _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(ip + off[t])))
                TAPS
#undef LD16
            } else {
                const int8_t *tp[9];
                int ix0 = x * sw - p->pad_left;
                for (int t = 0; t < 9; t++) {
                    int iy = iy0 + t / 3, ix = ix0 + t % 3;
                    tp[t] = iy >= 0 && iy < H && ix >= 0 && ix < W
                                ? inb + ((size_t)iy * W + ix) * C + c
                                : zpb;
                }
#define LD16(t) _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)tp[t]))
                TAPS
#undef LD16
            }
        }
    }
#undef TAPS
#undef PAIR
}

static void qdw_rows(void *ctx, int begin, int end) {
    const struct qdw_job *j = ctx;
    const struct ecl_conv_params *p = j->p;
    const struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    const int C = os.c, kh = ws.h, kw = ws.w, sh = p->stride_h, sw = p->stride_w;
    const int C8 = j->vec ? C & ~7 : 0;
    const __m256i zpi = _mm256_set1_epi32(p->in_zp), wzp32 = _mm256_set1_epi32(p->w_zp);
    const struct rqo ro = rqo_make(p);
    int x_lo, x_hi; /* interior columns: every kx inside the image */
    ecl_interior_cols(p, is, os, kw, &x_lo, &x_hi);
    const size_t rs = (size_t)is.w * C;
    __m256i wv[Q_MAXTAPS];
    /* 3x3: blocks of 16 channels by qdw_block16, the rest (C % 16) below */
    const int C16 = kh == 3 && kw == 3 && p->in_zp >= -128 && p->in_zp <= 127 ? C8 & ~15 : 0;
    for (int c = 0; c < C16; c += 16)
        qdw_block16(j, c, begin, end, x_lo, x_hi, &ro);
    for (int r = begin; r < end; r++) {
        int n = r / os.h, y = r % os.h;
        int iy0 = y * sh - p->pad_top;
        int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = is.h - iy0 < kh ? is.h - iy0 : kh;
        const int8_t *inb = j->in + (size_t)n * is.h * is.w * C;
        int8_t *ob = j->out + ((size_t)n * os.h + y) * os.w * C;
        const int fast = kh == 3 && kw == 3 && ky0 == 0 && ky1 == 3;
        for (int c = C16; c < C8; c += 8) {
            __m256i b = j->bias ? _mm256_loadu_si256((const __m256i *)(j->bias + c))
                                : _mm256_setzero_si256();
            __m256i wsum = _mm256_setzero_si256();
            for (int t = 0; t < kh * kw; t++) {
                wv[t] = _mm256_sub_epi32(ld8_i32(j->w + (size_t)t * C + c), wzp32);
                wsum = _mm256_add_epi32(wsum, wv[t]);
            }
            const struct rqv rq = rq_load(p->out_mult + c, p->out_shift + c, p->rounding);
            const __m256i badj = _mm256_sub_epi32(b, _mm256_mullo_epi32(zpi, wsum));
            for (int x = 0; x < os.w; x++) {
                int ix0 = x * sw - p->pad_left;
                __m256i acc;
                if (fast && x >= x_lo && x < x_hi) {
                    /* all 9 taps in the image: sum(in*w) + bias - zp*sum(w) */
                    const int8_t *ip = inb + ((size_t)iy0 * is.w + ix0) * C + c;
                    __m256i a0 = badj;
                    __m256i a1 = _mm256_mullo_epi32(ld8_i32(ip), wv[0]);
                    a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(ld8_i32(ip + C), wv[1]));
                    a1 = _mm256_add_epi32(a1, _mm256_mullo_epi32(ld8_i32(ip + 2 * C), wv[2]));
                    ip += rs;
                    a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(ld8_i32(ip), wv[3]));
                    a1 = _mm256_add_epi32(a1, _mm256_mullo_epi32(ld8_i32(ip + C), wv[4]));
                    a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(ld8_i32(ip + 2 * C), wv[5]));
                    ip += rs;
                    a1 = _mm256_add_epi32(a1, _mm256_mullo_epi32(ld8_i32(ip), wv[6]));
                    a0 = _mm256_add_epi32(a0, _mm256_mullo_epi32(ld8_i32(ip + C), wv[7]));
                    a1 = _mm256_add_epi32(a1, _mm256_mullo_epi32(ld8_i32(ip + 2 * C), wv[8]));
                    acc = _mm256_add_epi32(a0, a1);
                } else {
                    int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = is.w - ix0 < kw ? is.w - ix0 : kw;
                    acc = b;
                    for (int ky = ky0; ky < ky1; ky++) {
                        /* ix0 may be negative (left padding): form the index, not a pointer
                         * before the row (found by fuzz_model on a real MobileNetV1) */
                        const int8_t *row = inb + (size_t)(iy0 + ky) * is.w * C + c;
                        for (int kx = kx0; kx < kx1; kx++)
                            acc = _mm256_add_epi32(
                                acc,
                                _mm256_mullo_epi32(
                                    _mm256_sub_epi32(ld8_i32(row + (size_t)(ix0 + kx) * C), zpi),
                                    wv[ky * kw + kx]));
                    }
                }
                rq_store8(ob + (size_t)x * C + c, rq_raw(acc, &rq, j->lsh), &ro);
            }
        }
        if (C8 < C)
            for (int x = 0; x < os.w; x++)
                for (int c = C8; c < C; c++)
                    ob[(size_t)x * C + c] = qdw_scalar(j, inb, iy0, x * sw - p->pad_left, c);
    }
}

void ecl_avx2_dwconv_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                        const int8_t *in, struct ecl_shape4 is, const int8_t *w,
                        struct ecl_shape4 ws, const int32_t *bias, int8_t *out,
                        struct ecl_shape4 os) {
    int dm = p->depth_multiplier > 0 ? p->depth_multiplier : 1;
    if (dm != 1 || is.c != os.c || ws.c != os.c || is.n != os.n || p->dil_h != 1 || p->dil_w != 1 ||
        ws.h * ws.w > Q_MAXTAPS || ws.h < 1 || ws.w < 1 || p->stride_h < 1 || p->stride_w < 1) {
        ecl_ref_dwconv_i8(kc, p, in, is, w, ws, bias, out, os);
        return;
    }
    struct qdw_job j = {p, in, w, bias, out, is, ws, os, 0, 0};
    j.vec = rq_vec_ok(p->out_mult, p->out_shift, os.c, p->out_zp, p->act_min_q, p->act_max_q,
                      p->rounding);
    j.lsh = any_left_shift(p->out_shift, os.c);
    ecl_kctx_run(kc, os.n * os.h, qdw_rows, &j);
}

/* ------------------------------------------------------------------ ADD */
/* TFLite int8 ADD, same shapes only (broadcasting: reference). Vector path when
 * left_shift <= 20, input zero points within int8 and input shifts <= 1: then
 * |(x - zp) << left_shift| < 2^28 and each rescaled input is below 2^29 in magnitude, so their
 * int32 sum never needs the reference's int64 saturation. */

struct qadd_job {
    const struct ecl_binary_params *p;
    const int8_t *a, *b;
    int8_t *out;
    size_t n;
    int vec;
    size_t len; /* values per item (ecl_split_elem_len) */
};

static inline int8_t qadd_one(const struct ecl_binary_params *p, int32_t a, int32_t b) {
    /* the reference formula (ref_misc.c add_i8_one) */
    int32_t sa = (a - p->a_zp) * (1 << p->left_shift);
    int32_t sb = (b - p->b_zp) * (1 << p->left_shift);
    int64_t sum =
        (int64_t)ecl_requant(sa, p->a_mult, p->a_shift) + ecl_requant(sb, p->b_mult, p->b_shift);
    int32_t s32 = sum > INT32_MAX ? INT32_MAX : (sum < INT32_MIN ? INT32_MIN : (int32_t)sum);
    return (int8_t)ecl_requant_out(s32, p->out_mult, p->out_shift, p->out_zp, p->act_min_q,
                                   p->act_max_q);
}

static void qadd_chunks(void *ctx, int begin, int end) {
    const struct qadd_job *j = ctx;
    const struct ecl_binary_params *p = j->p;
    size_t i = (size_t)begin * j->len, e = (size_t)end * j->len;
    if (e > j->n) e = j->n;
    if (j->vec) {
        int32_t am[8], as[8], bm[8], bsh[8], om[8], osh[8];
        for (int k = 0; k < 8; k++)
            am[k] = p->a_mult, as[k] = p->a_shift, bm[k] = p->b_mult, bsh[k] = p->b_shift,
            om[k] = p->out_mult, osh[k] = p->out_shift;
        const struct rqv ra = rq_load(am, as, ECL_ROUND_DOUBLE),
                         rb = rq_load(bm, bsh, ECL_ROUND_DOUBLE),
                         ro = rq_load(om, osh, ECL_ROUND_DOUBLE);
        const __m256i azp = _mm256_set1_epi32(p->a_zp), bzp = _mm256_set1_epi32(p->b_zp);
        const __m128i ls = _mm_cvtsi32_si128(p->left_shift);
        const struct rqo ro2 = rqo_make2(p->out_zp, p->act_min_q, p->act_max_q);
        const int lsh = p->a_shift > 0 || p->b_shift > 0, olsh = p->out_shift > 0;
        for (; i + 8 <= e; i += 8) {
            __m256i xa = _mm256_sll_epi32(_mm256_sub_epi32(ld8_i32(j->a + i), azp), ls);
            __m256i xb = _mm256_sll_epi32(_mm256_sub_epi32(ld8_i32(j->b + i), bzp), ls);
            __m256i s = _mm256_add_epi32(rq_raw(xa, &ra, lsh), rq_raw(xb, &rb, lsh));
            rq_store8(j->out + i, rq_raw(s, &ro, olsh), &ro2);
        }
    }
    for (; i < e; i++)
        j->out[i] = qadd_one(p, j->a[i], j->b[i]);
}

void ecl_avx2_add_i8(const struct ecl_kctx *kc, const struct ecl_binary_params *p, const int8_t *a,
                     struct ecl_shape4 as, const int8_t *b, struct ecl_shape4 bs, int8_t *out,
                     struct ecl_shape4 os) {
    struct qadd_job j = {p, a, b, out, ecl_shape4_count(os), 0, 0};
    j.len = ecl_split_elem_len(kc, j.n);
    int chunks = ecl_split_elem_items(j.n, j.len);
    if (!ecl_opt_same_shape(as, os) || !ecl_opt_same_shape(bs, os) || chunks < 0) {
        ecl_ref_add_i8(kc, p, a, as, b, bs, out, os);
        return;
    }
    j.vec = p->left_shift >= 0 && p->left_shift <= 20 && p->a_zp >= -128 && p->a_zp <= 127 &&
            p->b_zp >= -128 && p->b_zp <= 127 && p->a_shift <= 1 && p->b_shift <= 1 &&
            rq_vec_ok(&p->a_mult, &p->a_shift, 1, 0, -128, 127, ECL_ROUND_DOUBLE) &&
            rq_vec_ok(&p->b_mult, &p->b_shift, 1, 0, -128, 127, ECL_ROUND_DOUBLE) &&
            rq_vec_ok(&p->out_mult, &p->out_shift, 1, p->out_zp, p->act_min_q, p->act_max_q,
                      ECL_ROUND_DOUBLE);
    ecl_kctx_run(kc, chunks, qadd_chunks, &j);
}

/* AVX512-VNNI int8 CONV_2D and FULLY_CONNECTED (compiled with -mavx512vnni and the AVX-512
 * flags; installed only when CPUID reports AVX512-VNNI besides AVX-512F/DQ/BW/VL and XCR0 the
 * ZMM state, see opt_install.c). Bit-exact with the reference kernels.
 *
 * vpdpbusd multiplies unsigned bytes by signed bytes, 4 at a time, into int32 lanes (wrapping:
 * integer sums are exact modulo 2^32 in any order, so equal to the reference's int32 sums). The
 * activations a (int8) go in as u = a + 128 (u8, a ^ 0x80), the raw weights w (s8) as they are,
 * and with c = in_zp + 128 (in [0, 255] for in_zp within int8) and zw = w_zp:
 *   sum_k (a - in_zp)(w - zw) = sum_k (u - c)(w - zw)
 *                             = sum_k u w  -  c sum_k w  -  zw sum_k u  +  K' c zw
 * over the K' = roundup(K, 4) taps of the receptive field, where taps outside the image and the
 * padding past K hold u = c (a = in_zp: they contribute 0 like the reference's skipped taps) and
 * padded weights are 0. Per output channel, bias - c sum w (+ K' c zw) is folded into one
 * int32 at packing time; per pixel, zw sum u (only when zw != 0, uint8 models) is subtracted
 * from the tile's accumulators.
 *
 * CONV_2D (any kernel size, stride, dilation, padding): each call packs the OHWI weights into
 * the kernel scratch (ecl_avx512_vnni_conv2d_i8_scratch: roundup(Cout,16) * (K' + 4) bytes),
 * unless the interpreter had them packed once at plan time (conv2d_i8_prepack, p->w_packed), as
 * blocks of 16 output channels x groups of 4 k, one 64-byte vector per (block, group):
 * wp[(blk * G + g) * 64 + ch * 4 + e] = w[16 blk + ch][4 g + e], followed by the folded
 * per-channel constants. Per tile of 6 output pixels the receptive fields are gathered as u8
 * rows on the stack (1x1: one contiguous copy per pixel; KxK: one per filter tap), then the
 * micro-kernel runs 6 pixels x up to 64 channels = 24 zmm accumulators: per group of 4 k, up to
 * 4 weight loads, 6 broadcasts of 4 activation bytes and 24 vpdpbusd. The accumulators are
 * channel-contiguous; requantisation is the AVX2 vector code of q_avx2.h widened to 16 lanes.
 *
 * FULLY_CONNECTED: 4 output rows at a time, dot products along in_dim (64 bytes per vpdpbusd)
 * of u = x ^ 0x80 with the weight rows and of a vector of ones with the weight rows (sum w),
 * reduced horizontally, corrected as above (K = in_dim, tails masked to 0 on both sides) and
 * requantised with ecl_requant_out_r(, p->rounding) itself.
 *
 * Shapes the conv path does not take (grouped conv, K' > V_MAX_K, an input zero point outside
 * int8, |w_zp| > 255) go to the AVX2 kernel; scratch then asks for what that one needs.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include "kernels/opt/opt.h"
#include "kernels/opt/x86/q_avx2.h"
#include "kernels/opt/x86/q_avx512.h"

#define V_MR 6
#define V_MAX_K 4608 /* padded K (3x3x512); A tile on the stack: MR * K' bytes = 27 KiB */

/* ------------------------------------------------------------------ CONV_2D */
struct vconv_job {
    const struct ecl_conv_params *p;
    const int8_t *in, *w;
    const int32_t *bias;
    int8_t *out;
    struct ecl_shape4 is, ws, os;
    int8_t *wp;    /* packed weights: nblk * G * 64 bytes */
    int32_t *corr; /* nblk * 16 folded constants */
    int K, G, Kp, nblk, npix, vec, lsh, contig;
    struct ecl_split sp; /* items: pixel tiles, cut into 16-channel block slices on small maps */
};

static int vconv_ok(const struct ecl_conv_params *p, struct ecl_shape4 is, struct ecl_shape4 ws,
                    struct ecl_shape4 os) {
    int64_t K = (int64_t)ws.h * ws.w * ws.c;
    return is.c == ws.c && ws.n == os.c && is.n == os.n && K > 0 && (K + 3) / 4 * 4 <= V_MAX_K &&
           p->in_zp >= -128 && p->in_zp <= 127 && p->w_zp >= -255 && p->w_zp <= 255 &&
           p->stride_h >= 1 && p->stride_w >= 1 && p->dil_h >= 1 && p->dil_w >= 1 && os.n > 0 &&
           os.h > 0 && os.w > 0 && os.c > 0;
}

static size_t vconv_bytes(struct ecl_shape4 ws) {
    size_t Kp = ((size_t)ws.h * ws.w * ws.c + 3) / 4 * 4;
    return ((size_t)ws.n + 15) / 16 * 16 * (Kp + sizeof(int32_t));
}

size_t ecl_avx512_vnni_conv2d_i8_scratch(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                         struct ecl_shape4 ws, struct ecl_shape4 os,
                                         int n_threads) {
    if (vconv_ok(p, is, ws, os)) return vconv_bytes(ws);
    return ecl_avx2_conv2d_i8_scratch(p, is, ws, os, n_threads);
}

/* 16 channels x 16 k of a full block: rows loaded as 4 x 128 bits per vector (lane l of Z[q] =
 * channel q + 4l), a 4x4 int32 transpose inside each 128-bit lane gives the 4 groups' vectors
 * (lane l = channels 4l..4l+3); sum w per channel accumulates with vpdpbusd against ones. */
static inline __m512i pack16x16(const int8_t *src, int K, int8_t *d, __m512i sw) {
    const __m512i ones = _mm512_set1_epi8(1);
    __m512i Z[4];
#define ROW(q) _mm_loadu_si128((const __m128i *)(src + (size_t)(q)*K))
    for (int q = 0; q < 4; q++) { /* inserti32x4 needs its lane as a constant */
        Z[q] = _mm512_inserti32x4(_mm512_castsi128_si512(ROW(q)), ROW(q + 4), 1);
        Z[q] = _mm512_inserti32x4(Z[q], ROW(q + 8), 2);
        Z[q] = _mm512_inserti32x4(Z[q], ROW(q + 12), 3);
    }
#undef ROW
    __m512i t0 = _mm512_unpacklo_epi32(Z[0], Z[1]), t1 = _mm512_unpackhi_epi32(Z[0], Z[1]);
    __m512i t2 = _mm512_unpacklo_epi32(Z[2], Z[3]), t3 = _mm512_unpackhi_epi32(Z[2], Z[3]);
    __m512i T[4] = {_mm512_unpacklo_epi64(t0, t2), _mm512_unpackhi_epi64(t0, t2),
                    _mm512_unpacklo_epi64(t1, t3), _mm512_unpackhi_epi64(t1, t3)};
    for (int i = 0; i < 4; i++) {
        _mm512_storeu_si512(d + (size_t)i * 64, T[i]);
        sw = _mm512_dpbusd_epi32(sw, ones, T[i]);
    }
    return sw;
}

/* Items: blocks of 16 channels. Full blocks: 16 k at a time (pack16x16), the rest channel by
 * channel, 4 bytes per group at a stride of 64. Then the folded constant per channel:
 * bias - c sum w + K' c zw (uint32: wraps). */
static void vconv_pack(void *ctx, int begin, int end) {
    const struct vconv_job *j = ctx;
    const int K = j->K, G = j->G, Cout = j->os.c;
    const uint32_t c = (uint32_t)(j->p->in_zp + 128), zw = (uint32_t)j->p->w_zp;
    for (int blk = begin; blk < end; blk++) {
        int8_t *d = j->wp + (size_t)blk * G * 64;
        const int o0 = blk * 16, full = o0 + 16 <= Cout;
        int g0 = 0;
        _Alignas(64) int32_t swv[16];
        __m512i sw = _mm512_setzero_si512();
        if (full)
            for (; 4 * g0 + 16 <= K; g0 += 4)
                sw = pack16x16(j->w + (size_t)o0 * K + 4 * g0, K, d + (size_t)g0 * 64, sw);
        _mm512_store_si512(swv, sw);
        for (int ch = 0; ch < 16; ch++) {
            int o = o0 + ch;
            if (o >= Cout) {
                for (int g = 0; g < G; g++)
                    memset(d + (size_t)g * 64 + ch * 4, 0, 4);
                j->corr[o] = 0;
                continue;
            }
            const int8_t *src = j->w + (size_t)o * K;
            uint32_t s = (uint32_t)swv[ch];
            for (int g = g0; g < G; g++) {
                int8_t t[4] = {0, 0, 0, 0};
                for (int e = 0; e < 4 && 4 * g + e < K; e++)
                    t[e] = src[4 * g + e], s += (uint32_t)src[4 * g + e];
                memcpy(d + (size_t)g * 64 + ch * 4, t, 4);
            }
            uint32_t b = j->bias ? (uint32_t)j->bias[o] : 0u;
            j->corr[o] = (int32_t)(b - c * s + (uint32_t)j->Kp * c * zw);
        }
    }
}

/* d[0..n) = s[0..n) ^ 0x80 (int8 -> u8 = a + 128) */
static inline void copy_u8(uint8_t *d, const int8_t *s, int n) {
    const __m512i x80 = _mm512_set1_epi8((char)0x80);
    int i = 0;
    for (; i + 64 <= n; i += 64)
        _mm512_storeu_si512(d + i, _mm512_xor_si512(_mm512_loadu_si512(s + i), x80));
    if (i < n) {
        __mmask64 m = _bzhi_u64(~0ull, (unsigned)(n - i));
        _mm512_mask_storeu_epi8(d + i, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, s + i), x80));
    }
}

/* Receptive field of output pixel pix in weight order [ky][kx][i] as u8, c outside the image
 * and past K (up to Kp). */
static void vim2col_px(const struct vconv_job *j, int pix, uint8_t *d) {
    const struct ecl_conv_params *p = j->p;
    const struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    const int C = is.c, kw = ws.w;
    const uint8_t cb = (uint8_t)(p->in_zp + 128);
    int n = pix / (os.h * os.w), rem = pix % (os.h * os.w), y = rem / os.w, x = rem % os.w;
    const int8_t *inb = j->in + (size_t)n * is.h * is.w * C;
    const int ix0 = x * p->stride_w - p->pad_left;
    const int row_in = p->dil_w == 1 && ix0 >= 0 && ix0 + kw <= is.w;
    uint8_t *dp = d;
    for (int ky = 0; ky < ws.h; ky++) {
        int iy = y * p->stride_h - p->pad_top + ky * p->dil_h;
        if (iy < 0 || iy >= is.h) {
            memset(dp, cb, (size_t)kw * C);
            dp += (size_t)kw * C;
            continue;
        }
        const int8_t *row = inb + (size_t)iy * is.w * C;
        if (row_in) {
            copy_u8(dp, row + (size_t)ix0 * C, kw * C);
            dp += (size_t)kw * C;
            continue;
        }
        for (int kx = 0; kx < kw; kx++, dp += C) {
            int ix = ix0 + kx * p->dil_w;
            if (ix < 0 || ix >= is.w)
                memset(dp, cb, (size_t)C);
            else
                copy_u8(dp, row + (size_t)ix * C, C);
        }
    }
    memset(dp, cb, (size_t)(j->Kp - j->K));
}

/* sum of the Kp bytes of a (a multiple of 4) */
static inline int32_t sum_u8(const uint8_t *a, int n) {
    __m512i s = _mm512_setzero_si512();
    int i = 0;
    for (; i + 64 <= n; i += 64)
        s = _mm512_add_epi64(s, _mm512_sad_epu8(_mm512_loadu_si512(a + i), _mm512_setzero_si512()));
    if (i < n) {
        __mmask64 m = _bzhi_u64(~0ull, (unsigned)(n - i));
        s = _mm512_add_epi64(
            s, _mm512_sad_epu8(_mm512_maskz_loadu_epi8(m, a + i), _mm512_setzero_si512()));
    }
    return (int32_t)_mm512_reduce_add_epi64(s);
}

/* The micro-kernel: acc[r][b] = sum_g bcast(a_r[4g..4g+3]) . w[blk0 + b][g] for NB (constant
 * after inlining) blocks of 16 channels; named accumulators so that they stay in registers. */
#define VSTEP(r)                                                                                   \
    do {                                                                                           \
        int32_t v;                                                                                 \
        memcpy(&v, A + (size_t)(r)*Kp + 4 * g, 4);                                                 \
        const __m512i av = _mm512_set1_epi32(v);                                                   \
        c##r##0 = _mm512_dpbusd_epi32(c##r##0, av, w0);                                            \
        if (NB > 1) c##r##1 = _mm512_dpbusd_epi32(c##r##1, av, w1);                                \
        if (NB > 2) c##r##2 = _mm512_dpbusd_epi32(c##r##2, av, w2);                                \
        if (NB > 3) c##r##3 = _mm512_dpbusd_epi32(c##r##3, av, w3);                                \
    } while (0)
#define VSAVE(r)                                                                                   \
    do {                                                                                           \
        acc[r][0] = c##r##0, acc[r][1] = c##r##1, acc[r][2] = c##r##2, acc[r][3] = c##r##3;        \
    } while (0)

static inline __attribute__((always_inline)) void vtile(const int NB, const uint8_t *A, int Kp,
                                                        const int8_t *w, size_t bs, int G,
                                                        __m512i acc[V_MR][4]) {
    const __m512i z = _mm512_setzero_si512();
    __m512i c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
    __m512i c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
    __m512i c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
    for (int g = 0; g < G; g++, w += 64) {
        const __m512i w0 = _mm512_loadu_si512(w);
        const __m512i w1 = NB > 1 ? _mm512_loadu_si512(w + bs) : z;
        const __m512i w2 = NB > 2 ? _mm512_loadu_si512(w + 2 * bs) : z;
        const __m512i w3 = NB > 3 ? _mm512_loadu_si512(w + 3 * bs) : z;
        VSTEP(0);
        VSTEP(1);
        VSTEP(2);
        VSTEP(3);
        VSTEP(4);
        VSTEP(5);
    }
    VSAVE(0);
    VSAVE(1);
    VSAVE(2);
    VSAVE(3);
    VSAVE(4);
    VSAVE(5);
}

static void vtile1(const uint8_t *A, int Kp, const int8_t *w, size_t bs, int G,
                   __m512i acc[V_MR][4]) {
    vtile(1, A, Kp, w, bs, G, acc);
}
static void vtile2(const uint8_t *A, int Kp, const int8_t *w, size_t bs, int G,
                   __m512i acc[V_MR][4]) {
    vtile(2, A, Kp, w, bs, G, acc);
}
static void vtile3(const uint8_t *A, int Kp, const int8_t *w, size_t bs, int G,
                   __m512i acc[V_MR][4]) {
    vtile(3, A, Kp, w, bs, G, acc);
}
static void vtile4(const uint8_t *A, int Kp, const int8_t *w, size_t bs, int G,
                   __m512i acc[V_MR][4]) {
    vtile(4, A, Kp, w, bs, G, acc);
}

/* Epilogue of a tile: for each of the nb blocks of 16 channels, + folded constants, - zw * sum u
 * per pixel, requantise, store the mr pixels' nc <= 16 bytes. */
static void vconv_store(const struct vconv_job *j, __m512i acc[V_MR][4], int nb, int blk, int p0,
                        int mr, const int32_t *su) {
    const struct ecl_conv_params *p = j->p;
    const int Cout = j->os.c;
    const struct rqo ro = rqo_make(p);
    __m512i zsu[V_MR];
    for (int r = 0; r < mr; r++)
        zsu[r] = _mm512_set1_epi32((int32_t)((uint32_t)p->w_zp * (uint32_t)su[r]));
    for (int b = 0; b < nb; b++) {
        const int o = (blk + b) * 16, nc = Cout - o < 16 ? Cout - o : 16;
        const __mmask16 m = (__mmask16)_bzhi_u32(0xffffu, (unsigned)nc);
        const __m512i corr = _mm512_loadu_si512(j->corr + o);
        int8_t *ob = j->out + (size_t)p0 * Cout + o;
        if (j->vec) {
            /* lanes past Cout: any valid multiplier, not stored */
            struct rqz rq =
                rqz_from(_mm512_mask_loadu_epi32(_mm512_set1_epi32(1 << 30), m, p->out_mult + o),
                         _mm512_maskz_loadu_epi32(m, p->out_shift + o), p->rounding);
            for (int r = 0; r < mr; r++) {
                __m512i v = _mm512_add_epi32(acc[r][b], corr);
                if (p->w_zp) v = _mm512_sub_epi32(v, zsu[r]);
                _mm_mask_storeu_epi8(ob + (size_t)r * Cout, m,
                                     rqz_pack(rqz_raw(v, &rq, j->lsh), &ro));
            }
        } else {
            _Alignas(64) int32_t tmp[16];
            for (int r = 0; r < mr; r++) {
                __m512i v = _mm512_add_epi32(acc[r][b], corr);
                if (p->w_zp) v = _mm512_sub_epi32(v, zsu[r]);
                _mm512_store_si512(tmp, v);
                for (int q = 0; q < nc; q++)
                    ob[(size_t)r * Cout + q] = (int8_t)ecl_requant_out_r(
                        tmp[q], p->out_mult[o + q], p->out_shift[o + q], p->out_zp, p->act_min_q,
                        p->act_max_q, p->rounding);
            }
        }
    }
}

static void vconv_tile_range(const struct vconv_job *j, int begin, int end, int b_lo, int b_hi) {
    const int Kp = j->Kp, G = j->G;
    const size_t bs = (size_t)G * 64;
    _Alignas(64) uint8_t A[V_MR * V_MAX_K];
    int32_t su[V_MR] = {0};
    for (int t = begin; t < end; t++) {
        int p0 = t * V_MR, mr = j->npix - p0 < V_MR ? j->npix - p0 : V_MR;
        if (j->contig) /* 1x1, stride 1, no padding, K % 4 == 0: the tile's rows are adjacent */
            copy_u8(A, j->in + (size_t)p0 * Kp, mr * Kp);
        for (int r = 0; r < mr; r++) {
            if (!j->contig) vim2col_px(j, p0 + r, A + (size_t)r * Kp);
            if (j->p->w_zp) su[r] = sum_u8(A + (size_t)r * Kp, Kp);
        }
        for (int r = mr; r < V_MR; r++) /* rows past the end: a copy, not stored */
            memcpy(A + (size_t)r * Kp, A, (size_t)Kp);
        for (int blk = b_lo; blk < b_hi;) {
            int nb = b_hi - blk < 4 ? b_hi - blk : 4;
            __m512i acc[V_MR][4];
            const int8_t *w = j->wp + (size_t)blk * bs;
            switch (nb) {
            case 4:
                vtile4(A, Kp, w, bs, G, acc);
                break;
            case 3:
                vtile3(A, Kp, w, bs, G, acc);
                break;
            case 2:
                vtile2(A, Kp, w, bs, G, acc);
                break;
            default:
                vtile1(A, Kp, w, bs, G, acc);
                break;
            }
            vconv_store(j, acc, nb, blk, p0, mr, su);
            blk += nb;
        }
    }
}

static void vconv_tiles(void *ctx, int begin, int end) {
    const struct vconv_job *j = ctx;
    if (j->sp.slices == 1) {
        vconv_tile_range(j, begin, end, 0, j->nblk);
        return;
    }
    for (int it = begin; it < end; it++) {
        int t, b0, b1;
        ecl_split_item(&j->sp, it, &t, &b0, &b1);
        vconv_tile_range(j, t, t + 1, b0, b1);
    }
}

static struct vconv_job vconv_setup(const struct ecl_conv_params *p, const int8_t *in,
                                    const int8_t *w, const int32_t *bias, int8_t *out,
                                    struct ecl_shape4 is, struct ecl_shape4 ws,
                                    struct ecl_shape4 os, int8_t *wp) {
    struct vconv_job j = {p, in, w, bias, out, is, ws, os, wp,          0,
                          0, 0,  0, 0,    0,   0,  0,  0,  {0, 1, 0, 1}};
    j.K = ws.h * ws.w * ws.c;
    j.G = (j.K + 3) / 4;
    j.Kp = 4 * j.G;
    j.nblk = (os.c + 15) / 16;
    j.corr = (int32_t *)(void *)(j.wp + (size_t)j.nblk * j.G * 64);
    return j;
}

/* Plan-time packing (kernels.h): the same bytes vconv_pack writes into the scratch per call,
 * once, into persistent memory; the kernel then reads them from p->w_packed. */
size_t ecl_avx512_vnni_conv2d_i8_prepack_bytes(const struct ecl_conv_params *p,
                                               struct ecl_shape4 is, struct ecl_shape4 ws,
                                               struct ecl_shape4 os) {
    return vconv_ok(p, is, ws, os) ? vconv_bytes(ws) : 0;
}

void ecl_avx512_vnni_conv2d_i8_prepack(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                       const int8_t *w, struct ecl_shape4 ws, const int32_t *bias,
                                       struct ecl_shape4 os, void *dst) {
    if (!dst || !vconv_ok(p, is, ws, os)) return;
    struct vconv_job j = vconv_setup(p, NULL, w, bias, NULL, is, ws, os, dst);
    vconv_pack(&j, 0, j.nblk);
}

void ecl_avx512_vnni_conv2d_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                               const int8_t *in, struct ecl_shape4 is, const int8_t *w,
                               struct ecl_shape4 ws, const int32_t *bias, int8_t *out,
                               struct ecl_shape4 os) {
    if (!vconv_ok(p, is, ws, os)) {
        ecl_avx2_conv2d_i8(kc, p, in, is, w, ws, bias, out, os);
        return;
    }
    size_t need = vconv_bytes(ws);
    int8_t *wp = p->w_packed ? (int8_t *)(uintptr_t)p->w_packed : kc ? kc->scratch : NULL;
    if (!p->w_packed && (!kc || !kc->scratch || kc->scratch_bytes < need)) {
        ecl_ref_conv2d_i8(kc, p, in, is, w, ws, bias, out, os);
        return;
    }
    struct vconv_job j = vconv_setup(p, in, w, bias, out, is, ws, os, wp);
    j.npix = os.n * os.h * os.w;
    j.vec = rq_vec_ok(p->out_mult, p->out_shift, os.c, p->out_zp, p->act_min_q, p->act_max_q,
                      p->rounding);
    j.lsh = any_left_shift(p->out_shift, os.c);
    j.contig = ws.h == 1 && ws.w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
               p->pad_left == 0 && is.h == os.h && is.w == os.w && j.K == j.Kp;
    if (!p->w_packed) ecl_kctx_run(kc, j.nblk, vconv_pack, &j);
    j.sp = ecl_split_plan(kc, (j.npix + V_MR - 1) / V_MR, j.nblk, 1);
    ecl_kctx_run(kc, ecl_split_items(&j.sp), vconv_tiles, &j);
}

/* ------------------------------------------------------------------ FULLY_CONNECTED */
#define VFC_ROWS 32 /* output rows per task */

struct vfc_job {
    const struct ecl_fc_params *p;
    const int8_t *in, *w;
    const int32_t *bias;
    int8_t *out;
    int32_t batch, in_dim, out_dim;
};

static void vfc_rows(void *ctx, int begin, int end) {
    const struct vfc_job *j = ctx;
    const struct ecl_fc_params *p = j->p;
    const int K = j->in_dim;
    const uint32_t c = (uint32_t)(p->in_zp + 128), zw = (uint32_t)p->w_zp;
    const __m512i x80 = _mm512_set1_epi8((char)0x80), ones = _mm512_set1_epi8(1);
    const __mmask64 mt = _bzhi_u64(~0ull, (unsigned)(K % 64));
    const int K64 = K - K % 64;
    int o0 = begin * VFC_ROWS, o1 = end * VFC_ROWS < j->out_dim ? end * VFC_ROWS : j->out_dim;
    for (int32_t b = 0; b < j->batch; b++) {
        const int8_t *x = j->in + (size_t)b * K;
        /* sum u over the K inputs */
        __m512i s = _mm512_setzero_si512();
        for (int i = 0; i < K64; i += 64)
            s = _mm512_add_epi64(s,
                                 _mm512_sad_epu8(_mm512_xor_si512(_mm512_loadu_si512(x + i), x80),
                                                 _mm512_setzero_si512()));
        if (K64 < K)
            s = _mm512_add_epi64(
                s, _mm512_sad_epu8(
                       _mm512_maskz_mov_epi8(
                           mt, _mm512_xor_si512(_mm512_maskz_loadu_epi8(mt, x + K64), x80)),
                       _mm512_setzero_si512()));
        const uint32_t su = (uint32_t)_mm512_reduce_add_epi64(s);
        for (int o = o0; o < o1; o += 4) {
            int nr = o1 - o < 4 ? o1 - o : 4;
            const int8_t *wr[4];
            for (int r = 0; r < 4; r++)
                wr[r] = j->w + (size_t)(o + (r < nr ? r : 0)) * K;
            __m512i d[4], sw[4];
            for (int r = 0; r < 4; r++)
                d[r] = sw[r] = _mm512_setzero_si512();
            for (int i = 0; i < K64; i += 64) {
                __m512i u = _mm512_xor_si512(_mm512_loadu_si512(x + i), x80);
                for (int r = 0; r < 4; r++) {
                    __m512i wv = _mm512_loadu_si512(wr[r] + i);
                    d[r] = _mm512_dpbusd_epi32(d[r], u, wv);
                    sw[r] = _mm512_dpbusd_epi32(sw[r], ones, wv);
                }
            }
            if (K64 < K) {
                __m512i u = _mm512_maskz_mov_epi8(
                    mt, _mm512_xor_si512(_mm512_maskz_loadu_epi8(mt, x + K64), x80));
                for (int r = 0; r < 4; r++) {
                    __m512i wv = _mm512_maskz_loadu_epi8(mt, wr[r] + K64);
                    d[r] = _mm512_dpbusd_epi32(d[r], u, wv);
                    sw[r] = _mm512_dpbusd_epi32(sw[r], ones, wv);
                }
            }
            for (int r = 0; r < nr; r++) {
                uint32_t uw = (uint32_t)_mm512_reduce_add_epi32(d[r]);
                uint32_t swr = (uint32_t)_mm512_reduce_add_epi32(sw[r]);
                uint32_t acc = (j->bias ? (uint32_t)j->bias[o + r] : 0u) + uw - c * swr - zw * su +
                               (uint32_t)K * c * zw;
                int k = p->per_channel ? o + r : 0;
                j->out[(size_t)b * j->out_dim + o + r] =
                    (int8_t)ecl_requant_out_r((int32_t)acc, p->out_mult[k], p->out_shift[k],
                                              p->out_zp, p->act_min_q, p->act_max_q, p->rounding);
            }
        }
    }
}

void ecl_avx512_vnni_fc_i8(const struct ecl_kctx *kc, const struct ecl_fc_params *p,
                           const int8_t *in, int32_t batch, int32_t in_dim, const int8_t *w,
                           const int32_t *bias, int8_t *out, int32_t out_dim) {
    if (batch <= 0 || in_dim <= 0 || out_dim <= 0 || p->in_zp < -128 || p->in_zp > 127 ||
        p->w_zp < -255 || p->w_zp > 255) {
        ecl_ref_fc_i8(kc, p, in, batch, in_dim, w, bias, out, out_dim);
        return;
    }
    struct vfc_job j = {p, in, w, bias, out, batch, in_dim, out_dim};
    ecl_kctx_run(kc, (out_dim + VFC_ROWS - 1) / VFC_ROWS, vfc_rows, &j);
}

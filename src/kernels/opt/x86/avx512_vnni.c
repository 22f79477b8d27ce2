/* AVX512-VNNI int8 CONV_2D (compiled with -mavx512vnni and the AVX-512
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
 * the kernel scratch (ecl_avx512_vnni_conv2d_i8_scratch: roundup(Cout,16) * (K' + 4) bytes
 * and one struct rqk per 16 channels),
 * unless the interpreter had them packed once at plan time (conv2d_i8_prepack, p->w_packed), as
 * blocks of 16 output channels x groups of 4 k, one 64-byte vector per (block, group):
 * wp[(blk * G + g) * 64 + ch * 4 + e] = w[16 blk + ch][4 g + e], followed by the folded
 * per-channel constants and the requantisation constants. Per tile of 6 output pixels the receptive
 * fields are gathered as u8 rows on the stack (1x1: one contiguous copy per pixel; KxK: one per
 * filter tap), then the micro-kernel runs 6 pixels x up to 64 channels = 24 zmm accumulators, which
 * start at the folded constants: per group of 4 k, up to 4 weight loads, 6 broadcasts of 4
 * activation bytes and 24 vpdpbusd. The accumulators are channel-contiguous; requantisation
 * (q_avx512.h) uses per-block constants computed at packing (struct rqk after the folded
 * constants, 64-byte aligned; used when every shift is <= -1, as in real models, else the full
 * constants are rebuilt per tile), one code path per rounding, and packs 4 vectors to 64 int8 at a
 * time, stored from the registers in whole tiles (the epilogue is most of the time when K is small:
 * K/4 vpdpbusd per 16 outputs against ~12 instructions of requantisation and packing).
 *
 * FULLY_CONNECTED: avx512_vnni_fc.c.
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
    int8_t *wp;     /* packed weights: nblk * G * 64 bytes */
    int32_t *corr;  /* nblk * 16 folded constants */
    struct rqk *rk; /* nblk requantisation constants for k >= 1 (64-byte aligned) */
    struct rqo4 ro;
    int K, G, Kp, nblk, npix, vec, lsh, contig;
    int k1;              /* every shift <= -1 (rqz_*_k1) */
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
    size_t Kp = ((size_t)ws.h * ws.w * ws.c + 3) / 4 * 4, nblk = ((size_t)ws.n + 15) / 16;
    return nblk * 16 * (Kp + sizeof(int32_t)) + 63 + nblk * sizeof(struct rqk);
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
        const __mmask16 m = (__mmask16)_bzhi_u32(0xffffu, Cout - o0 < 16 ? Cout - o0 : 16);
        j->rk[blk] =
            rqk_from(_mm512_mask_loadu_epi32(_mm512_set1_epi32(1 << 30), m, j->p->out_mult + o0),
                     _mm512_maskz_loadu_epi32(m, j->p->out_shift + o0), j->p->rounding);
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

/* Epilogue of a tile: the accumulators hold the folded constants already; - zw * sum u per
 * pixel, requantise, then 4 vectors at a time packed to int8 (rqz_pack4) and stored: one
 * (masked) 64-byte store where their destinations are adjacent (4 blocks of one pixel, or 4
 * pixels of a 16-channel output), else 4 (masked) 16-byte ones. */
static __attribute__((noinline)) void vconv_store(const struct vconv_job *j, __m512i acc[V_MR][4],
                                                  int nb, int blk, int p0, int mr,
                                                  const int32_t *su) {
    const struct ecl_conv_params *p = j->p;
    const int Cout = j->os.c;
    if (p->w_zp)
        for (int r = 0; r < mr; r++) {
            const __m512i zsu = _mm512_set1_epi32((int32_t)((uint32_t)p->w_zp * (uint32_t)su[r]));
            for (int b = 0; b < nb; b++)
                acc[r][b] = _mm512_sub_epi32(acc[r][b], zsu);
        }
    if (!j->vec) {
        _Alignas(64) int32_t tmp[16];
        for (int b = 0; b < nb; b++) {
            const int o = (blk + b) * 16, nc = Cout - o < 16 ? Cout - o : 16;
            for (int r = 0; r < mr; r++) {
                _mm512_store_si512(tmp, acc[r][b]);
                for (int q = 0; q < nc; q++)
                    j->out[(size_t)(p0 + r) * Cout + o + q] = (int8_t)ecl_requant_out_r(
                        tmp[q], p->out_mult[o + q], p->out_shift[o + q], p->out_zp, p->act_min_q,
                        p->act_max_q, p->rounding);
            }
        }
        return;
    }
    __m512i v[V_MR * 4 + 3];
    int8_t *dst[V_MR * 4 + 3];
    int nc[V_MR * 4 + 3], n = 0;
    struct rqz rq[4];
    for (int b = 0; b < nb; b++) {
        const int o = (blk + b) * 16;
        rq[b] =
            rqz_load(p->out_mult + o, p->out_shift + o, Cout - o < 16 ? Cout - o : 16, p->rounding);
    }
    for (int r = 0; r < mr; r++)
        for (int b = 0; b < nb; b++, n++) {
            const int o = (blk + b) * 16;
            v[n] = j->k1 ? (rq[b].single ? rqz_single_k1(acc[r][b], &rq[b])
                                         : rqz_double_k1(acc[r][b], &rq[b]))
                         : rqz_raw(acc[r][b], &rq[b], j->lsh);
            dst[n] = j->out + (size_t)(p0 + r) * Cout + o;
            nc[n] = Cout - o < 16 ? Cout - o : 16;
        }
    for (int i = n; i < n + 3; i++) /* the last group's missing vectors: not stored */
        v[i] = _mm512_setzero_si512(), dst[i] = dst[n - 1], nc[i] = 0;
    for (int i = 0; i < n; i += 4) {
        const __m512i q8 = rqz_pack4(v[i], v[i + 1], v[i + 2], v[i + 3], &j->ro);
        int8_t *d = dst[i];
        const int k = n - i < 4 ? n - i : 4; /* vectors of this group */
        int adj = 1;
        for (int q = 1; q < k; q++)
            adj &= dst[i + q] == d + 16 * q && nc[i + q - 1] == 16;
        if (adj) {
            unsigned bytes = (unsigned)(16 * (k - 1) + nc[i + k - 1]);
            if (bytes == 64)
                _mm512_storeu_si512(d, q8);
            else
                _mm512_mask_storeu_epi8(d, _bzhi_u64(~0ull, bytes), q8);
            continue;
        }
#define PART(q)                                                                                    \
    _mm_mask_storeu_epi8(dst[i + q], (__mmask16)_bzhi_u32(0xffffu, (unsigned)nc[i + q]),           \
                         _mm512_extracti32x4_epi32(q8, q))
        PART(0);
        PART(1);
        PART(2);
        PART(3);
#undef PART
    }
}

/* Requantised and packed in registers (rqz_pack4) when the tile is whole (mr = V_MR pixels; the
 * last block may be partial: masked stores), the vector requantisation applies and every shift
 * is <= -1 (rqk_single / rqk_double with the packed constants; real models): per pixel 4
 * blocks (64 bytes) or 3 (48), per 2 pixels 2 blocks (2 x 32), per 4 pixels 1 block (64 adjacent
 * bytes when Cout = 16, else 4 x 16); anything else goes through acc[][] to vconv_store(). */
#define VQ(r, b) VQF(c##r##b, b)
#define VZ(r)                                                                                      \
    do {                                                                                           \
        const __m512i zs_ = _mm512_set1_epi32((int32_t)((uint32_t)j->p->w_zp * (uint32_t)su[r]));  \
        c##r##0 = _mm512_sub_epi32(c##r##0, zs_);                                                  \
        if (NB > 1) c##r##1 = _mm512_sub_epi32(c##r##1, zs_);                                      \
        if (NB > 2) c##r##2 = _mm512_sub_epi32(c##r##2, zs_);                                      \
        if (NB > 3) c##r##3 = _mm512_sub_epi32(c##r##3, zs_);                                      \
    } while (0)
#define VPX(r) /* NB 3 or 4: one pixel */                                                          \
    _mm512_mask_storeu_epi8(                                                                       \
        ob + (size_t)(r)*Cout, m64,                                                                \
        rqz_pack4(VQ(r, 0), VQ(r, 1), VQ(r, 2), NB == 4 ? VQ(r, 3) : z, &j->ro))
#define VPAIR(r, s) /* NB 2: two pixels */                                                         \
    do {                                                                                           \
        const __m512i q_ = rqz_pack4(VQ(r, 0), VQ(r, 1), VQ(s, 0), VQ(s, 1), &j->ro);              \
        _mm256_mask_storeu_epi8(ob + (size_t)(r)*Cout, m32, _mm512_castsi512_si256(q_));           \
        _mm256_mask_storeu_epi8(ob + (size_t)(s)*Cout, m32, _mm512_extracti64x4_epi64(q_, 1));     \
    } while (0)
#define VPART(q_, r)                                                                               \
    _mm_mask_storeu_epi8(ob + (size_t)(r)*Cout, m16, _mm512_extracti32x4_epi32(q_, r % 4))

#define VEPI() /* VQF: the requantisation */                                                       \
    do {                                                                                           \
        if (NB >= 3) {                                                                             \
            VPX(0);                                                                                \
            VPX(1);                                                                                \
            VPX(2);                                                                                \
            VPX(3);                                                                                \
            VPX(4);                                                                                \
            VPX(5);                                                                                \
        } else if (NB == 2) {                                                                      \
            VPAIR(0, 1);                                                                           \
            VPAIR(2, 3);                                                                           \
            VPAIR(4, 5);                                                                           \
        } else {                                                                                   \
            const __m512i q0 = rqz_pack4(VQ(0, 0), VQ(1, 0), VQ(2, 0), VQ(3, 0), &j->ro);          \
            const __m512i q1 = rqz_pack4(VQ(4, 0), VQ(5, 0), z, z, &j->ro);                        \
            if (Cout == 16) {                                                                      \
                _mm512_storeu_si512(ob, q0);                                                       \
                _mm256_storeu_si256((__m256i *)(ob + 64), _mm512_castsi512_si256(q1));             \
            } else {                                                                               \
                VPART(q0, 0);                                                                      \
                VPART(q0, 1);                                                                      \
                VPART(q0, 2);                                                                      \
                VPART(q0, 3);                                                                      \
                VPART(q1, 4);                                                                      \
                VPART(q1, 5);                                                                      \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static inline __attribute__((always_inline)) void vtile(const int NB, const struct vconv_job *j,
                                                        const uint8_t *A, int blk, int p0, int mr,
                                                        const int32_t *su) {
    const int Kp = j->Kp, G = j->G, Cout = j->os.c;
    const size_t bs = (size_t)G * 64;
    const int8_t *w = j->wp + (size_t)blk * bs;
    const int32_t *corr = j->corr + (size_t)blk * 16;
    const struct rqk *restrict rk = j->rk + blk;
    const __m512i z = _mm512_setzero_si512();
    const __m512i k0 = _mm512_loadu_si512(corr), k1 = NB > 1 ? _mm512_loadu_si512(corr + 16) : z;
    const __m512i k2 = NB > 2 ? _mm512_loadu_si512(corr + 32) : z;
    const __m512i k3 = NB > 3 ? _mm512_loadu_si512(corr + 48) : z;
    __m512i c00 = k0, c01 = k1, c02 = k2, c03 = k3, c10 = k0, c11 = k1, c12 = k2, c13 = k3;
    __m512i c20 = k0, c21 = k1, c22 = k2, c23 = k3, c30 = k0, c31 = k1, c32 = k2, c33 = k3;
    __m512i c40 = k0, c41 = k1, c42 = k2, c43 = k3, c50 = k0, c51 = k1, c52 = k2, c53 = k3;
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
    if (mr == V_MR && j->vec && j->k1) {
        /* restrict: the stores do not touch rk[] (else it is reloaded after each) */
        int8_t *restrict ob = j->out + (size_t)p0 * Cout + (size_t)blk * 16;
        /* bytes per pixel of these NB blocks: the last block of the layer may be partial (Cout %
         * 16); never more than NB blocks (the next ones may be another thread's slice) */
        const unsigned nbytes = (unsigned)(Cout - blk * 16 < NB * 16 ? Cout - blk * 16 : NB * 16);
        const __mmask64 m64 = nbytes >= 64 ? ~0ull : _bzhi_u64(~0ull, nbytes);
        const __mmask32 m32 = (__mmask32)m64;
        const __mmask16 m16 = (__mmask16)m64;
        if (j->p->w_zp) {
            VZ(0);
            VZ(1);
            VZ(2);
            VZ(3);
            VZ(4);
            VZ(5);
        }
        if (j->p->rounding == ECL_ROUND_SINGLE) {
#define VQF(x_, b_) rqk_single(x_, rk + (b_))
            VEPI();
#undef VQF
        } else {
#define VQF(x_, b_) rqk_double(x_, rk + (b_))
            VEPI();
#undef VQF
        }
        return;
    }
    __m512i acc[V_MR][4];
    VSAVE(0);
    VSAVE(1);
    VSAVE(2);
    VSAVE(3);
    VSAVE(4);
    VSAVE(5);
    vconv_store(j, acc, NB, blk, p0, mr, su);
}
#undef VQ
#undef VZ
#undef VPX
#undef VPAIR
#undef VPART
#undef VEPI

static void vtile1(const struct vconv_job *j, const uint8_t *A, int blk, int p0, int mr,
                   const int32_t *su) {
    vtile(1, j, A, blk, p0, mr, su);
}
static void vtile2(const struct vconv_job *j, const uint8_t *A, int blk, int p0, int mr,
                   const int32_t *su) {
    vtile(2, j, A, blk, p0, mr, su);
}
static void vtile3(const struct vconv_job *j, const uint8_t *A, int blk, int p0, int mr,
                   const int32_t *su) {
    vtile(3, j, A, blk, p0, mr, su);
}
static void vtile4(const struct vconv_job *j, const uint8_t *A, int blk, int p0, int mr,
                   const int32_t *su) {
    vtile(4, j, A, blk, p0, mr, su);
}

static void vconv_tile_range(const struct vconv_job *j, int begin, int end, int b_lo, int b_hi) {
    const int Kp = j->Kp;
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
            static void (*const tile[4])(const struct vconv_job *, const uint8_t *, int, int, int,
                                         const int32_t *) = {vtile1, vtile2, vtile3, vtile4};
            tile[nb - 1](j, A, blk, p0, mr, su);
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
    struct vconv_job j = {.p = p,
                          .in = in,
                          .w = w,
                          .bias = bias,
                          .out = out,
                          .is = is,
                          .ws = ws,
                          .os = os,
                          .wp = wp,
                          .sp = {0, 1, 0, 1}};
    j.K = ws.h * ws.w * ws.c;
    j.G = (j.K + 3) / 4;
    j.Kp = 4 * j.G;
    j.nblk = (os.c + 15) / 16;
    j.corr = (int32_t *)(void *)(j.wp + (size_t)j.nblk * j.G * 64);
    j.rk = (struct rqk *)(((uintptr_t)(j.corr + (size_t)j.nblk * 16) + 63) & ~(uintptr_t)63);
    j.ro = rqo4_make(p->out_zp, p->act_min_q, p->act_max_q);
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
    j.k1 = 1;
    for (int c = 0; c < os.c; c++)
        j.k1 &= p->out_shift[c] <= -1;
    j.contig = ws.h == 1 && ws.w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
               p->pad_left == 0 && is.h == os.h && is.w == os.w && j.K == j.Kp;
    if (!p->w_packed) ecl_kctx_run(kc, j.nblk, vconv_pack, &j);
    j.sp = ecl_split_plan(kc, (j.npix + V_MR - 1) / V_MR, j.nblk, 1);
    ecl_kctx_run(kc, ecl_split_items(&j.sp), vconv_tiles, &j);
}

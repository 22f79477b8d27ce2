/* AVX-VNNI (VEX, 256-bit vpdpbusd) int8 CONV_2D, the fallback of x86/avx512_vnni.c for CPUs
 * with AVX-VNNI but without AVX-512 (compiled with -mavx2 -mfma -mavxvnni; installed only when
 * CPUID leaf 7.1 EAX bit 4 reports AVX-VNNI and the AVX512-VNNI kernels are not used, see
 * opt_install.c). Bit-exact with the reference; the arithmetic is that of avx512_vnni.c
 * (u = a + 128 against raw s8 weights, per-channel constants folded at packing, per-pixel
 * w_zp sum u when w_zp != 0), in 8-lane vectors: weights packed per call into the scratch as
 * blocks of 8 channels x 4 k (32 bytes per vector), tiles of 6 pixels x 16 channels = 12 ymm
 * accumulators, requantisation by q_avx2.h. Shapes it does not take go to the AVX2 kernel.
 */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include "kernels/opt/opt.h"
#include "kernels/opt/x86/q_avx2.h"

#define V_MR 6
#define V_MAX_K 4608 /* padded K; A tile on the stack: MR * K' bytes = 27 KiB */

struct vconv_job {
    const struct ecl_conv_params *p;
    const int8_t *in, *w;
    const int32_t *bias;
    int8_t *out;
    struct ecl_shape4 is, ws, os;
    int8_t *wp;    /* packed weights: nblk * G * 32 bytes */
    int32_t *corr; /* nblk * 8 folded constants */
    int K, G, Kp, nblk, npix, vec, lsh;
};

static int vconv_ok(const struct ecl_conv_params *p, struct ecl_shape4 is, struct ecl_shape4 ws,
                    struct ecl_shape4 os) {
    int64_t K = (int64_t)ws.h * ws.w * ws.c;
    return is.c == ws.c && ws.n == os.c && is.n == os.n && K > 0 && (K + 3) / 4 * 4 <= V_MAX_K &&
           p->in_zp >= -128 && p->in_zp <= 127 && p->w_zp >= -255 && p->w_zp <= 255 &&
           p->stride_h >= 1 && p->stride_w >= 1 && p->dil_h >= 1 && p->dil_w >= 1 && os.n > 0 &&
           os.h > 0 && os.w > 0 && os.c > 0;
}

/* blocks of 16 channels (two 8-channel halves) */
static size_t vconv_bytes(struct ecl_shape4 ws) {
    size_t Kp = ((size_t)ws.h * ws.w * ws.c + 3) / 4 * 4;
    return ((size_t)ws.n + 15) / 16 * 16 * (Kp + sizeof(int32_t));
}

size_t ecl_avxvnni_conv2d_i8_scratch(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                     struct ecl_shape4 ws, struct ecl_shape4 os, int n_threads) {
    if (vconv_ok(p, is, ws, os)) return vconv_bytes(ws);
    return ecl_avx2_conv2d_i8_scratch(p, is, ws, os, n_threads);
}

/* Items: blocks of 8 channels; wp[(blk * G + g) * 32 + ch * 4 + e] = w[8 blk + ch][4 g + e]. */
static void vconv_pack(void *ctx, int begin, int end) {
    const struct vconv_job *j = ctx;
    const int K = j->K, G = j->G, Cout = j->os.c;
    const uint32_t c = (uint32_t)(j->p->in_zp + 128), zw = (uint32_t)j->p->w_zp;
    for (int blk = begin; blk < end; blk++) {
        int8_t *d = j->wp + (size_t)blk * G * 32;
        for (int ch = 0; ch < 8; ch++) {
            int o = blk * 8 + ch;
            if (o >= Cout) {
                for (int g = 0; g < G; g++)
                    memset(d + (size_t)g * 32 + ch * 4, 0, 4);
                j->corr[o] = 0;
                continue;
            }
            const int8_t *src = j->w + (size_t)o * K;
            uint32_t s = 0;
            for (int g = 0; g < G; g++) {
                int8_t t[4] = {0, 0, 0, 0};
                for (int e = 0; e < 4 && 4 * g + e < K; e++)
                    t[e] = src[4 * g + e], s += (uint32_t)src[4 * g + e];
                memcpy(d + (size_t)g * 32 + ch * 4, t, 4);
            }
            uint32_t b = j->bias ? (uint32_t)j->bias[o] : 0u;
            j->corr[o] = (int32_t)(b - c * s + (uint32_t)j->Kp * c * zw);
        }
    }
}

/* d[0..n) = s[0..n) ^ 0x80 (int8 -> u8 = a + 128) */
static inline void copy_u8(uint8_t *d, const int8_t *s, int n) {
    const __m256i x80 = _mm256_set1_epi8((char)0x80);
    int i = 0;
    for (; i + 32 <= n; i += 32)
        _mm256_storeu_si256((__m256i *)(d + i),
                            _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(s + i)), x80));
    for (; i < n; i++)
        d[i] = (uint8_t)(s[i] ^ 0x80);
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

static inline int32_t sum_u8(const uint8_t *a, int n) {
    __m256i s = _mm256_setzero_si256();
    int i = 0;
    for (; i + 32 <= n; i += 32)
        s = _mm256_add_epi64(s, _mm256_sad_epu8(_mm256_loadu_si256((const __m256i *)(a + i)),
                                                _mm256_setzero_si256()));
    int64_t t[4];
    _mm256_storeu_si256((__m256i *)t, s);
    uint32_t r = (uint32_t)(t[0] + t[1] + t[2] + t[3]);
    for (; i < n; i++)
        r += a[i];
    return (int32_t)r;
}

#define VSTEP(r)                                                                                   \
    do {                                                                                           \
        int32_t v;                                                                                 \
        memcpy(&v, A + (size_t)(r)*Kp + 4 * g, 4);                                                 \
        const __m256i av = _mm256_set1_epi32(v);                                                   \
        c##r##0 = _mm256_dpbusd_avx_epi32(c##r##0, av, w0);                                        \
        c##r##1 = _mm256_dpbusd_avx_epi32(c##r##1, av, w1);                                        \
    } while (0)
#define VSAVE(r)                                                                                   \
    do {                                                                                           \
        acc[r][0] = c##r##0, acc[r][1] = c##r##1;                                                  \
    } while (0)

/* 6 pixels x 16 channels (blocks blk, blk + 1 of 8; the second may be padding) */
static void vtile(const uint8_t *A, int Kp, const int8_t *w, size_t bs, int G,
                  __m256i acc[V_MR][2]) {
    const __m256i z = _mm256_setzero_si256();
    __m256i c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z;
    __m256i c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
    for (int g = 0; g < G; g++, w += 32) {
        const __m256i w0 = _mm256_loadu_si256((const __m256i *)w);
        const __m256i w1 = _mm256_loadu_si256((const __m256i *)(w + bs));
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

static void vconv_store(const struct vconv_job *j, __m256i acc[V_MR][2], int blk, int p0, int mr,
                        const int32_t *su) {
    const struct ecl_conv_params *p = j->p;
    const int Cout = j->os.c, o = blk * 8, nc = Cout - o < 16 ? Cout - o : 16;
    const struct rqo ro = rqo_make(p);
    const __m256i c0 = _mm256_loadu_si256((const __m256i *)(j->corr + o));
    const __m256i c1 = _mm256_loadu_si256((const __m256i *)(j->corr + o + 8));
    int8_t *ob = j->out + (size_t)p0 * Cout + o;
    if (j->vec) {
        const int32_t *mp = p->out_mult + o, *sp = p->out_shift + o;
        int32_t mt[16], st[16];
        if (nc < 16) {
            for (int q = 0; q < 16; q++) {
                mt[q] = q < nc ? mp[q] : 1 << 30;
                st[q] = q < nc ? sp[q] : 0;
            }
            mp = mt, sp = st;
        }
        const struct rqv r0 = rq_load(mp, sp, p->rounding),
                         r1 = rq_load(mp + 8, sp + 8, p->rounding);
        for (int r = 0; r < mr; r++) {
            __m256i zs = _mm256_set1_epi32((int32_t)((uint32_t)p->w_zp * (uint32_t)su[r]));
            __m256i v0 = _mm256_sub_epi32(_mm256_add_epi32(acc[r][0], c0), zs);
            __m256i v1 = _mm256_sub_epi32(_mm256_add_epi32(acc[r][1], c1), zs);
            __m128i q8 = rq_pack16(rq_raw(v0, &r0, j->lsh), rq_raw(v1, &r1, j->lsh), &ro);
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
            __m256i zs = _mm256_set1_epi32((int32_t)((uint32_t)p->w_zp * (uint32_t)su[r]));
            _mm256_store_si256((__m256i *)tmp,
                               _mm256_sub_epi32(_mm256_add_epi32(acc[r][0], c0), zs));
            _mm256_store_si256((__m256i *)(tmp + 8),
                               _mm256_sub_epi32(_mm256_add_epi32(acc[r][1], c1), zs));
            for (int q = 0; q < nc; q++)
                ob[(size_t)r * Cout + q] =
                    (int8_t)ecl_requant_out_r(tmp[q], p->out_mult[o + q], p->out_shift[o + q],
                                              p->out_zp, p->act_min_q, p->act_max_q, p->rounding);
        }
    }
}

static void vconv_tiles(void *ctx, int begin, int end) {
    const struct vconv_job *j = ctx;
    const int Kp = j->Kp, G = j->G;
    const size_t bs = (size_t)G * 32;
    _Alignas(32) uint8_t A[V_MR * V_MAX_K];
    int32_t su[V_MR] = {0};
    for (int t = begin; t < end; t++) {
        int p0 = t * V_MR, mr = j->npix - p0 < V_MR ? j->npix - p0 : V_MR;
        for (int r = 0; r < mr; r++) {
            vim2col_px(j, p0 + r, A + (size_t)r * Kp);
            su[r] = j->p->w_zp ? sum_u8(A + (size_t)r * Kp, Kp) : 0;
        }
        for (int r = mr; r < V_MR; r++) /* rows past the end: a copy, not stored */
            memcpy(A + (size_t)r * Kp, A, (size_t)Kp);
        for (int blk = 0; blk < j->nblk; blk += 2) {
            __m256i acc[V_MR][2];
            vtile(A, Kp, j->wp + (size_t)blk * bs, bs, G, acc);
            vconv_store(j, acc, blk, p0, mr, su);
        }
    }
}

void ecl_avxvnni_conv2d_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                           const int8_t *in, struct ecl_shape4 is, const int8_t *w,
                           struct ecl_shape4 ws, const int32_t *bias, int8_t *out,
                           struct ecl_shape4 os) {
    if (!vconv_ok(p, is, ws, os)) {
        ecl_avx2_conv2d_i8(kc, p, in, is, w, ws, bias, out, os);
        return;
    }
    size_t need = vconv_bytes(ws);
    if (!kc || !kc->scratch || kc->scratch_bytes < need) {
        ecl_ref_conv2d_i8(kc, p, in, is, w, ws, bias, out, os);
        return;
    }
    struct vconv_job j = {p, in, w, bias, out, is, ws, os, kc->scratch, 0, 0, 0, 0, 0, 0, 0, 0};
    j.K = ws.h * ws.w * ws.c;
    j.G = (j.K + 3) / 4;
    j.Kp = 4 * j.G;
    j.nblk = (os.c + 15) / 16 * 2; /* 8-channel blocks, an even number */
    j.corr = (int32_t *)(void *)(j.wp + (size_t)j.nblk * j.G * 32);
    j.npix = os.n * os.h * os.w;
    j.vec = rq_vec_ok(p->out_mult, p->out_shift, os.c, p->out_zp, p->act_min_q, p->act_max_q,
                      p->rounding);
    j.lsh = any_left_shift(p->out_shift, os.c);
    ecl_kctx_run(kc, j.nblk, vconv_pack, &j);
    ecl_kctx_run(kc, (j.npix + V_MR - 1) / V_MR, vconv_tiles, &j);
}

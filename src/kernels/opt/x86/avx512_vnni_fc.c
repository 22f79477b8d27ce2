/* AVX512-VNNI int8 FULLY_CONNECTED (compiled with -mavx512vnni and the AVX-512 flags; installed
 * with the VNNI conv kernel, see opt_install.c). Bit-exact with the reference.
 *
 * 4 output rows at a time, dot products along in_dim (64 bytes per vpdpbusd) of u = x ^ 0x80
 * with the weight rows and of a vector of ones with the weight rows (sum w), reduced
 * horizontally, corrected as in avx512_vnni.c (with c = in_zp + 128, zw = w_zp, K = in_dim:
 * sum (x - in_zp)(w - zw) = sum u w - c sum w - zw sum u + K c zw; tails masked to 0 on both
 * sides) and requantised with ecl_requant_out_r(, p->rounding) itself.
 */
#include <immintrin.h>
#include <stdint.h>
#include "kernels/opt/opt.h"

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

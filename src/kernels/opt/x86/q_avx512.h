/* src/kernels/opt/x86/q_avx512.h - 16-lane int8 requantisation for the AVX-512 int8 kernels
 * (avx512_vnni*.c; needs -mavx512f -mavx512bw -mavx512vl): q_avx2.h's rq_raw() widened to 16
 * lanes, and the saturating int32 -> int8 store. */
#ifndef EDGECL_Q_AVX512_H
#define EDGECL_Q_AVX512_H

#include <immintrin.h>
#include <stdint.h>
#include "kernels/opt/x86/q_avx2.h"

/* 16 lanes of ecl_requant(x, mult, shift): the 8-lane rq_raw() of q_avx2.h (see the argument
 * there) with the blends on mask registers, and the "x < 0" of RoundingDivideByPOT's threshold
 * as the sign bit (h >> 31, logical). Valid under rq_vec_ok(). */
struct rqz {
    __m512i mult, mult_odd, lsh, rsh, rmask, rthr, km1;
    __mmask16 kz; /* single rounding: lanes with rsh == 0 */
    int single;   /* ECL_ROUND_SINGLE */
};

static inline struct rqz rqz_from(__m512i mult, __m512i s, int32_t rounding) {
    struct rqz r;
    const __m512i z = _mm512_setzero_si512(), one = _mm512_set1_epi32(1);
    r.single = rounding == ECL_ROUND_SINGLE;
    r.mult = mult;
    r.mult_odd = _mm512_srli_epi64(mult, 32);
    r.lsh = _mm512_max_epi32(s, z);
    r.rsh = _mm512_max_epi32(_mm512_sub_epi32(z, s), z);
    r.rmask = _mm512_sub_epi32(_mm512_sllv_epi32(one, r.rsh), one);
    r.rthr = _mm512_srli_epi32(r.rmask, 1);
    r.km1 = _mm512_max_epi32(_mm512_sub_epi32(r.rsh, one), z);
    r.kz = _mm512_cmpeq_epi32_mask(r.rsh, z);
    return r;
}

/* 16 lanes of ecl_requant_single(): rq_single() of q_avx2.h (see the argument there). */
static inline __m512i rqz_single(__m512i x, const struct rqz *r) {
    const __m512i half = _mm512_set1_epi64(1ll << 30), one = _mm512_set1_epi32(1);
    __m512i pe = _mm512_mul_epi32(x, r->mult);
    __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), r->mult_odd);
    __m512i g =
        _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(pe, 31), _mm512_slli_epi64(po, 1));
    __m512i h = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(_mm512_add_epi64(pe, half), 31),
                                        _mm512_slli_epi64(_mm512_add_epi64(po, half), 1));
    __m512i q = _mm512_add_epi32(_mm512_srav_epi32(g, r->rsh),
                                 _mm512_and_si512(_mm512_srav_epi32(g, r->km1), one));
    return _mm512_mask_blend_epi32(r->kz, q, h);
}

static inline __m512i rqz_raw(__m512i x, const struct rqz *r, int lsh) {
    if (lsh) {
        __m512i xs = _mm512_sllv_epi32(x, r->lsh);
        __mmask16 ok = _mm512_cmpeq_epi32_mask(_mm512_srav_epi32(xs, r->lsh), x);
        __m512i sat = _mm512_xor_si512(_mm512_srai_epi32(x, 31), _mm512_set1_epi32(INT32_MAX));
        x = _mm512_mask_blend_epi32(ok, sat, xs);
    }
    if (r->single) return rqz_single(x, r); /* left shifts: see rq_single() in q_avx2.h */
    const __m512i half = _mm512_set1_epi64(1ll << 30);
    __m512i pe = _mm512_add_epi64(_mm512_mul_epi32(x, r->mult), half);
    __m512i po = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), r->mult_odd), half);
    __m512i h =
        _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(pe, 31), _mm512_slli_epi64(po, 1));
    __m512i rem = _mm512_and_si512(h, r->rmask);
    __m512i thr = _mm512_add_epi32(r->rthr, _mm512_srli_epi32(h, 31));
    __m512i q = _mm512_srav_epi32(h, r->rsh);
    return _mm512_mask_add_epi32(q, _mm512_cmpgt_epi32_mask(rem, thr), q, _mm512_set1_epi32(1));
}

/* clamp(v + zp, lo, hi) as int8: vpmovsdw, vpaddsw, vpmovswb saturate like the packs of
 * rq_pack16() (same argument: a saturated intermediate stays beyond [lo, hi] on its side). */
static inline __m128i rqz_pack(__m512i v, const struct rqo *o) {
    __m256i w = _mm256_adds_epi16(_mm512_cvtsepi32_epi16(v), o->zp16);
    return _mm_min_epi8(_mm_max_epi8(_mm256_cvtsepi16_epi8(w), o->lo8), o->hi8);
}

#endif

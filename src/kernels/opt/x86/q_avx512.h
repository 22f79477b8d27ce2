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
    __m512i mult, mult_odd, lsh, rsh, rmask, rthr, km1, k;
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
    r.k = _mm512_sub_epi32(_mm512_set1_epi32(31), s); /* single rounding: k = 31 - shift */
    return r;
}

/* rq_vec_ok() of q_avx2.h, with single rounding's positive shifts (up to 30) allowed too:
 * rqz_single_any() below takes them. */
static inline int rqz_vec_ok(const int32_t *mult, const int32_t *shift, int n, int32_t zp,
                             int32_t lo, int32_t hi, int32_t rounding) {
    if (rounding != ECL_ROUND_SINGLE) return rq_vec_ok(mult, shift, n, zp, lo, hi, rounding);
    if (zp < -128 || zp > 127 || lo < -128 || hi > 127 || lo > hi) return 0;
    for (int i = 0; i < n; i++)
        if (mult[i] == INT32_MIN || shift[i] > 30 || shift[i] < -31) return 0;
    return 1;
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

/* 16 lanes of ecl_requant_single() for any shift in [-31, 30] (k = 31 - shift in [1, 62]), in
 * 64-bit lanes: p = x * mult exact (|p| < 2^62), r = (p >> k) + bit k-1 of p (the scalar
 * function's formula), then saturated to int32 as it does. Even lanes from _mm512_mul_epi32 of
 * x, odd ones of x >> 32; results put back in place (even: low halves, odd: shifted up). */
static inline __m512i rqz_single_any(__m512i x, const struct rqz *r) {
    const __m512i one = _mm512_set1_epi64(1), lo = _mm512_set1_epi64(INT32_MIN),
                  hi = _mm512_set1_epi64(INT32_MAX), m32 = _mm512_set1_epi64(0xffffffff);
    __m512i ke = _mm512_and_si512(r->k, m32), ko = _mm512_srli_epi64(r->k, 32);
    __m512i pe = _mm512_mul_epi32(x, r->mult);
    __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), r->mult_odd);
    __m512i re =
        _mm512_add_epi64(_mm512_srav_epi64(pe, ke),
                         _mm512_and_si512(_mm512_srav_epi64(pe, _mm512_sub_epi64(ke, one)), one));
    __m512i ro =
        _mm512_add_epi64(_mm512_srav_epi64(po, ko),
                         _mm512_and_si512(_mm512_srav_epi64(po, _mm512_sub_epi64(ko, one)), one));
    re = _mm512_min_epi64(_mm512_max_epi64(re, lo), hi);
    ro = _mm512_min_epi64(_mm512_max_epi64(ro, lo), hi);
    return _mm512_mask_blend_epi32(0xAAAA, re, _mm512_slli_epi64(ro, 32));
}

static inline __m512i rqz_raw(__m512i x, const struct rqz *r, int lsh) {
    if (r->single) return lsh ? rqz_single_any(x, r) : rqz_single(x, r);
    if (lsh) {
        __m512i xs = _mm512_sllv_epi32(x, r->lsh);
        __mmask16 ok = _mm512_cmpeq_epi32_mask(_mm512_srav_epi32(xs, r->lsh), x);
        __m512i sat = _mm512_xor_si512(_mm512_srai_epi32(x, 31), _mm512_set1_epi32(INT32_MAX));
        x = _mm512_mask_blend_epi32(ok, sat, xs);
    }
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

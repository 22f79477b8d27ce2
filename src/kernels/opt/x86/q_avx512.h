/* src/kernels/opt/x86/q_avx512.h - 16-lane int8 requantisation for the AVX-512 int8 kernels
 * (avx512_vnni*.c; needs -mavx512f -mavx512bw -mavx512vl): q_avx2.h's rq_raw() widened to 16
 * lanes, and the saturating int32 -> int8 store. */
#ifndef EDGECL_Q_AVX512_H
#define EDGECL_Q_AVX512_H

#include <immintrin.h>
#include <stdint.h>
#include "kernels/opt/x86/q_avx2.h"

/* The constants of rqk_single() / rqk_double() below (every shift <= -1): 5 vectors, what an
 * int8 conv keeps per 16 output channels with its packed weights. add_e / add_o: the 64-bit
 * term added to the even / odd lanes' products (2^(30+k), plus 2^30 for double rounding). */
struct rqk {
    __m512i mult, mult_odd, add_e, add_o, ksh; /* ksh: k - 1 */
};

static inline struct rqk rqk_from(__m512i mult, __m512i s, int32_t rounding) {
    struct rqk r;
    const __m512i z = _mm512_setzero_si512(), one64 = _mm512_set1_epi64(1);
    const __m512i rsh = _mm512_max_epi32(_mm512_sub_epi32(z, s), z);
    const __m512i t = _mm512_add_epi32(rsh, _mm512_set1_epi32(30)); /* 30 + k */
    const __m512i c = _mm512_set1_epi64(rounding == ECL_ROUND_SINGLE ? 0 : 1ll << 30);
    r.mult = mult;
    r.mult_odd = _mm512_srli_epi64(mult, 32);
    r.add_e = _mm512_add_epi64(
        _mm512_sllv_epi64(one64, _mm512_and_si512(t, _mm512_set1_epi64(0xffffffff))), c);
    r.add_o = _mm512_add_epi64(_mm512_sllv_epi64(one64, _mm512_srli_epi64(t, 32)), c);
    r.ksh = _mm512_sub_epi32(rsh, _mm512_set1_epi32(1));
    return r;
}

/* 16 lanes of ecl_requant(x, mult, shift): the 8-lane rq_raw() of q_avx2.h (see the argument
 * there) with the blends on mask registers, and the "x < 0" of RoundingDivideByPOT's threshold
 * as the sign bit (h >> 31, logical); single rounding in 64-bit lanes (rqz_single()). Valid
 * under rq_vec_ok(). */
struct rqz {
    __m512i mult, mult_odd, lsh, rsh, rmask, rthr;
    __m512i tot_e, tot_o, rnd_e, rnd_o; /* single rounding, even / odd lanes as int64 */
    struct rqk k;                       /* rqz_single_k1(), rqz_double_k1() */
    int single;                         /* ECL_ROUND_SINGLE */
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
    const __m512i t = _mm512_add_epi32(r.rsh, _mm512_set1_epi32(31)), one64 = _mm512_set1_epi64(1);
    r.tot_e = _mm512_and_si512(t, _mm512_set1_epi64(0xffffffff));
    r.tot_o = _mm512_srli_epi64(t, 32);
    r.rnd_e = _mm512_sllv_epi64(one64, _mm512_sub_epi64(r.tot_e, one64));
    r.rnd_o = _mm512_sllv_epi64(one64, _mm512_sub_epi64(r.tot_o, one64));
    r.k = rqk_from(mult, s, rounding);
    return r;
}

/* The same from memory: n <= 16 channels of mult/shift (lanes past n: mult 2^30, shift 0). */
static inline struct rqz rqz_load(const int32_t *mult, const int32_t *shift, int n,
                                  int32_t rounding) {
    const __mmask16 m = (__mmask16)_bzhi_u32(0xffffu, (unsigned)n);
    return rqz_from(_mm512_mask_loadu_epi32(_mm512_set1_epi32(1 << 30), m, mult),
                    _mm512_maskz_loadu_epi32(m, shift), rounding);
}

/* 16 lanes of ecl_requant_single(x, m, shift), given rq_vec_ok() with ECL_ROUND_SINGLE
 * (shift = -k, k in [0, 31]; left shifts: rqz_raw() shifts x first, see rq_single() in
 * q_avx2.h, then runs this with k = 0). It is the definition itself, (P + 2^(30+k)) >> (31+k)
 * with P = x*m, evaluated in 64-bit lanes: even lanes of x and m by vpmuldq directly, odd lanes
 * after a 32-bit shift, the rounding term added in 64 bits and the arithmetic shift by vpsravq
 * (floor, as >> on int64). No step overflows: |P| <= 2^31 (2^31 - 1) < 2^62 (m != INT32_MIN)
 * and 2^(30+k) <= 2^61, so the sum is within int64; the result is within int32 (|P + 2^(30+k)|
 * / 2^(31+k) < 2^31), so the low 32 bits of each 64-bit lane are it (the reference's int32
 * clamp never applies). The odd lanes' results move to the high halves with a 64-bit shift. */
static inline __m512i rqz_single(__m512i x, const struct rqz *r) {
    __m512i pe = _mm512_add_epi64(_mm512_mul_epi32(x, r->mult), r->rnd_e);
    __m512i po =
        _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), r->mult_odd), r->rnd_o);
    pe = _mm512_srav_epi64(pe, r->tot_e);
    po = _mm512_slli_epi64(_mm512_srav_epi64(po, r->tot_o), 32);
    return _mm512_mask_blend_epi32(0xAAAA, pe, po);
}

/* When every lane has k >= 1 (shift <= -1, as in real models) both roundings end the same way:
 * with Q the 64-bit sum below (|Q| < 2^63, see each), the result is floor(Q / 2^(31+k)) =
 * floor(floor(Q / 2^32) / 2^(k-1)) (nested floors, positive divisors); floor(Q / 2^32) is the
 * high 32 bits of Q (as int32: |Q| < 2^63 gives |Q / 2^32| < 2^31), gathered from the even
 * lanes' and the odd lanes' products into one vector by vpermt2d, then one 32-bit arithmetic
 * shift by k - 1 for all 16 lanes. */
static inline __m512i rqk_hi_shift(__m512i qe, __m512i qo, const struct rqk *r) {
    const __m512i hi = _mm512_setr_epi32(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
    return _mm512_srav_epi32(_mm512_permutex2var_epi32(qe, hi, qo), r->ksh);
}

/* rqz_single() for k >= 1: Q = P + 2^(30+k) (in range, see rqz_single()). */
static inline __m512i rqk_single(__m512i x, const struct rqk *r) {
    __m512i qe = _mm512_add_epi64(_mm512_mul_epi32(x, r->mult), r->add_e);
    __m512i qo =
        _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), r->mult_odd), r->add_o);
    return rqk_hi_shift(qe, qo, r);
}

/* ecl_requant() for k >= 1 (no left shift): with h = SaturatingRoundingDoublingHighMul(x, m)
 * = floor((P + 2^30) / 2^31) (rq_raw() in q_avx2.h, step 2) and RoundingDivideByPOT(h, k) =
 * floor((h + 2^(k-1) - [h < 0]) / 2^k) (round half away from zero, for integer h), folding the
 * inner floor (h + c = floor((P + 2^30 + c 2^31) / 2^31) for integer c):
 *   result = floor(Q / 2^(31+k)),  Q = P + 2^30 + 2^(30+k) - [P < -2^30] 2^31,
 * as h < 0 exactly when P + 2^30 < 0. |Q| < 2^62 + 2^61 + 2^31 < 2^63. */
static inline __m512i rqk_double(__m512i x, const struct rqk *r) {
    const __m512i lim = _mm512_set1_epi64(-(1ll << 30)), c31 = _mm512_set1_epi64(1ll << 31);
    __m512i pe = _mm512_mul_epi32(x, r->mult);
    __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), r->mult_odd);
    __mmask8 ne = _mm512_cmplt_epi64_mask(pe, lim), no = _mm512_cmplt_epi64_mask(po, lim);
    __m512i qe = _mm512_add_epi64(pe, r->add_e), qo = _mm512_add_epi64(po, r->add_o);
    qe = _mm512_mask_sub_epi64(qe, ne, qe, c31);
    qo = _mm512_mask_sub_epi64(qo, no, qo, c31);
    return rqk_hi_shift(qe, qo, r);
}

static inline __m512i rqz_single_k1(__m512i x, const struct rqz *r) {
    return rqk_single(x, &r->k);
}
static inline __m512i rqz_double_k1(__m512i x, const struct rqz *r) {
    return rqk_double(x, &r->k);
}

/* 16 lanes of ecl_requant(x, mult, shift) without the left shift: steps 2-3 of rq_raw() in
 * q_avx2.h. */
static inline __m512i rqz_double(__m512i x, const struct rqz *r) {
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

/* 16 lanes of ecl_requant_r(x, mult, shift, rounding); lsh: some shift > 0 (step 1 of rq_raw()
 * in q_avx2.h, saturating). */
static inline __m512i rqz_raw(__m512i x, const struct rqz *r, int lsh) {
    if (lsh) {
        __m512i xs = _mm512_sllv_epi32(x, r->lsh);
        __mmask16 ok = _mm512_cmpeq_epi32_mask(_mm512_srav_epi32(xs, r->lsh), x);
        __m512i sat = _mm512_xor_si512(_mm512_srai_epi32(x, 31), _mm512_set1_epi32(INT32_MAX));
        x = _mm512_mask_blend_epi32(ok, sat, xs);
    }
    return r->single ? rqz_single(x, r) : rqz_double(x, r);
}

/* clamp(v + zp, lo, hi) as int8: vpmovsdw, vpaddsw, vpmovswb saturate like the packs of
 * rq_pack16() (same argument: a saturated intermediate stays beyond [lo, hi] on its side). */
static inline __m128i rqz_pack(__m512i v, const struct rqo *o) {
    __m256i w = _mm256_adds_epi16(_mm512_cvtsepi32_epi16(v), o->zp16);
    return _mm_min_epi8(_mm_max_epi8(_mm256_cvtsepi16_epi8(w), o->lo8), o->hi8);
}

/* 64 outputs at once: clamp(v + zp, lo, hi) of 4 x 16 lanes as int8, in the order v0, v1, v2,
 * v3. The packs and the + zp saturate as in rqz_pack() (same argument); vpackssdw/vpacksswb
 * work within 128-bit lanes, so byte dword 4i + q of their result holds lanes 4q..4q+3 of v_i
 * transposed: one vpermd puts it back. */
struct rqo4 {
    __m512i zp16, lo8, hi8, perm;
};

static inline struct rqo4 rqo4_make(int32_t zp, int32_t lo, int32_t hi) {
    struct rqo4 o = {_mm512_set1_epi16((int16_t)zp), _mm512_set1_epi8((char)lo),
                     _mm512_set1_epi8((char)hi),
                     _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15)};
    return o;
}

static inline __m512i rqz_pack4(__m512i v0, __m512i v1, __m512i v2, __m512i v3,
                                const struct rqo4 *o) {
    __m512i a = _mm512_adds_epi16(_mm512_packs_epi32(v0, v1), o->zp16);
    __m512i b = _mm512_adds_epi16(_mm512_packs_epi32(v2, v3), o->zp16);
    __m512i c = _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(a, b), o->lo8), o->hi8);
    return _mm512_permutexvar_epi32(o->perm, c);
}

#endif

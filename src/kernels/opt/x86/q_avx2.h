/* src/kernels/opt/x86/q_avx2.h - vector int8 requantisation shared by the x86 int8 kernels
 * (avx2_int8.c, avx512_vnni.c; needs -mavx2): 8 lanes of ecl_requant_r() (both roundings of
 * enum ecl_rounding, carried in struct rqv) and the saturating
 * int32 -> int8 store, each with the argument why it equals ecl_requant_out() on every input it
 * is used for (rq_vec_ok(); other parameters take the scalar function itself). */
#ifndef EDGECL_Q_AVX2_H
#define EDGECL_Q_AVX2_H

#include <immintrin.h>
#include <stdint.h>
#include "kernels/kernels.h"

/* The vector path is used when every channel's (mult, shift) and the output range are in the
 * domain where it provably equals ecl_requant_out(); anything else (hostile or degenerate
 * parameters) takes the scalar function itself. TFLite's int8 zero points and activation
 * bounds are always in that domain. */
static inline int rq_vec_ok(const int32_t *mult, const int32_t *shift, int n, int32_t zp,
                            int32_t lo, int32_t hi, int32_t rounding) {
    if (zp < -128 || zp > 127 || lo < -128 || hi > 127 || lo > hi) return 0;
    int single = rounding == ECL_ROUND_SINGLE;
    for (int i = 0; i < n; i++) {
        if (mult[i] == INT32_MIN || shift[i] > 31 || shift[i] < -31) return 0;
        /* single rounding with a left shift: see rq_single(); ecl_quantize_multiplier() gives
         * |mult| >= 2^30 (or 0) and shifts far below 31 */
        if (single && shift[i] > 0 &&
            (shift[i] > 30 || (mult[i] != 0 && mult[i] > -(1 << 30) && mult[i] < (1 << 30))))
            return 0;
    }
    return 1;
}

static inline int any_left_shift(const int32_t *shift, int n) {
    for (int i = 0; i < n; i++)
        if (shift[i] > 0) return 1;
    return 0;
}

struct rqv {
    __m256i mult, mult_odd, lsh, rsh, rmask, rthr;
    __m256i km1, kz; /* single rounding: max(rsh - 1, 0), lanes with rsh == 0 */
    int single;      /* ECL_ROUND_SINGLE */
};

static inline struct rqv rq_from(__m256i mult, __m256i s, int32_t rounding) {
    struct rqv r;
    __m256i z = _mm256_setzero_si256();
    r.single = rounding == ECL_ROUND_SINGLE;
    r.mult = mult;
    r.mult_odd = _mm256_srli_epi64(r.mult, 32);
    r.lsh = _mm256_max_epi32(s, z);
    r.rsh = _mm256_max_epi32(_mm256_sub_epi32(z, s), z);
    r.rmask =
        _mm256_sub_epi32(_mm256_sllv_epi32(_mm256_set1_epi32(1), r.rsh), _mm256_set1_epi32(1));
    r.rthr = _mm256_srli_epi32(r.rmask, 1);
    r.km1 = _mm256_max_epi32(_mm256_sub_epi32(r.rsh, _mm256_set1_epi32(1)), z);
    r.kz = _mm256_cmpeq_epi32(r.rsh, z);
    return r;
}

static inline struct rqv rq_load(const int32_t *mult, const int32_t *shift, int32_t rounding) {
    return rq_from(_mm256_loadu_si256((const __m256i *)mult),
                   _mm256_loadu_si256((const __m256i *)shift), rounding);
}

/* 8 lanes of ecl_requant_single(x, mult, shift), given rq_vec_ok() with ECL_ROUND_SINGLE
 * (shift = -k, k in [0, 31]). With P = x*m (exact in 64 bits, |P| < 2^62):
 *   k = 0:  (P + 2^30) >> 31, the h of rq_raw() below (step 2);
 *   k >= 1: (P + 2^(30+k)) >> (31+k) = (g + 2^(k-1)) >> k with g = P >> 31 (the added 2^(30+k)
 *           is a multiple of 2^31, so the low 31 bits of P cannot carry), and that is
 *           (g >> k) + bit k-1 of g, which cannot overflow. g and h are bits 31..62 of P and of
 *           P + 2^30, taken as in rq_raw(). */
/* Left shifts (shift = s in [1, 30], k = 31 - s in [1, 30]): rq_raw() first shifts x left by s
 * with saturation (its step 1) and this function then runs with rsh = 0 (k = 0 above):
 *   - when x * 2^s fits int32 (x' = x * 2^s exact): (x*m + 2^(k-1)) >> k
 *     = (x*m*2^s + 2^(k-1+s)) >> (k+s) = (x'*m + 2^30) >> 31 = h, which fits int32 as
 *     |x'*m| < 2^62, so it is ecl_requant_single() exactly;
 *   - otherwise |x| >= 2^(31-s) and, with |m| >= 2^30 (rq_vec_ok), both the exact value
 *     x*m / 2^k and h from x' = +-(2^31 - 1) are at least 2^30 - 1 in magnitude, with the sign
 *     of x*m: after + zp both clamp to the same end of [lo, hi] (zp, lo, hi within int8). m = 0
 *     gives 0 on both sides. */
static inline __m256i rq_single(__m256i x, const struct rqv *r) {
    const __m256i half = _mm256_set1_epi64x(1ll << 30), one = _mm256_set1_epi32(1);
    __m256i pe = _mm256_mul_epi32(x, r->mult);
    __m256i po = _mm256_mul_epi32(_mm256_srli_epi64(x, 32), r->mult_odd);
    __m256i g = _mm256_blend_epi32(_mm256_srli_epi64(pe, 31), _mm256_slli_epi64(po, 1), 0xAA);
    __m256i h = _mm256_blend_epi32(_mm256_srli_epi64(_mm256_add_epi64(pe, half), 31),
                                   _mm256_slli_epi64(_mm256_add_epi64(po, half), 1), 0xAA);
    __m256i q = _mm256_add_epi32(_mm256_srav_epi32(g, r->rsh),
                                 _mm256_and_si256(_mm256_srav_epi32(g, r->km1), one));
    return _mm256_blendv_epi8(q, h, r->kz);
}

/* 8 lanes of ecl_requant_r(x, mult, shift, rounding): ECL_ROUND_SINGLE is rq_single() above;
 * ECL_ROUND_DOUBLE, ecl_requant(x, mult, shift), given rq_vec_ok() (lsh: some shift > 0):
 * 1. x * 2^lsh saturated to int32: the shift is exact iff shifting back gives x.
 * 2. SaturatingRoundingDoublingHighMul(a, m) = trunc((a*m + nudge) / 2^31) with nudge 2^30
 *    (a*m >= 0) or 1 - 2^30 (a*m < 0); both cases equal floor((a*m + 2^30) / 2^31) (for a*m < 0
 *    the sum is negative and trunc = floor(. + (2^31-1)/2^31)), and its low 32 bits are bits
 *    31..62 of the 64-bit sum (the result fits int32 because m != INT32_MIN). Even lanes via
 *    _mm256_mul_epi32 directly, odd lanes after a 32-bit shift.
 * 3. RoundingDivideByPOT as in kernels.h, lane-wise (rsh <= 31). */
static inline __m256i rq_raw(__m256i x, const struct rqv *r, int lsh) {
    if (lsh) {
        __m256i xs = _mm256_sllv_epi32(x, r->lsh);
        __m256i ok = _mm256_cmpeq_epi32(_mm256_srav_epi32(xs, r->lsh), x);
        __m256i sat = _mm256_xor_si256(_mm256_srai_epi32(x, 31), _mm256_set1_epi32(INT32_MAX));
        x = _mm256_blendv_epi8(sat, xs, ok);
    }
    if (r->single) return rq_single(x, r); /* left shifts: see rq_single() */
    const __m256i half = _mm256_set1_epi64x(1ll << 30);
    __m256i pe = _mm256_add_epi64(_mm256_mul_epi32(x, r->mult), half);
    __m256i po = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), r->mult_odd), half);
    __m256i h = _mm256_blend_epi32(_mm256_srli_epi64(pe, 31), _mm256_slli_epi64(po, 1), 0xAA);
    __m256i rem = _mm256_and_si256(h, r->rmask);
    __m256i thr = _mm256_sub_epi32(r->rthr, _mm256_cmpgt_epi32(_mm256_setzero_si256(), h));
    return _mm256_sub_epi32(_mm256_srav_epi32(h, r->rsh), _mm256_cmpgt_epi32(rem, thr));
}

/* 4. clamp(v + zp, lo, hi) for 16 requantised lanes v0 (first 8) and v1, stored as int8. The
 *    int32 -> int16 pack, the + zp and the int16 -> int8 pack all saturate; with zp, lo, hi
 *    within int8 a saturated intermediate stays beyond [lo, hi] on the same side, so the final
 *    clamp gives exactly clamp(v + zp, lo, hi). */
struct rqo {
    __m256i zp16;
    __m128i lo8, hi8;
};

static inline struct rqo rqo_make2(int32_t zp, int32_t lo, int32_t hi) {
    struct rqo o = {_mm256_set1_epi16((int16_t)zp), _mm_set1_epi8((char)lo),
                    _mm_set1_epi8((char)hi)};
    return o;
}

static inline struct rqo rqo_make(const struct ecl_conv_params *p) {
    return rqo_make2(p->out_zp, p->act_min_q, p->act_max_q);
}

/* v0: channels 0-7, v1: 8-15 */
static inline __m128i rq_pack16(__m256i v0, __m256i v1, const struct rqo *o) {
    __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(v0, v1), 0xD8);
    w = _mm256_adds_epi16(w, o->zp16);
    __m128i b = _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
    return _mm_min_epi8(_mm_max_epi8(b, o->lo8), o->hi8);
}

/* vlo: channels 0-3 and 8-11, vhi: 4-7 and 12-15 (the order of _mm256_unpack{lo,hi}_epi16) */
static inline __m128i rq_pack16_il(__m256i vlo, __m256i vhi, const struct rqo *o) {
    __m256i w = _mm256_adds_epi16(_mm256_packs_epi32(vlo, vhi), o->zp16);
    __m128i b = _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
    return _mm_min_epi8(_mm_max_epi8(b, o->lo8), o->hi8);
}

static inline void rq_store8(int8_t *dst, __m256i v, const struct rqo *o) {
    __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    w = _mm_adds_epi16(w, _mm256_castsi256_si128(o->zp16));
    __m128i b = _mm_min_epi8(_mm_max_epi8(_mm_packs_epi16(w, w), o->lo8), o->hi8);
    _mm_storel_epi64((__m128i *)dst, b);
}

static inline __m256i ld8_i32(const int8_t *s) {
    return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)s));
}

#endif

/* AVX2 QUANTIZE float -> int8 (compiled with -mavx2 -mfma; installed after a runtime CPU check,
 * see opt_install.c). Bit-exact with ecl_ref_quantize_f32_i8, 32 values per step:
 *
 *   q = x / scale                 _mm256_div_ps: IEEE division, as the scalar '/' (no
 *                                 reciprocal: x * (1/scale) rounds differently)
 *   r = round half away from zero:
 *       t = trunc(q)              exact
 *       d = q - t                 exact (the fractional part of a float is a float)
 *       r = t + (|d| >= 0.5 ? copysign(1, q) : 0)
 *                                 t + 1 is exact whenever |d| >= 0.5 can happen (|q| < 2^23);
 *                                 this is roundf(q) for every q, +-0 and +-inf included
 *                                 (inf: d = NaN, compare false); NaN stays NaN
 *   v = r + (float)zp             the same single float addition as the reference
 *   v = min(max(v, -128), 127)    maxps returns its second operand for a NaN: NaN -> -128,
 *                                 like the reference's !(v >= -128)
 *   out = (int8)(int32)v          v is an integer in [-128, 127]: conversion exact, packs
 *                                 do not saturate.
 * The rest (n % 32) runs the reference loop. Threads: the reference's split
 * (ecl_split_elem_len), so the chunks are the same whatever the table. */
#include <immintrin.h>
#include <stdint.h>
#include "kernels/opt/opt.h"

static inline __m256 q_round8(__m256 q) {
    const __m256 sign = _mm256_set1_ps(-0.0f), half = _mm256_set1_ps(0.5f);
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 t = _mm256_round_ps(q, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    __m256 d = _mm256_andnot_ps(sign, _mm256_sub_ps(q, t));
    __m256 step = _mm256_or_ps(_mm256_and_ps(q, sign), one); /* copysign(1, q) */
    return _mm256_add_ps(t, _mm256_and_ps(_mm256_cmp_ps(d, half, _CMP_GE_OQ), step));
}

static inline __m256i q_one8(const float *in, __m256 scale, __m256 zp, __m256 lo, __m256 hi) {
    __m256 v = _mm256_add_ps(q_round8(_mm256_div_ps(_mm256_loadu_ps(in), scale)), zp);
    v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
    return _mm256_cvttps_epi32(v);
}

static void quant_run(const float *in, int8_t *out, size_t n, float scale, int32_t zp) {
    const __m256 vs = _mm256_set1_ps(scale), vz = _mm256_set1_ps((float)zp);
    const __m256 lo = _mm256_set1_ps(-128.0f), hi = _mm256_set1_ps(127.0f);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i a = q_one8(in + i, vs, vz, lo, hi), b = q_one8(in + i + 8, vs, vz, lo, hi);
        __m256i c = q_one8(in + i + 16, vs, vz, lo, hi), d = q_one8(in + i + 24, vs, vz, lo, hi);
        /* packs work per 128-bit lane: ab = a0 b0 a1 b1 (4 int16 each), cd likewise; the
         * int8 pack gives a0 b0 c0 d0 a1 b1 c1 d1 (4 bytes each), permuted back to a b c d */
        __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
        __m256i x = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(ab, cd), order);
        _mm256_storeu_si256((__m256i *)(out + i), x);
    }
    if (i < n) ecl_ref_quantize_f32_i8(in + i, out + i, n - i, scale, zp);
}

void ecl_avx2_quantize_f32_i8(const struct ecl_kctx *kc, const float *in, int8_t *out, size_t n,
                              float scale, int32_t zp) {
    ecl_quantize_f32_i8_split(kc, quant_run, in, out, n, scale, zp);
}

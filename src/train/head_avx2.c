/* The head's products (head_gemm.h) with AVX2 + FMA: head_simd_impl.h with 8-float vectors,
 * tiles of 4 rows x 16 outputs (8 ymm accumulators: 16 registers hold the tile, the two weight
 * vectors and the broadcast) and vmaskmov loads/stores for the tails. Compiled for AVX2 by the
 * pragma below; ecl_head_gemm_avx2(), compiled for the baseline ISA, checks the CPU at run time.
 */
#include "train/head_gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#ifdef __clang__
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
#include <immintrin.h>

#define VT __m256
#define VL 8
#define NV 2
#define MASK_T __m256i
#define V_MASK(left)                                                                               \
    _mm256_cmpgt_epi32(_mm256_set1_epi32((int)((left) < 8 ? (left) : 8)),                          \
                       _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define V_LOADM(mk, p) _mm256_maskload_ps((p), (mk))
#define V_STOREM(p, mk, v) _mm256_maskstore_ps((p), (mk), (v))
#define V_SET1 _mm256_set1_ps
#define V_ZERO _mm256_setzero_ps
#define V_ADD _mm256_add_ps
#define V_SUB _mm256_sub_ps
#define V_MUL _mm256_mul_ps
#define V_DIV _mm256_div_ps
#define V_SQRT _mm256_sqrt_ps
#define V_FMADD _mm256_fmadd_ps
#define V_REDUCE reduce_avx2

static inline float reduce_avx2(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#define SIMD_NAME(x) x##_avx2
#define SIMD_TABLE ecl_head_gemm_avx2_table_
#define SIMD_INSTANCE "avx2"
extern const struct ecl_head_gemm ecl_head_gemm_avx2_table_;
#include "train/head_simd_impl.h"

#ifdef __clang__
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

const struct ecl_head_gemm *ecl_head_gemm_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
               ? &ecl_head_gemm_avx2_table_
               : NULL;
}

#else
typedef int ecl_head_avx2_unused; /* ISO C: no empty translation unit */
#endif

/* The head's products (head_gemm.h) with AVX-512: head_simd_impl.h with 16-float vectors,
 * tiles of 4 rows x 64 outputs (16 zmm accumulators) and opmask loads/stores for the tails.
 *
 * Compiled for AVX-512 by the pragma below (the file needs no special build flags); only
 * ecl_head_gemm_avx512(), compiled for the baseline ISA, decides at run time whether the CPU
 * and OS support it (ecl_opt_have_avx512, as the backbone kernels do).
 */
#include "train/head_gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include "kernels/opt/opt.h"

#ifdef __clang__
#pragma clang attribute push(                                                                      \
    __attribute__((target("avx2,fma,avx512f,avx512vl,avx512dq,avx512bw"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f,avx512vl,avx512dq,avx512bw")
#endif
#include <immintrin.h>

#define VT __m512
#define VL 16
#define NV 4
#define MASK_T __mmask16
#define V_MASK(left) ((left) >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (left)) - 1u))
#define V_LOADM(mk, p) _mm512_maskz_loadu_ps((mk), (p))
#define V_STOREM(p, mk, v) _mm512_mask_storeu_ps((p), (mk), (v))
#define V_SET1 _mm512_set1_ps
#define V_ZERO _mm512_setzero_ps
#define V_ADD _mm512_add_ps
#define V_SUB _mm512_sub_ps
#define V_MUL _mm512_mul_ps
#define V_DIV _mm512_div_ps
#define V_SQRT _mm512_sqrt_ps
#define V_FMADD _mm512_fmadd_ps
#define V_REDUCE _mm512_reduce_add_ps
#define SIMD_NAME(x) x##_avx512
#define SIMD_TABLE ecl_head_gemm_avx512_table_
#define SIMD_INSTANCE "avx512"
extern const struct ecl_head_gemm ecl_head_gemm_avx512_table_;
#include "train/head_simd_impl.h"

#ifdef __clang__
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

const struct ecl_head_gemm *ecl_head_gemm_avx512(void) {
    return ecl_opt_have_avx512() ? &ecl_head_gemm_avx512_table_ : NULL;
}

#else
typedef int ecl_head_avx512_unused; /* ISO C: no empty translation unit */
#endif

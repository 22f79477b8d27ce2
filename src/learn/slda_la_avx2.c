/* SLDA's linear algebra (slda_la.h) compiled for AVX2 by the pragma below (no special build
 * flags); ecl_slda_la_avx2(), compiled for the baseline ISA, checks the CPU at run time. */
#include "learn/slda_la.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <math.h>
#include <stddef.h>

#ifdef __clang__
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

#define SLDA_LA_NAME(x) avx2_##x
#define SLDA_LA_TABLE ecl_slda_la_avx2_table_
#define SLDA_LA_INSTANCE "avx2"
extern const struct ecl_slda_la ecl_slda_la_avx2_table_;
#include "learn/slda_la_impl.h"

#ifdef __clang__
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

const struct ecl_slda_la *ecl_slda_la_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? &ecl_slda_la_avx2_table_ : NULL;
}

#else
typedef int ecl_slda_la_avx2_unused; /* ISO C: no empty translation unit */
#endif

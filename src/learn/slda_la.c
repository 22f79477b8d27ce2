/* SLDA's linear algebra (slda_la.h) for the baseline ISA, and the run-time choice. */
#include "learn/slda_la.h"

#include <math.h>
#include <stddef.h>

#define SLDA_LA_NAME(x) base_##x
#define SLDA_LA_TABLE ecl_slda_la_base
#define SLDA_LA_INSTANCE "base"
#include "learn/slda_la_impl.h"

#if !(defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)))
const struct ecl_slda_la *ecl_slda_la_avx2(void) {
    return NULL;
}
#endif

const struct ecl_slda_la *ecl_slda_la_best(void) {
    const struct ecl_slda_la *t = ecl_slda_la_avx2();
    return t ? t : &ecl_slda_la_base;
}

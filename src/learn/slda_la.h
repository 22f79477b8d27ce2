/* src/learn/slda_la.h - SLDA's dense linear algebra (the classifier refresh of slda.c): the
 * Cholesky factorisation of the shrunk covariance and the solves for the class weights, in
 * double. One source (slda_la_impl.h) compiled twice: for the baseline ISA (slda_la.c) and
 * for AVX2 (slda_la_avx2.c, 4-wide double vectors in one register instead of two), chosen at
 * run time from the CPU. Both do the same operations in the same order (no FMA contraction:
 * the library builds as ISO C11), so their results are bit-identical. Not a public header. */
#ifndef EDGECL_LEARN_SLDA_LA_H
#define EDGECL_LEARN_SLDA_LA_H

#include <stdint.h>

#define ECL_SLDA_SOLVE_GROUP 4u /* right-hand sides per solve (the learner's tmp: 4 x dim) */

struct ecl_slda_la {
    const char *name;
    /* In-place lower Cholesky of the d x d row-major matrix a (lower triangle). 0 on failure. */
    int (*cholesky)(double *a, uint32_t d);
    /* Solves L L^T w = t in place for nr <= ECL_SLDA_SOLVE_GROUP vectors t[r] of d doubles. */
    void (*solve)(const double *L, uint32_t d, double *t[ECL_SLDA_SOLVE_GROUP], uint32_t nr);
};

/* The fastest version this CPU runs. */
const struct ecl_slda_la *ecl_slda_la_best(void);
extern const struct ecl_slda_la ecl_slda_la_base;
/* NULL when not compiled in or the CPU/OS lacks AVX2. */
const struct ecl_slda_la *ecl_slda_la_avx2(void);

#endif

/* src/train/head_gemm.h - the head's dense products and its optimiser update, as a small table
 * of functions: the plain-C reference (head_ref.c, the spec) and optimised versions selected
 * once per head at init from the CPU (head_avx512.c, head_avx2.c: head_simd_impl.h). Not a public
 * header.
 *
 * Shapes (all row-major, leading dimensions in floats; head_impl.h explains the input-major
 * weight layout):
 *   fwd:   z[i][o] += sum_k x[i][k] * w[k][o]          i < m (samples), o < n, k < kd
 *   wgrad: g[k][o]  = sum_i x[i][k] * d[i][o]          k < kd, o < n, i < m
 *          then, when u != NULL, the optimiser step of u on the weights w[k][o] with that
 *          gradient (plus u->l2 * w), fused so the gradient of a large layer never goes to
 *          memory; g may then be NULL (not stored).
 *   dgrad: dn[i][k] = a[i][k] > 0 ? sum_o w[k][o] * d[i][o] : 0   (the layer below's delta
 *          through its ReLU; a is that layer's output)
 * The reference skips zero inputs (ReLU outputs); optimised versions may use FMA and another
 * summation order, so they agree with it within float rounding, not bit for bit. The update
 * arithmetic itself (ecl_head_update_) is the same operations in the same order everywhere,
 * with one difference: the optimised wgrad with a step runs with subnormals flushed to zero
 * (x86 MXCSR FTZ + DAZ for the call, the caller's MXCSR restored after), so a subnormal
 * operand or result there (|value| < FLT_MIN: m of an input that stayed zero for ~800 steps,
 * g * g of a tiny gradient) counts as 0 where the reference keeps it: a difference below
 * FLT_MIN per value, and no microcode assist per operation on such values.
 */
#ifndef EDGECL_TRAIN_HEAD_GEMM_H
#define EDGECL_TRAIN_HEAD_GEMM_H

#include <stddef.h>
#include <stdint.h>

enum ecl_head_upd_kind { ECL_UPD_SGD, ECL_UPD_MOMENTUM, ECL_UPD_ADAM };

/* One optimiser step's constants and state arrays (same leading dimension as the weights). */
struct ecl_head_upd {
    enum ecl_head_upd_kind kind;
    float lr_t, eps_t;    /* step size and epsilon after Adam's bias correction */
    float b1, b2, c1, c2; /* Adam: beta1, beta2, 1 - beta1, 1 - beta2 */
    float mu;             /* momentum */
    float l2;             /* L2 coefficient added to the gradient (0: none) */
    float *w, *m, *v;     /* weights, first and second moments (m, v may be NULL) */
    size_t ld;            /* leading dimension of w, m, v */
    double pen;           /* out (wgrad with l2 > 0): += sum of w^2 before the step */
};

struct ecl_head_gemm {
    const char *name;
    void (*fwd)(float *z, size_t ldz, const float *x, size_t ldx, const float *w, size_t ldw,
                uint32_t m, uint32_t n, uint32_t kd);
    void (*wgrad)(float *g, size_t ldg, const float *x, size_t ldx, const float *d, size_t ldd,
                  uint32_t m, uint32_t n, uint32_t kd, struct ecl_head_upd *u);
    void (*dgrad)(float *dn, size_t lddn, const float *a, size_t lda, const float *d, size_t ldd,
                  const float *w, size_t ldw, uint32_t m, uint32_t n, uint32_t kd);
};

/* The plain-C reference. */
extern const struct ecl_head_gemm ecl_head_gemm_ref;
/* The fastest table this CPU runs (the reference when nothing better is compiled in). */
const struct ecl_head_gemm *ecl_head_gemm_best(void);
/* The AVX-512 table, or NULL when not compiled in or the CPU/OS lacks AVX-512F. */
const struct ecl_head_gemm *ecl_head_gemm_avx512(void);
/* The AVX2 + FMA table, or NULL when not compiled in or the CPU/OS lacks them. */
const struct ecl_head_gemm *ecl_head_gemm_avx2(void);

/* The step on count contiguous parameters with gradient g: w, m, v of u are offset by the
 * caller (u->ld unused). Vector paths do exactly the scalar operations in the same order. */
void ecl_head_update_(const struct ecl_head_upd *u, float *restrict w, const float *restrict g,
                      float *restrict m, float *restrict v, uint32_t count);

#endif

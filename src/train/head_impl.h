/* src/train/head_impl.h - the head's internal layout, shared with the learner and the state
 * serialiser (src/learn, src/state). Not a public header.
 *
 * Layer l (0..n_layers-1) maps in[l] -> out[l]; the last layer has out = max_classes, of which
 * only the first n_classes columns are active. Weights are stored input-major ("W^T"):
 * w[l][k * out[l] + o] is the weight from input k to output o, so the forward pass
 * z[o] += x[k] * w[k][o] and the weight gradient g[k][o] += x[k] * d[o] are both unit-stride
 * axpy loops over o, which compilers vectorise without reassociating float sums.
 */
#ifndef EDGECL_TRAIN_HEAD_IMPL_H
#define EDGECL_TRAIN_HEAD_IMPL_H

#include "edgecl/head.h"

struct ecl_head_gemm;

#define ECL_HEAD_MAX_LAYERS (ECL_HEAD_MAX_HIDDEN + 1)

struct ecl_head {
    struct ecl_head_params p;
    uint32_t n_layers;
    uint32_t in[ECL_HEAD_MAX_LAYERS], out[ECL_HEAD_MAX_LAYERS];
    uint32_t n_classes;
    uint32_t width_max; /* max over layers of out[] */
    float lr;           /* current learning rate (ecl_head_set_lr) */
    uint64_t step;      /* optimiser steps taken (Adam bias correction) */
    float *w[ECL_HEAD_MAX_LAYERS], *b[ECL_HEAD_MAX_LAYERS];
    float *gw[ECL_HEAD_MAX_LAYERS], *gb[ECL_HEAD_MAX_LAYERS];
    float *mw[ECL_HEAD_MAX_LAYERS], *mb[ECL_HEAD_MAX_LAYERS]; /* momentum / Adam m, or NULL */
    float *vw[ECL_HEAD_MAX_LAYERS], *vb[ECL_HEAD_MAX_LAYERS]; /* Adam v, or NULL */
    float *act[ECL_HEAD_MAX_LAYERS];  /* max_batch x out[l]; last = softmax probabilities */
    float *delta[2];                  /* max_batch x width_max, backprop ping-pong */
    const struct ecl_head_gemm *gemm; /* products + update (head_gemm.h), chosen at init */
};

/* Whether the optimiser keeps first / second moment buffers. */
static inline int ecl_head_has_m(const struct ecl_head_params *p) {
    return p->optimizer == ECL_OPT_ADAM || p->momentum != 0.0f;
}
static inline int ecl_head_has_v(const struct ecl_head_params *p) {
    return p->optimizer == ECL_OPT_ADAM;
}

/* Forward pass of one sample (n_classes > 0); returns the n_classes probabilities, which stay
 * valid until the next call on h. */
const float *ecl_head_forward1_(struct ecl_head *h, const float *x);

/* Switches h to the plain-C reference products (tests compare it with the optimised ones);
 * returns the name of the table h used before ("ref", "avx512", ...). */
const char *ecl_head_use_reference_(struct ecl_head *h);

#endif

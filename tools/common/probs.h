/* tools/common/probs.h - class probabilities from any learner's scores, so that a threshold
 * means the same for every learner.
 *
 * The learners' raw scores (ecl_learner_predict) differ in kind: the heads (naive, replay) give
 * softmax probabilities already; SLDA gives linear discriminants g_k = w_k.x + b_k, NCM negative
 * Euclidean distances -d_k. Both become softmax probabilities with a documented temperature:
 *   slda: p_k = softmax_k(g_k)       (temperature 1: the posterior of LDA's shared-covariance
 *                                     Gaussian model with equal class priors)
 *   ncm:  p_k = softmax_k(-(d_k - d_min) / t),  t = d_min / sqrt(dim)
 *         (the gap to the nearest mean in units of the distance's own spread: for isotropic
 *         Gaussian classes with per-dimension deviation s, a sample lies about s*sqrt(dim) from
 *         its mean and that distance varies by about s, estimated as d_min / sqrt(dim))
 * Classes never learned (-INFINITY) get 0. Probabilities sum to 1 over the learned classes.
 *
 *     scores_to_probs(ecl_learner_params(l), scores, probs, n_classes);
 */
#ifndef EDGECL_TOOLS_PROBS_H
#define EDGECL_TOOLS_PROBS_H

#include <stdint.h>
#include "edgecl/learner.h"

/* scores and probs: n entries each (may alias). */
void scores_to_probs(const struct ecl_learner_params *p, const float *scores, float *probs,
                     uint32_t n);

#endif

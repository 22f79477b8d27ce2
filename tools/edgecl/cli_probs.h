/* tools/edgecl/cli_probs.h - class probabilities from any learner's scores, so that a threshold
 * means the same for every learner.
 *
 * The learners' raw scores (ecl_learner_predict) differ in kind: the heads (naive, replay) give
 * softmax probabilities already; SLDA gives linear discriminants g_k = w_k.x + b_k, NCM negative
 * Euclidean distances -d_k. Both are turned into the posterior of the Gaussian model the learner
 * assumes, with equal class priors:
 *   slda: p_k = softmax_k(g_k)                      (the LDA posterior: temperature 1)
 *   ncm:  p_k = softmax_k(-(d_k^2 - d_min^2) / (2 s2)),  s2 = d_min^2 / dim
 *         (isotropic Gaussian classes; the variance per dimension s2 estimated from the nearest
 *         class's distance, since E|x - mu|^2 = dim * s2 for a sample of that class)
 * Classes never learned (-INFINITY) get 0. Probabilities sum to 1 over the learned classes.
 *
 *     cli_scores_to_probs(ecl_learner_params(l), scores, probs, n_classes);
 */
#ifndef EDGECL_CLI_PROBS_H
#define EDGECL_CLI_PROBS_H

#include <stdint.h>
#include "edgecl/learner.h"

/* scores and probs: n entries each (may alias). */
void cli_scores_to_probs(const struct ecl_learner_params *p, const float *scores, float *probs,
                         uint32_t n);

#endif

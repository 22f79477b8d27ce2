/* Nearest class mean: running per-class means (Welford-style incremental mean, no stored
 * sums, so no overflow or precision drift from huge sums); score = -Euclidean distance. */
#include "learn/learner_impl.h"

#include <math.h>

void ecl_learn_ncm_observe_(struct ecl_learner *l, const float *x, const int32_t *y, uint32_t n) {
    const uint32_t d = l->p.dim;
    for (uint32_t i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * d;
        float *mu = l->mean + (size_t)y[i] * d;
        float inv = (float)(1.0 / (double)(++l->cnt[y[i]]));
        for (uint32_t j = 0; j < d; j++)
            mu[j] += (xi[j] - mu[j]) * inv;
    }
}

int32_t ecl_learn_ncm_predict_(struct ecl_learner *l, const float *x, float *scores) {
    const uint32_t d = l->p.dim, c = l->p.max_classes;
    int32_t best = -1;
    float bv = -INFINITY;
    for (uint32_t k = 0; k < c; k++) {
        float s = -INFINITY;
        if (l->cnt[k] > 0) {
            const float *mu = l->mean + (size_t)k * d;
            float acc = 0.0f;
            for (uint32_t j = 0; j < d; j++) {
                float t = x[j] - mu[j];
                acc += t * t;
            }
            s = -sqrtf(acc);
            if (best < 0 || s > bv) {
                bv = s;
                best = (int32_t)k;
            }
        }
        if (scores) scores[k] = s;
    }
    return best;
}

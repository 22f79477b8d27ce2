/* Calibrated probabilities (probs.h). Logits are formed in double, one class at a time (no
 * buffer: max_classes may be 65536): SLDA discriminants of a few thousand are normal, and the
 * max is subtracted before exp(). */
#include "probs.h"

#include <math.h>

/* The logit of class k (-INFINITY: not learned); s = -distance for ncm. */
static double logit(const struct ecl_learner_params *p, float s, double dmin, double sigma) {
    if (!isfinite(s)) return -INFINITY;
    if (p->kind == ECL_LEARNER_SLDA) return (double)s;
    double d = -(double)s;
    if (sigma > 0.0) return -(d - dmin) / sigma;
    return d == dmin ? 0.0 : -INFINITY; /* the sample sits on a class mean */
}

void scores_to_probs(const struct ecl_learner_params *p, const float *scores, float *probs,
                     uint32_t n) {
    if (p->kind != ECL_LEARNER_SLDA && p->kind != ECL_LEARNER_NCM) {
        for (uint32_t k = 0; k < n; k++) /* heads: already softmax probabilities */
            probs[k] = scores[k];
        return;
    }
    double dmin = INFINITY;
    for (uint32_t k = 0; k < n; k++)
        if (isfinite(scores[k]) && -(double)scores[k] < dmin) dmin = -(double)scores[k];
    double sigma = isfinite(dmin) ? dmin / sqrt((double)p->dim) : 0.0;
    double m = -INFINITY, sum = 0.0;
    for (uint32_t k = 0; k < n; k++) {
        double z = logit(p, scores[k], dmin, sigma);
        if (z > m) m = z;
    }
    for (uint32_t k = 0; k < n; k++) {
        double z = logit(p, scores[k], dmin, sigma);
        sum += isfinite(z) ? exp(z - m) : 0.0;
    }
    for (uint32_t k = 0; k < n; k++) {
        double z = logit(p, scores[k], dmin, sigma);
        probs[k] = (float)(isfinite(z) && sum > 0.0 ? exp(z - m) / sum : 0.0);
    }
}

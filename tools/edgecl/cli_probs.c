/* Calibrated probabilities (cli_probs.h). Logits are formed in double, one class at a time (no
 * buffer: max_classes may be 65536): SLDA discriminants of a few thousand are normal, and the
 * max is subtracted before exp(). */
#include "cli_probs.h"

#include <math.h>

/* The logit of class k (-INFINITY: not learned). */
static double logit(const struct ecl_learner_params *p, float s, double dmin2, double s2) {
    if (!isfinite(s)) return -INFINITY;
    if (p->kind == ECL_LEARNER_SLDA) return (double)s;
    double d2 = (double)s * (double)s;
    if (s2 > 0.0) return -(d2 - dmin2) / (2.0 * s2);
    return d2 == dmin2 ? 0.0 : -INFINITY; /* the sample sits on a class mean */
}

void cli_scores_to_probs(const struct ecl_learner_params *p, const float *scores, float *probs,
                         uint32_t n) {
    if (p->kind != ECL_LEARNER_SLDA && p->kind != ECL_LEARNER_NCM) {
        for (uint32_t k = 0; k < n; k++) /* heads: already softmax probabilities */
            probs[k] = scores[k];
        return;
    }
    double dmin2 = INFINITY;
    for (uint32_t k = 0; k < n; k++)
        if (isfinite(scores[k]) && (double)scores[k] * scores[k] < dmin2)
            dmin2 = (double)scores[k] * scores[k];
    double s2 = isfinite(dmin2) ? dmin2 / (double)p->dim : 0.0;
    double m = -INFINITY, sum = 0.0;
    for (uint32_t k = 0; k < n; k++) {
        double z = logit(p, scores[k], dmin2, s2);
        if (z > m) m = z;
    }
    for (uint32_t k = 0; k < n; k++) {
        double z = logit(p, scores[k], dmin2, s2);
        sum += isfinite(z) ? exp(z - m) : 0.0;
    }
    for (uint32_t k = 0; k < n; k++) {
        double z = logit(p, scores[k], dmin2, s2);
        probs[k] = (float)(isfinite(z) && sum > 0.0 ? exp(z - m) / sum : 0.0);
    }
}

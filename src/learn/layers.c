/* The learned classifier as dense layers (learner.h, ecl_learner_layer_*), for exporters.
 *
 * Why these formulas: an exported model must reproduce predict()'s decision with the plain
 * FULLY_CONNECTED + SOFTMAX ops every runtime has. The head already is such a stack (its
 * weights are stored input-major, so they are transposed here). SLDA's scores are linear in x
 * by construction (its cached W, b). NCM's -|x - mu_k| is not, but |x|^2 - |x - mu_k|^2 =
 * 2 mu_k.x - |mu_k|^2 is, and it orders the classes the same way for every x (|x|^2 is common
 * to all classes, and the square root is monotone).
 */
#include "learn/learner_impl.h"

#include <string.h>

static int uses_head(const struct ecl_learner *l) {
    return l->p.kind == ECL_LEARNER_NAIVE || l->p.kind == ECL_LEARNER_REPLAY;
}

enum ecl_status ecl_learner_layer_count(const struct ecl_learner *l, uint32_t *n) {
    if (!l || !n) return ECL_EINVAL;
    if (l->n_classes == 0) return ECL_ESTATE;
    *n = uses_head(l) ? l->head->n_layers : 1;
    return ECL_OK;
}

enum ecl_status ecl_learner_layer_shape(const struct ecl_learner *l, uint32_t i,
                                        struct ecl_learner_layer *layer) {
    uint32_t n;
    enum ecl_status st = ecl_learner_layer_count(l, &n);
    if (st) return st;
    if (!layer || i >= n) return ECL_EINVAL;
    if (uses_head(l)) {
        const struct ecl_head *h = l->head;
        layer->in = h->in[i];
        layer->out = i + 1 == n ? l->n_classes : h->out[i];
        layer->relu = i + 1 < n;
    } else {
        layer->in = l->p.dim;
        layer->out = l->n_classes;
        layer->relu = 0;
    }
    return ECL_OK;
}

enum ecl_status ecl_learner_layer_get(struct ecl_learner *l, uint32_t i, float *w, float *b) {
    struct ecl_learner_layer L;
    enum ecl_status st = ecl_learner_layer_shape(l, i, &L);
    if (st) return st;
    if (!w || !b) return ECL_EINVAL;
    if (uses_head(l)) {
        const struct ecl_head *h = l->head;
        const uint32_t stride = h->out[i]; /* input-major: hw[k * stride + o] */
        for (uint32_t o = 0; o < L.out; o++) {
            for (uint32_t k = 0; k < L.in; k++)
                w[(size_t)o * L.in + k] = h->w[i][(size_t)k * stride + o];
            b[o] = h->b[i][o];
        }
        return ECL_OK;
    }
    const uint32_t d = l->p.dim;
    if (l->p.kind == ECL_LEARNER_SLDA && !l->cache_valid) ecl_learn_slda_rebuild_(l);
    for (uint32_t k = 0; k < L.out; k++) {
        float *wk = w + (size_t)k * d;
        if (l->cnt[k] == 0) {
            memset(wk, 0, d * sizeof(float));
            b[k] = ECL_LEARNER_ABSENT_LOGIT;
        } else if (l->p.kind == ECL_LEARNER_SLDA) {
            memcpy(wk, l->sw + (size_t)k * d, d * sizeof(float));
            b[k] = l->sb[k];
        } else {
            const float *mu = l->mean + (size_t)k * d;
            double sq = 0.0;
            for (uint32_t j = 0; j < d; j++) {
                wk[j] = 2.0f * mu[j];
                sq += (double)mu[j] * mu[j];
            }
            b[k] = (float)-sq;
        }
    }
    return ECL_OK;
}

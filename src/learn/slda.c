/* Streaming LDA (Hayes & Kanan, "Lifelong Machine Learning with Deep Streaming Linear
 * Discriminant Analysis", CVPRW 2020).
 *
 * Per sample (x, y), with N updates so far and z = x - mu_y (the class mean *before* the update):
 *     Sigma <- (N * Sigma + N/(N+1) * z z^T) / (N+1)
 *     mu_y  <- mu_y + z / (count_y + 1)
 * exactly as the authors' reference implementation. Only the lower triangle of Sigma is kept
 * up to date (half the work of the O(d^2) per-sample update).
 *
 * Prediction uses Lambda = ((1-s) Sigma + s I)^-1: scores_k = w_k . x + b_k with
 * w_k = Lambda mu_k, b_k = -0.5 mu_k . w_k. Rather than forming Lambda we Cholesky-factor the
 * shrunk covariance (in double: the d^3/6 factorisation is where float rounding would hurt) and
 * solve for each w_k; this is done lazily on the first predict after an observe and cached
 * (W, b live in the learner's caller-supplied block; a dirty flag is cleared by observe(),
 * reset and state_read), because predictions are far more frequent than re-factorisations on
 * a device. The cache is derived data and is never written to state images. The factorisation
 * and solves live in slda_la_impl.h, compiled for the baseline ISA and for AVX2 (slda_la.h).
 *
 * Why the refresh is not a rank-1 update: with A = (1-s) Sigma + s I, one sample gives
 *     A' = a A + (1-a) s I + (1-s) b z z^T,   a = N/(N+1), b = N/(N+1)^2,
 * i.e. a rank-1 term *plus a multiple of the identity* (the shrinkage does not decay with
 * Sigma), so Sherman-Morrison / a rank-1 Cholesky update of A^-1 or of its factor is not exact
 * for s > 0 (the default 1e-4); handling the identity shift exactly needs an
 * eigendecomposition (O(d^3) and ~10x a Cholesky) or an iterative solve per class, neither of
 * which beats one blocked factorisation at these sizes. The refresh is therefore exact and
 * from scratch, once per predict-after-observe, and made cheap instead (AVX2 double vectors).
 */
#include "learn/learner_impl.h"
#include "learn/slda_la.h"

#include <math.h>
#include <string.h>

void ecl_learn_slda_observe_(struct ecl_learner *l, const float *x, const int32_t *y, uint32_t n) {
    const uint32_t d = l->p.dim;
    double *z = l->tmp;
    for (uint32_t i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * d;
        const int32_t c = y[i];
        float *mu = l->mean + (size_t)c * d;
        for (uint32_t j = 0; j < d; j++)
            z[j] = (double)xi[j] - (double)mu[j];
        const double N = (double)l->n_total;
        const float a = (float)(N / (N + 1.0));
        const double bcoef = N / ((N + 1.0) * (N + 1.0));
        for (uint32_t r = 0; r < d; r++) {
            float *row = l->cov + (size_t)r * d;
            const float br = (float)(bcoef * z[r]);
            for (uint32_t k = 0; k <= r; k++)
                row[k] = a * row[k] + br * (float)z[k];
        }
        const double inv = 1.0 / (double)(l->cnt[c] + 1);
        for (uint32_t j = 0; j < d; j++)
            mu[j] = (float)((double)mu[j] + z[j] * inv);
        l->cnt[c]++;
        l->n_total++;
    }
    l->cache_valid = 0;
}

void ecl_learn_slda_rebuild_(struct ecl_learner *l) {
    const uint32_t d = l->p.dim, c = l->p.max_classes;
    const double s = l->p.slda_shrinkage;
    const struct ecl_slda_la *la = ecl_slda_la_best();
    double trace = 0.0;
    for (uint32_t r = 0; r < d; r++)
        trace += l->cov[(size_t)r * d + r];
    /* Jitter only if the shrunk covariance is numerically singular (e.g. shrinkage 0). */
    double jitter = 0.0;
    int ok = 0;
    for (int attempt = 0; attempt < 12 && !ok; attempt++) {
        for (uint32_t r = 0; r < d; r++) {
            const float *cr = l->cov + (size_t)r * d;
            double *ar = l->chol + (size_t)r * d;
            for (uint32_t k = 0; k < r; k++)
                ar[k] = (1.0 - s) * cr[k];
            ar[r] = (1.0 - s) * cr[r] + s + jitter;
        }
        ok = la->cholesky(l->chol, d);
        if (ok) break;
        jitter = jitter == 0.0 ? 1e-8 * (trace / d > 1e-30 ? trace / d : 1.0) : jitter * 10.0;
    }
    if (!ok) {
        /* Hopeless covariance (non-finite): fall back to identity precision (NCM-like). */
        memset(l->chol, 0, (size_t)d * d * sizeof(double));
        for (uint32_t r = 0; r < d; r++)
            l->chol[(size_t)r * d + r] = 1.0;
    }
    /* Seen classes in groups of ECL_SLDA_SOLVE_GROUP: tmp holds that many vectors of d doubles. */
    uint32_t k = 0;
    while (k < c) {
        uint32_t cls[ECL_SLDA_SOLVE_GROUP], nr = 0;
        for (; k < c && nr < ECL_SLDA_SOLVE_GROUP; k++)
            if (l->cnt[k] > 0) cls[nr++] = k;
        if (nr == 0) break;
        double *t[ECL_SLDA_SOLVE_GROUP];
        for (uint32_t r = 0; r < nr; r++) {
            t[r] = l->tmp + (size_t)r * d;
            const float *mu = l->mean + (size_t)cls[r] * d;
            for (uint32_t j = 0; j < d; j++)
                t[r][j] = mu[j];
        }
        la->solve(l->chol, d, t, nr);
        for (uint32_t r = 0; r < nr; r++) {
            const float *mu = l->mean + (size_t)cls[r] * d;
            float *w = l->sw + (size_t)cls[r] * d;
            double b = 0.0;
            for (uint32_t j = 0; j < d; j++) {
                w[j] = (float)t[r][j];
                b += (double)mu[j] * t[r][j];
            }
            l->sb[cls[r]] = (float)(-0.5 * b);
        }
    }
    l->cache_valid = 1;
}

int32_t ecl_learn_slda_predict_(struct ecl_learner *l, const float *x, float *scores) {
    const uint32_t d = l->p.dim, c = l->p.max_classes;
    if (!l->cache_valid) ecl_learn_slda_rebuild_(l);
    int32_t best = -1;
    float bv = -INFINITY;
    for (uint32_t k = 0; k < c; k++) {
        float s = -INFINITY;
        if (l->cnt[k] > 0) {
            const float *w = l->sw + (size_t)k * d;
            float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
            uint32_t j = 0;
            for (; j + 4 <= d; j += 4) {
                a0 += w[j] * x[j];
                a1 += w[j + 1] * x[j + 1];
                a2 += w[j + 2] * x[j + 2];
                a3 += w[j + 3] * x[j + 3];
            }
            for (; j < d; j++)
                a0 += w[j] * x[j];
            s = (a0 + a1) + (a2 + a3) + l->sb[k];
            if (best < 0 || s > bv) {
                bv = s;
                best = (int32_t)k;
            }
        }
        if (scores) scores[k] = s;
    }
    return best;
}

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
 * a device. The cache is derived data and is never written to state images.
 */
#include "learn/learner_impl.h"

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

/* The rebuild is O(d^3/6) for the factorisation plus O(d^2) per class for the solves, all in
 * double; at d = 1280 the matrix (13 MB) does not fit in cache, so the cost is dominated by
 * streaming rows of L rather than by arithmetic. Both steps are therefore blocked so that every
 * row of L that is streamed is used four times (four columns of the factor, or four classes
 * in the solves), and the inner products run on 4-wide double vectors (GCC/Clang vector
 * extensions; two SSE2 ops on baseline x86-64) with a plain-C fallback. */
#if defined(__GNUC__) || defined(__clang__)
typedef double v4d __attribute__((vector_size(32), aligned(8)));
#define V4_LOAD(p) (*(const v4d *)(const void *)(p))
#define V4_STORE(p, v) (*(v4d *)(void *)(p) = (v))
#define HAVE_V4 1
#endif

#define CB 4u /* columns of L per block, classes per solve group */

/* out[t] = sum_{k<n} a[k] * b[t][k] for t < 4 (b rows may alias each other). */
static void dot4(const double *a, const double *b0, const double *b1, const double *b2,
                 const double *b3, uint32_t n, double out[4]) {
    uint32_t k = 0;
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
#ifdef HAVE_V4
    v4d c0 = {0, 0, 0, 0}, c1 = c0, c2 = c0, c3 = c0;
    for (; k + 4 <= n; k += 4) {
        const v4d av = V4_LOAD(a + k);
        c0 += av * V4_LOAD(b0 + k);
        c1 += av * V4_LOAD(b1 + k);
        c2 += av * V4_LOAD(b2 + k);
        c3 += av * V4_LOAD(b3 + k);
    }
    s0 = (c0[0] + c0[1]) + (c0[2] + c0[3]);
    s1 = (c1[0] + c1[1]) + (c1[2] + c1[3]);
    s2 = (c2[0] + c2[1]) + (c2[2] + c2[3]);
    s3 = (c3[0] + c3[1]) + (c3[2] + c3[3]);
#endif
    for (; k < n; k++) {
        s0 += a[k] * b0[k];
        s1 += a[k] * b1[k];
        s2 += a[k] * b2[k];
        s3 += a[k] * b3[k];
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
}

/* In-place lower Cholesky of the d x d matrix in a (row-major, lower triangle). 0 on failure.
 * Left-looking (Crout) by blocks of CB columns j0..j0+jb-1, one pass over the rows i >= j0:
 * row i subtracts its inner products with the block's rows over the finished columns
 * 0..j0-1 (row i is read once for all jb columns), then finishes its jb entries with the
 * small within-block terms. Rows of the block come first, so they are final when used. */
static int cholesky(double *a, uint32_t d) {
    for (uint32_t j0 = 0; j0 < d; j0 += CB) {
        const uint32_t jb = d - j0 < CB ? d - j0 : CB;
        const double *rb[CB];
        double inv[CB] = {0.0, 0.0, 0.0, 0.0};
        for (uint32_t t = 0; t < CB; t++)
            rb[t] = a + (size_t)(j0 + (t < jb ? t : 0)) * d;
        for (uint32_t i = j0; i < d; i++) {
            double *ri = a + (size_t)i * d;
            double s[CB];
            dot4(ri, rb[0], rb[1], rb[2], rb[3], j0, s);
            const uint32_t tmax = i - j0 + 1 < jb ? i - j0 + 1 : jb; /* columns j <= i */
            for (uint32_t t = 0; t < tmax; t++) {
                const uint32_t j = j0 + t;
                double v = ri[j] - s[t];
                for (uint32_t u = j0; u < j; u++)
                    v -= ri[u] * rb[t][u];
                if (j == i) {
                    if (!(v > 0.0) || !isfinite(v)) return 0;
                    const double ljj = sqrt(v);
                    ri[j] = ljj;
                    inv[t] = 1.0 / ljj;
                } else {
                    ri[j] = v * inv[t];
                }
            }
        }
    }
    return 1;
}

/* Solve L L^T w = mu for up to CB right-hand sides at once (t[r] holds d doubles each).
 * Forward: row-wise inner products; backward (L^T w = t): for i from the bottom,
 * t[0..i) -= t[i] * L[i][0..i), so both sweeps read L by rows. */
static void solve_group(const double *L, uint32_t d, double *t[CB], uint32_t nr) {
    double *tt[CB];
    for (uint32_t r = 0; r < CB; r++)
        tt[r] = t[r < nr ? r : 0];
    for (uint32_t i = 0; i < d; i++) {
        const double *ri = L + (size_t)i * d;
        double s[CB];
        dot4(ri, tt[0], tt[1], tt[2], tt[3], i, s);
        for (uint32_t r = 0; r < nr; r++)
            tt[r][i] = (tt[r][i] - s[r]) / ri[i];
    }
    for (uint32_t i = d; i-- > 0;) {
        const double *ri = L + (size_t)i * d;
        for (uint32_t r = 0; r < nr; r++) {
            double *x = tt[r];
            const double ti = x[i] / ri[i];
            x[i] = ti;
            uint32_t k = 0;
#ifdef HAVE_V4
            for (; k + 4 <= i; k += 4)
                V4_STORE(x + k, V4_LOAD(x + k) - ti * V4_LOAD(ri + k));
#endif
            for (; k < i; k++)
                x[k] -= ti * ri[k];
        }
    }
}

void ecl_learn_slda_rebuild_(struct ecl_learner *l) {
    const uint32_t d = l->p.dim, c = l->p.max_classes;
    const double s = l->p.slda_shrinkage;
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
        ok = cholesky(l->chol, d);
        if (ok) break;
        jitter = jitter == 0.0 ? 1e-8 * (trace / d > 1e-30 ? trace / d : 1.0) : jitter * 10.0;
    }
    if (!ok) {
        /* Hopeless covariance (non-finite): fall back to identity precision (NCM-like). */
        memset(l->chol, 0, (size_t)d * d * sizeof(double));
        for (uint32_t r = 0; r < d; r++)
            l->chol[(size_t)r * d + r] = 1.0;
    }
    /* Seen classes in groups of CB: tmp holds CB vectors of d doubles. */
    uint32_t k = 0;
    while (k < c) {
        uint32_t cls[CB], nr = 0;
        for (; k < c && nr < CB; k++)
            if (l->cnt[k] > 0) cls[nr++] = k;
        if (nr == 0) break;
        double *t[CB];
        for (uint32_t r = 0; r < nr; r++) {
            t[r] = l->tmp + (size_t)r * d;
            const float *mu = l->mean + (size_t)cls[r] * d;
            for (uint32_t j = 0; j < d; j++)
                t[r][j] = mu[j];
        }
        solve_group(l->chol, d, t, nr);
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

/* tests/core_util.h - deterministic data generators shared by the core tests. */
#ifndef EDGECL_TESTS_CORE_UTIL_H
#define EDGECL_TESTS_CORE_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/rng.h"

static inline float tu_gauss(uint64_t *s) {
    float u1 = ecl_rng_float(s), u2 = ecl_rng_float(s);
    if (u1 < 1e-7f) u1 = 1e-7f;
    return sqrtf(-2.0f * logf(u1)) * cosf(6.2831853f * u2);
}

/* n_classes Gaussian clusters in dim dimensions: means N(0, sep^2), unit noise. */
struct tu_clusters {
    uint32_t dim, n_classes;
    float *mean; /* n_classes x dim */
    uint64_t rng;
};

static inline void tu_clusters_init(struct tu_clusters *c, uint32_t dim, uint32_t n_classes,
                                    float sep, uint64_t seed) {
    c->dim = dim;
    c->n_classes = n_classes;
    c->rng = ecl_rng_seed(seed, 99);
    c->mean = (float *)malloc(sizeof(float) * dim * n_classes);
    for (uint32_t i = 0; i < dim * n_classes; i++)
        c->mean[i] = sep * tu_gauss(&c->rng);
}

/* n samples of class y (y < 0: classes cycle over [lo, hi)). */
static inline void tu_draw(struct tu_clusters *c, int32_t lo, int32_t hi, uint32_t n, float *x,
                           int32_t *y) {
    for (uint32_t i = 0; i < n; i++) {
        int32_t k = lo + (int32_t)(i % (uint32_t)(hi - lo));
        y[i] = k;
        for (uint32_t j = 0; j < c->dim; j++)
            x[(size_t)i * c->dim + j] = c->mean[(size_t)k * c->dim + j] + tu_gauss(&c->rng);
    }
}

static inline void tu_clusters_free(struct tu_clusters *c) {
    free(c->mean);
}

#endif

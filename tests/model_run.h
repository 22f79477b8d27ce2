/* tests/model_run.h - running a whole model in a cmocka test (include after <cmocka.h>): a
 * deterministic float input, and one interpreter's output on given options and pool.
 *
 *     size_t n, n_out;
 *     float *in = model_input(&m, cut, 2024, &n);  // n floats in [0, 1), malloc'd; NULL: error
 *     struct ecl_interp_opts o = ecl_interp_default_opts();   // force_ref, no_fuse, ...
 *     float *out = model_run(&m, cut, o, pool, in, &n_out, NULL);  // pool NULL: 1 thread
 *     ... free(out), free(in);
 */
#ifndef EDGECL_TESTS_MODEL_RUN_H
#define EDGECL_TESTS_MODEL_RUN_H

#include <stdint.h>
#include <stdlib.h>
#include "edgecl/model.h"
#include "edgecl/port.h"

/* The input size comes from a serial interpreter's dims (its arena is freed again). */
static inline float *model_input(const struct ecl_model *m, int32_t cut, uint32_t seed,
                                 size_t *n_in) {
    char err[200];
    struct ecl_interp_opts o = ecl_interp_default_opts();
    size_t need = 0;
    struct ecl_interp *it = NULL;
    if (ecl_interp_mem_size(m, cut, &o, &need, err, sizeof err) != ECL_OK) return NULL;
    void *arena = malloc(need);
    if (!arena || ecl_interp_init(m, cut, &o, arena, need, &it, err, sizeof err) != ECL_OK) {
        free(arena);
        return NULL;
    }
    *n_in = ecl_interp_input_count(it);
    free(arena);
    float *in = malloc(*n_in * sizeof *in);
    for (size_t i = 0; in && i < *n_in; i++) {
        seed = seed * 1664525u + 1013904223u;
        in[i] = (float)(seed >> 8) / 16777216.0f;
    }
    return in;
}

/* The output (n_out floats, malloc'd) of a fresh interpreter with options o on pool (NULL: one
 * thread), run twice (the second run reuses the planned arena and scratch); its stats in st
 * when st is not NULL. Asserts every step. */
static inline float *model_run(const struct ecl_model *m, int32_t cut, struct ecl_interp_opts o,
                               struct ecl_pool *pool, const float *in, size_t *n_out,
                               struct ecl_interp_stats *st) {
    if (pool) {
        o.parallel_for = ecl_pool_parallel_for;
        o.pf_user = pool;
        o.n_threads = ecl_pool_threads(pool);
    }
    char err[200];
    size_t need = 0;
    assert_int_equal(ecl_interp_mem_size(m, cut, &o, &need, err, sizeof err), ECL_OK);
    void *arena = malloc(need);
    assert_non_null(arena);
    struct ecl_interp *it = NULL;
    assert_int_equal(ecl_interp_init(m, cut, &o, arena, need, &it, err, sizeof err), ECL_OK);
    *n_out = ecl_interp_output_count(it);
    float *out = malloc(*n_out * sizeof *out);
    assert_non_null(out);
    for (int rep = 0; rep < 2; rep++)
        assert_int_equal(ecl_interp_run(it, in, out), ECL_OK);
    if (st) ecl_interp_get_stats(it, st);
    free(arena);
    return out;
}

#endif

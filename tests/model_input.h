/* tests/model_input.h - a deterministic float input for a model's interpreter (test helper).
 *
 *     size_t n;
 *     float *in = model_input(&m, cut, 2024, &n);  // n floats in [0, 1), malloc'd; NULL: error
 *     ... ecl_interp_run(it, in, out) ... free(in);
 */
#ifndef EDGECL_TESTS_MODEL_INPUT_H
#define EDGECL_TESTS_MODEL_INPUT_H

#include <stdint.h>
#include <stdlib.h>
#include "edgecl/model.h"

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

#endif

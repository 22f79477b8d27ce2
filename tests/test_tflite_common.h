/* Helpers shared by the tflite tests: run a builder model through parse + plan + init + run. */
#ifndef EDGECL_TEST_TFLITE_COMMON_H
#define EDGECL_TEST_TFLITE_COMMON_H
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <stdio.h>
#include <cmocka.h>
#include "edgecl/model.h"
#include "tflite_builder.h"

static uint32_t tt_rng = 12345;
static inline float tt_rand(void) /* uniform [-1, 1) */
{
    tt_rng = tt_rng * 1664525u + 1013904223u;
    return (float)((tt_rng >> 8) & 0xffffff) / 8388608.0f - 1.0f;
}
static inline void tt_fill(float *x, size_t n, float scale) {
    for (size_t i = 0; i < n; i++)
        x[i] = scale * tt_rand();
}

/* Parses, plans (cut by name; NULL = output), runs once. Returns status; err filled. */
static inline enum ecl_status tt_run(const uint8_t *file, size_t len, const char *cut,
                                     const float *in, float *out, size_t out_cap,
                                     struct ecl_interp_stats *st, int force_ref) {
    struct ecl_model m;
    char err[200];
    enum ecl_status s = ecl_model_parse(file, len, &m, err, sizeof err);
    if (s) return s;
    int32_t c = -1;
    if (cut && (s = ecl_model_find_tensor(&m, cut, &c))) return s;
    struct ecl_interp_opts o = ecl_interp_default_opts();
    o.force_ref = force_ref;
    size_t need;
    if ((s = ecl_interp_mem_size(&m, c, &o, &need, err, sizeof err))) return s;
    void *arena = malloc(need);
    struct ecl_interp *it;
    s = ecl_interp_init(&m, c, &o, arena, need, &it, err, sizeof err);
    if (!s) {
        assert_true(ecl_interp_output_count(it) <= out_cap);
        s = ecl_interp_run(it, in, out);
        if (st) ecl_interp_get_stats(it, st);
    }
    free(arena);
    return s;
}
#endif

/* tests/fuzz/fuzz_model.c - the .tflite loader and planner on arbitrary bytes:
 * ecl_model_parse, then every tensor/op query, then ecl_interp_mem_size for the model output and
 * for one more cut tensor; small enough plans are also initialised and run once.
 *
 * Input: the model file, as is (TFLite flatbuffers carry no checksum). The cut is the tensor
 * with index (size % n_tensors), besides the model output.
 * Properties beyond "no crash, no leak, no UB": a failed parse or plan leaves a message; names
 * are NUL-terminated inside the buffer; the planned arena is never overrun (ASan: the arena is
 * an exact-size malloc) and run() fills exactly output_count floats. */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgecl/model.h"
#include "fuzz_util.h"

#define RUN_CAP (256u << 10) /* only run plans this small: keeps each input fast */

static void try_cut(const struct ecl_model *m, int32_t cut) {
    struct ecl_interp_opts o = ecl_interp_default_opts();
    size_t need = 0;
    char err[160] = "";
    if (ecl_interp_mem_size(m, cut, &o, &need, err, sizeof err) != ECL_OK) {
        if (getenv("FUZZ_VERBOSE")) fprintf(stderr, "plan (cut %d): %s\n", (int)cut, err);
        FUZZ_CHECK(err[0]);
        return;
    }
    if (need == 0 || need > RUN_CAP) return;
    uint8_t *arena = malloc(need);
    FUZZ_CHECK(arena);
    struct ecl_interp *it = NULL;
    err[0] = 0;
    if (ecl_interp_init(m, cut, &o, arena, need, &it, err, sizeof err) != ECL_OK) {
        FUZZ_CHECK(err[0]);
        free(arena);
        return;
    }
    size_t nin = ecl_interp_input_count(it), nout = ecl_interp_output_count(it);
    struct ecl_interp_stats st;
    ecl_interp_get_stats(it, &st);
    FUZZ_CHECK(st.arena_used <= need);
    if (nin <= (1u << 20) && nout <= (1u << 20)) {
        float *in = malloc((nin ? nin : 1) * sizeof *in);
        float *out = malloc((nout + 1) * sizeof *out);
        FUZZ_CHECK(in && out);
        for (size_t i = 0; i < nin; i++)
            in[i] = (float)(i % 7) / 7.0f;
        out[nout] = 1234.5f; /* canary: run() writes exactly nout floats */
        enum ecl_status rs = ecl_interp_run(it, in, out);
        if (getenv("FUZZ_VERBOSE"))
            fprintf(stderr, "cut %d: arena %zu, run %s, out[0] %g\n", (int)cut, need,
                    ecl_status_str(rs), nout ? (double)out[0] : 0.0);
        FUZZ_CHECK(out[nout] == 1234.5f);
        free(in);
        free(out);
    }
    free(arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct ecl_model m;
    char err[160] = "";
    if (ecl_model_parse(data, size, &m, err, sizeof err) != ECL_OK) {
        if (getenv("FUZZ_VERBOSE")) fprintf(stderr, "parse: %s\n", err);
        FUZZ_CHECK(err[0]);
        return 0;
    }
    uint32_t nt = ecl_model_n_tensors(&m), no = ecl_model_n_ops(&m);
    FUZZ_CHECK(nt <= ECL_MODEL_MAX_TENSORS && no <= ECL_MODEL_MAX_OPS);
    const uint8_t *end = data + size;
    for (uint32_t i = 0; i < nt; i++) {
        struct ecl_tensor_info ti;
        if (ecl_model_tensor_info(&m, (int32_t)i, &ti) != ECL_OK) continue;
        if (ti.name) {
            const uint8_t *n = (const uint8_t *)ti.name;
            if (n >= data && n < end) FUZZ_CHECK(memchr(n, 0, (size_t)(end - n)) != NULL);
            int32_t back = -1;
            if (ecl_model_find_tensor(&m, ti.name, &back) == ECL_OK)
                FUZZ_CHECK(back >= 0 && (uint32_t)back < nt);
        }
        FUZZ_CHECK(ti.ndims >= 0 && ti.ndims <= ECL_MAX_DIMS);
    }
    for (uint32_t i = 0; i < no; i++) {
        struct ecl_op_info oi;
        if (ecl_model_op_info(&m, (int32_t)i, &oi) != ECL_OK) continue;
        FUZZ_CHECK(oi.name != NULL);
        FUZZ_CHECK(oi.n_inputs >= 0 && oi.n_outputs >= 0);
    }
    (void)ecl_model_input(&m);
    (void)ecl_model_output(&m);
    try_cut(&m, -1);
    if (nt) try_cut(&m, (int32_t)(size % nt));
    return 0;
}

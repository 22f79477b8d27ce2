/* tests/op_runner.h - one operator through edgecl's interpreter, the way TFLM's kernel runner
 * tests a kernel: describe the op's tensors, get its outputs. The model is built with
 * tests/tflite_builder.h (one op; constants are tensors with data, the others become the
 * subgraph's inputs in order), parsed, planned with cut -1 (all outputs), run with the reference
 * kernels and, unless OPR_REF_ONLY, with the optimised ones too (the two must agree: bit-exact
 * for integers, within 1e-5 relative for floats).
 *
 *     struct opr_t in[2] = {opr_f32(2, (int32_t[]){2, 3}, x), opr_f32(1, (int32_t[]){3}, y)};
 *     struct opr_t out[1] = {opr_f32(2, (int32_t[]){2, 3}, NULL)};
 *     char err[200];
 *     assert_int_equal(opr_run(SUB, 28, NULL, 0, in, 2, out, 1, 0, err, sizeof err), ECL_OK);
 *     const float *z = out[0].result;      // malloc'd; opr_free(out, 1)
 */
#ifndef EDGECL_TESTS_OP_RUNNER_H
#define EDGECL_TESTS_OP_RUNNER_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/status.h"
#include "tflite_builder.h"

struct opr_t {
    int type; /* TB_*; -1: an omitted optional input (index -1) */
    int ndims;
    int32_t dims[6];
    const void *data; /* inputs: the values (in the declared type) */
    int is_const;     /* 1: written into the file as a constant */
    int n_q;          /* quantisation: 0 none, 1 per tensor, n per channel */
    float scale[64];
    int64_t zp[64];
    int qdim;
    void *result; /* outputs: filled by opr_run (malloc'd, declared type) */
    size_t bytes;
};

enum { OPR_REF_ONLY = 1, OPR_NO_FOLD = 2, OPR_HYBRID_DEQUANT = 4, OPR_ARITH_REFERENCE = 8 };

struct opr_t opr_tensor(int type, int ndims, const int32_t *dims, const void *data, int is_const);
struct opr_t opr_f32(int ndims, const int32_t *dims, const float *data);
/* A quantised tensor (per tensor). */
struct opr_t opr_q(int type, int ndims, const int32_t *dims, const void *data, float scale,
                   int64_t zp);
size_t opr_count(const struct opr_t *t);
size_t opr_type_size(int type);

/* Runs the op. version: the operator_code version written (0: 1). On failure err holds the
 * interpreter's message. */
enum ecl_status opr_run_v(int builtin, int version, int opt_type, const struct tb_opt *opt,
                          int n_opt, struct opr_t *in, int n_in, struct opr_t *out, int n_out,
                          int flags, char *err, size_t errlen);
enum ecl_status opr_run(int builtin, int opt_type, const struct tb_opt *opt, int n_opt,
                        struct opr_t *in, int n_in, struct opr_t *out, int n_out, int flags,
                        char *err, size_t errlen);
void opr_free(struct opr_t *out, int n_out);

#endif

/* edgecl/model.h - TensorFlow Lite backbone: model view and interpreter.
 *
 * A .tflite file (FlatBuffers, schema v3) is read in place: ecl_model_parse() checks every
 * offset, vtable and vector length against the caller's buffer and keeps pointers into it (the
 * bytes stay the caller's and must outlive the model and any interpreter built from it).
 *
 * The interpreter computes ONE chosen tensor (the cut layer, e.g. "block_13_expand_relu") from
 * the model's input: only the operators the cut depends on run. All memory is one arena the
 * caller supplies; ecl_interp_mem_size() says how big it must be. Tensor lifetimes are planned
 * at init: every activation tensor lives from the op that writes it to the last op that reads
 * it, and tensors are placed greedily, largest first, at the lowest offset that does not
 * overlap a tensor alive at the same time. Nothing is allocated after init; run() does no I/O.
 *
 * Semantics: TFLite's (NHWC activations, see src/kernels/kernels.h for every kernel's formula
 * and the int8 rounding). int8 models: run() quantises the float input with the input
 * tensor's (scale, zero point) and dequantises the cut tensor, so the caller always sees floats.
 *
 *     void *buf; size_t len; ecl_port_read_file("mobilenet_v2.tflite", &buf, &len);
 *     struct ecl_model m; char err[160];
 *     if (ecl_model_parse(buf, len, &m, err, sizeof err)) { puts(err); return; }
 *     int32_t cut; ecl_model_find_tensor(&m, "block_13_expand_relu", &cut);   // -1: output
 *     struct ecl_interp_opts o = ecl_interp_default_opts();
 *     size_t need; ecl_interp_mem_size(&m, cut, &o, &need, err, sizeof err);
 *     void *arena = aligned_alloc(64, need);   // any 64-byte aligned memory
 *     struct ecl_interp *it; ecl_interp_init(&m, cut, &o, arena, need, &it, err, sizeof err);
 *     int32_t in_dims[4]; ecl_interp_input_dims(it, in_dims);      // N,H,W,C e.g. 1,224,224,3
 *     float *lat = malloc(ecl_interp_output_count(it) * sizeof(float));
 *     ecl_interp_run(it, rgb_over_255, lat);
 *
 * Limits: one subgraph input used, <= ECL_MODEL_MAX_TENSORS tensors and ECL_MODEL_MAX_OPS
 * operators, activation tensors of <= 4 dims. The planner's scratch is a thread-local static
 * (~92 KB), so mem_size/init are reentrant across threads without using the caller's stack.
 */
#ifndef EDGECL_MODEL_H
#define EDGECL_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ECL_MODEL_MAX_TENSORS 4096
#define ECL_MODEL_MAX_OPS 4096
#define ECL_MAX_DIMS 6
#define ECL_MAX_OP_INPUTS 16

#ifndef ECL_PARALLEL_FOR_DEFINED
#define ECL_PARALLEL_FOR_DEFINED /* same typedefs in src/kernels/kernels.h */
/* fn(ctx, begin, end) processes items [begin, end). A parallel_for must call fn on disjoint
 * ranges covering [0, n) and return when all are done. */
typedef void (*ecl_task_fn)(void *ctx, int begin, int end);
typedef void (*ecl_parallel_for_fn)(void *user, int n, ecl_task_fn fn, void *ctx);
#endif

/* TFLite TensorType values. */
enum ecl_dtype {
    ECL_DT_FLOAT32 = 0,
    ECL_DT_FLOAT16 = 1,
    ECL_DT_INT32 = 2,
    ECL_DT_UINT8 = 3,
    ECL_DT_INT64 = 4,
    ECL_DT_INT16 = 7,
    ECL_DT_INT8 = 9
};

/* A parsed model: a validated view of the caller's buffer. Fields are private. */
struct ecl_model {
    const uint8_t *buf;
    size_t len;
    uint32_t n_tensors, n_ops, n_opcodes, n_buffers;
    size_t tensors, ops, opcodes, buffers; /* positions of the vectors' first elements */
    size_t sg_inputs, sg_outputs;
    uint32_t n_sg_inputs, n_sg_outputs;
};

struct ecl_tensor_info {
    const char *name; /* NUL-terminated, points into the model buffer */
    int32_t type;     /* enum ecl_dtype */
    int32_t ndims;
    int32_t dims[ECL_MAX_DIMS];
    int is_const;       /* has data in the file (weights) */
    int32_t n_scales;   /* 0: not quantised, 1: per tensor, >1: per channel */
    float scale;        /* first scale */
    int32_t zero_point; /* first zero point */
    int32_t quant_dim;  /* quantized_dimension */
    int32_t producer;   /* index of the operator writing it, -1 if none */
};

struct ecl_op_info {
    int32_t builtin;  /* TFLite BuiltinOperator code (32 = CUSTOM) */
    const char *name; /* "CONV_2D", ...; custom ops: their custom_code */
    int32_t n_inputs, n_outputs;
    int32_t inputs[ECL_MAX_OP_INPUTS]; /* first ECL_MAX_OP_INPUTS; -1 = optional absent */
    int32_t outputs[4];
    int supported; /* 1 if the interpreter implements it */
};

/* Parse and validate. err (may be NULL) gets a one-line reason on failure. */
enum ecl_status ecl_model_parse(const void *buf, size_t len, struct ecl_model *m, char *err,
                                size_t errlen);
uint32_t ecl_model_n_tensors(const struct ecl_model *m);
uint32_t ecl_model_n_ops(const struct ecl_model *m);
enum ecl_status ecl_model_tensor_info(const struct ecl_model *m, int32_t index,
                                      struct ecl_tensor_info *ti);
enum ecl_status ecl_model_op_info(const struct ecl_model *m, int32_t index, struct ecl_op_info *oi);
/* ECL_ENOTFOUND if no tensor has that name. */
enum ecl_status ecl_model_find_tensor(const struct ecl_model *m, const char *name, int32_t *index);
int32_t ecl_model_input(const struct ecl_model *m);  /* first subgraph input, -1 if none */
int32_t ecl_model_output(const struct ecl_model *m); /* first subgraph output, -1 if none */
/* "CONV_2D", ... for a BuiltinOperator code; "UNKNOWN" if out of range (errors and `edgecl
 * inspect` then show the number: "unknown op 201"). */
const char *ecl_builtin_name(int32_t code);
/* 1 if the interpreter implements this builtin code. */
int ecl_builtin_supported(int32_t code);

struct ecl_interp_opts {
    int force_ref;                    /* 1: reference kernels only */
    ecl_parallel_for_fn parallel_for; /* NULL: single-threaded */
    void *pf_user;
    int n_threads; /* threads behind parallel_for (work-split hint) */
    int no_fold;   /* 1: run every PAD as written (default 0: a PAD read only by a VALID
                    * conv/depthwise conv is folded into that conv's padding; same results) */
};

struct ecl_interp_stats {
    size_t arena_used;       /* bytes of the arena the interpreter uses */
    size_t activation_bytes; /* planned activation area (after lifetime sharing) */
    size_t activation_sum;   /* sum of all activation tensors (no sharing) */
    size_t persistent_bytes; /* op/tensor records, requantisation tables, aligned copies */
    int32_t n_ops_run;       /* operators executed per run (those the cut depends on) */
    const char *kernels;     /* "ref", "avx2", ... */
};

struct ecl_interp;

struct ecl_interp_opts ecl_interp_default_opts(void);
/* cut: tensor index, -1 = the model output. */
enum ecl_status ecl_interp_mem_size(const struct ecl_model *m, int32_t cut,
                                    const struct ecl_interp_opts *o, size_t *bytes, char *err,
                                    size_t errlen);
/* arena: bytes long; it need not be aligned (the interpreter aligns inside it, the size from
 * mem_size includes the slack). */
enum ecl_status ecl_interp_init(const struct ecl_model *m, int32_t cut,
                                const struct ecl_interp_opts *o, void *arena, size_t bytes,
                                struct ecl_interp **out, char *err, size_t errlen);
/* input: ecl_interp_input_count() floats (NHWC); out: ecl_interp_output_count() floats. */
enum ecl_status ecl_interp_run(struct ecl_interp *it, const float *input, float *out);
size_t ecl_interp_input_count(const struct ecl_interp *it);
size_t ecl_interp_output_count(const struct ecl_interp *it);
/* Shapes right-aligned to 4 dims (missing leading dims = 1). */
void ecl_interp_input_dims(const struct ecl_interp *it, int32_t dims[4]);
void ecl_interp_output_dims(const struct ecl_interp *it, int32_t dims[4]);
int32_t ecl_interp_output_ndims(const struct ecl_interp *it);
void ecl_interp_get_stats(const struct ecl_interp *it, struct ecl_interp_stats *s);

#ifdef __cplusplus
}
#endif
#endif

/* edgecl/model.h - TensorFlow Lite models: model view and interpreter.
 *
 * A .tflite file (FlatBuffers, schema v3) is read in place: ecl_model_parse() checks every
 * offset, vtable and vector length against the caller's buffer and keeps pointers into it (the
 * bytes stay the caller's and must outlive the model and any interpreter built from it).
 *
 * The interpreter computes chosen tensors from the model's inputs: one cut tensor (e.g.
 * "block_13_expand_relu", the latent of a backbone) or all of the model's outputs (cut -1).
 * Only the operators those depend on run. All memory is one arena the caller supplies;
 * ecl_interp_mem_size() says how big it must be. Tensor lifetimes are planned at init: every
 * activation lives from the op that writes it to the last op that reads it, and tensors are
 * placed greedily, largest first, at the lowest offset that does not overlap a tensor alive at
 * the same time. Nothing is allocated after init; invoke() does no I/O.
 *
 * Types and quantisation are TFLite's (real = scale * (q - zero_point)): float32 models;
 * int8 models (per-channel weights, asymmetric activations); legacy uint8 models (held as int8
 * inside, bit-exact: see src/tflite/passes.c); float16 weights; dynamic-range ("hybrid") models
 * with int8 weights and float activations (computed as TFLite's hybrid kernels do, or with the
 * weights dequantized once: ecl_interp_opts.hybrid). Integer results follow TFLite's reference
 * kernels' fixed-point rounding (src/kernels/kernels.h). Ops: ecl_builtin_supported().
 *
 * Two ways to run it:
 *   - floats in, floats out: ecl_interp_run(it, in, out) quantises the float input 0 with the
 *     input's (scale, zero point) when the model takes integers, runs, and dequantises output 0;
 *   - raw tensors in the model's own types: ecl_interp_set_input(it, i, bytes, n) for each
 *     input (uint8 models take uint8 pixels), ecl_interp_invoke(it), ecl_interp_get_output().
 *     An input's memory may be reused once its last reader ran: set every input before each
 *     invoke.
 *
 *     void *buf; size_t len; ecl_port_read_file("mobilenet_v2.tflite", &buf, &len);
 *     struct ecl_model m; char err[160];
 *     if (ecl_model_parse(buf, len, &m, err, sizeof err)) { puts(err); return; }
 *     int32_t cut; ecl_model_find_tensor(&m, "block_13_expand_relu", &cut);   // -1: outputs
 *     struct ecl_interp_opts o = ecl_interp_default_opts();
 *     size_t need; ecl_interp_mem_size(&m, cut, &o, &need, err, sizeof err);
 *     void *arena = malloc(need);              // any memory; alignment is handled inside
 *     struct ecl_interp *it; ecl_interp_init(&m, cut, &o, arena, need, &it, err, sizeof err);
 *     int32_t in_dims[4]; ecl_interp_input_dims(it, in_dims);      // N,H,W,C e.g. 1,224,224,3
 *     float *lat = malloc(ecl_interp_output_count(it) * sizeof(float));
 *     ecl_interp_run(it, rgb_over_255, lat);
 *
 * Limits: one subgraph (ops that need others, IF/WHILE/CALL_ONCE, are refused by name),
 * <= ECL_MODEL_MAX_TENSORS tensors and ECL_MODEL_MAX_OPS operators, <= 64 inputs and outputs
 * per operator, <= ECL_MAX_DIMS dims. The planner's scratch is a thread-local static (~110 KB),
 * so mem_size/init are reentrant across threads without using the caller's stack.
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
int32_t ecl_model_n_inputs(const struct ecl_model *m);             /* the subgraph's inputs */
int32_t ecl_model_n_outputs(const struct ecl_model *m);            /* the subgraph's outputs */
int32_t ecl_model_input_at(const struct ecl_model *m, int32_t i);  /* tensor index, -1 if none */
int32_t ecl_model_output_at(const struct ecl_model *m, int32_t i); /* tensor index, -1 if none */
uint32_t ecl_model_n_ops(const struct ecl_model *m);
enum ecl_status ecl_model_tensor_info(const struct ecl_model *m, int32_t index,
                                      struct ecl_tensor_info *ti);
enum ecl_status ecl_model_op_info(const struct ecl_model *m, int32_t index, struct ecl_op_info *oi);
/* ECL_ENOTFOUND if no tensor has that name. */
enum ecl_status ecl_model_find_tensor(const struct ecl_model *m, const char *name, int32_t *index);
int32_t ecl_model_input(const struct ecl_model *m);  /* first subgraph input, -1 if none */
int32_t ecl_model_output(const struct ecl_model *m); /* first subgraph output, -1 if none */
/* The input normalisation of the model's TFLite metadata (NormalizationOptions of input 0:
 * real = (pixel - mean[c]) / std[c]). ECL_ENOTFOUND: the model has none. */
enum ecl_status ecl_model_input_norm(const struct ecl_model *m, float mean[3], float std[3]);
/* The embedding of a classifier: the input of its final classifier layer (FULLY_CONNECTED, or
 * a 1x1 CONV_2D over a 1x1 map), reached from output 0 through SOFTMAX, RESHAPE, SQUEEZE,
 * (DE)QUANTIZE. ECL_ENOTFOUND for a model without one (a backbone cut, a segmenter). */
enum ecl_status ecl_model_embedding(const struct ecl_model *m, int32_t *tensor);
/* "CONV_2D", ... for a BuiltinOperator code; "UNKNOWN" if out of range (errors and `edgecl
 * inspect` then show the number: "unknown op 201"). */
const char *ecl_builtin_name(int32_t code);
/* 1 if the interpreter implements this builtin code. */
int ecl_builtin_supported(int32_t code);

struct ecl_interp_opts {
    int force_ref;                    /* 1: reference kernels only */
    ecl_parallel_for_fn parallel_for; /* NULL: single-threaded */
    void *pf_user;
    int n_threads; /* threads behind parallel_for (work-split hint); 2 with a parallel_for
                    * also places the activations so that each core rewrites only memory it
                    * wrote itself (src/tflite/plan.c): the arena grows, up to 1.4x on the
                    * models measured; ecl_interp_mem_size() reports it */
    int no_fold;   /* 1: run every PAD as written (default 0: a PAD read only by a VALID
                    * conv/depthwise conv is folded into that conv's padding; same results) */
    int no_fuse;   /* 1: run every op as written (default 0: a large inverted-residual block,
                    * expand 1x1 -> depthwise -> project 1x1, runs band by band with the inner
                    * tensors in cache and no arena memory for them; same results) */
    int hybrid;    /* ECL_HYBRID_TFLITE (default) or ECL_HYBRID_DEQUANT, see below */
    int arith;     /* ECL_ARITH_RUNTIME (default) or ECL_ARITH_REFERENCE, see below */
};

/* Integer arithmetic of the ops where TFLite's runtime and its reference kernels differ:
 * ECL_ARITH_RUNTIME: as TFLite's interpreter runs a model (its optimised kernels): int8
 *   CONV_2D and FULLY_CONNECTED requantise with ruy's single rounding, (acc*m + 2^(k-1)) >> k;
 *   int8/uint8 MEAN over H,W with keep_dims is its optimised Mean (the sum of raw values
 *   requantised by s_in/(n*s_out) plus a rounded zero-point bias). Outputs identical to TFLite.
 * ECL_ARITH_REFERENCE: as TFLite's reference kernels (and TFLite Micro's): every requantisation
 *   rounds twice (SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT) and MEAN is
 *   QuantizedMeanOrSum. Results differ from ECL_ARITH_RUNTIME by 1 LSB on a few outputs per
 *   layer, which can add up over a network (docs/models.md).
 * Float CONV_2D on the reference kernels (force_ref) follows the same choice: RUNTIME sums in
 * the order of TFLite's runtime (Eigen's gemm), bit-identical to it on the measured models;
 * REFERENCE sums bias + terms in order. The optimised kernels keep their own order.
 *     struct ecl_interp_opts o = ecl_interp_default_opts();
 *     o.arith = ECL_ARITH_REFERENCE;      // e.g. to compare with a TFLite Micro target */
enum { ECL_ARITH_RUNTIME = 0, ECL_ARITH_REFERENCE = 1 };

/* Dynamic-range ("hybrid") ops: int8 constant weights, float activations.
 * ECL_HYBRID_TFLITE: as TFLite's hybrid kernels: the float input is quantised to int8 per batch
 *   at run time, dot products in int32, scaled back to float; the weights stay int8.
 * ECL_HYBRID_DEQUANT: the weights are dequantised once to float32 at init (4x their memory) and
 *   the op runs in float: closer to the float model, further from what TFLite computes. */
enum { ECL_HYBRID_TFLITE = 0, ECL_HYBRID_DEQUANT = 1 };

struct ecl_interp_stats {
    size_t arena_used;       /* bytes of the arena the interpreter uses */
    size_t activation_bytes; /* planned activation area (after lifetime sharing) */
    size_t activation_sum;   /* sum of all activation tensors (no sharing) */
    size_t persistent_bytes; /* op/tensor records, requantisation tables, aligned copies */
    int32_t n_ops_run;       /* operators executed per run (those the cut depends on) */
    int32_t n_fused;         /* inverted-residual blocks run fused (no_fuse, src/tflite/fuse.c) */
    const char *kernels;     /* "ref", "avx2", ... */
};

struct ecl_interp;

struct ecl_interp_opts ecl_interp_default_opts(void);
/* cut: tensor index, -1 = all of the model's outputs. */
enum ecl_status ecl_interp_mem_size(const struct ecl_model *m, int32_t cut,
                                    const struct ecl_interp_opts *o, size_t *bytes, char *err,
                                    size_t errlen);
/* arena: bytes long; it need not be aligned (the interpreter aligns inside it, the size from
 * mem_size includes the slack). */
enum ecl_status ecl_interp_init(const struct ecl_model *m, int32_t cut,
                                const struct ecl_interp_opts *o, void *arena, size_t bytes,
                                struct ecl_interp **out, char *err, size_t errlen);
/* input: ecl_interp_input_count() floats (NHWC) for input 0; out: ecl_interp_output_count()
 * floats of output 0. Other inputs keep what ecl_interp_set_input() gave them. */
enum ecl_status ecl_interp_run(struct ecl_interp *it, const float *input, float *out);

/* Inputs: the model's subgraph inputs. Outputs: the cut, or the model's outputs (cut -1). */
int32_t ecl_interp_n_inputs(const struct ecl_interp *it);
int32_t ecl_interp_n_outputs(const struct ecl_interp *it);
/* The tensor as declared in the file (a uint8 input is uint8). ECL_ENOTFOUND: i out of range. */
enum ecl_status ecl_interp_input_info(const struct ecl_interp *it, int32_t i,
                                      struct ecl_tensor_info *ti);
enum ecl_status ecl_interp_output_info(const struct ecl_interp *it, int32_t i,
                                       struct ecl_tensor_info *ti);
/* Raw values in the declared type; bytes must be element count * element size (ECL_EINVAL). */
enum ecl_status ecl_interp_set_input(struct ecl_interp *it, int32_t i, const void *data,
                                     size_t bytes);
enum ecl_status ecl_interp_get_output(const struct ecl_interp *it, int32_t i, void *data,
                                      size_t bytes);
/* Output i as n floats (dequantised / converted). */
enum ecl_status ecl_interp_get_output_f32(const struct ecl_interp *it, int32_t i, float *out,
                                          size_t n);
/* Runs the planned operators. On failure (a data-dependent error, e.g. a GATHER index out of
 * range) ecl_interp_error() says which op and why. */
enum ecl_status ecl_interp_invoke(struct ecl_interp *it);
const char *ecl_interp_error(const struct ecl_interp *it); /* "" after a success */
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

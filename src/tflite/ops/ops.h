/* src/tflite/ops/ops.h - helpers shared by the op files, and each op's per-op data (internal).
 *
 * Op files: conv.c (CONV_2D, DEPTHWISE_CONV_2D), fc.c (FULLY_CONNECTED, BATCH_MATMUL),
 * pool.c, binary.c (element-wise with broadcasting), unary.c (activations and math),
 * reduce.c (MEAN, SUM, REDUCE_*, ARG_*), softmax.c (SOFTMAX, LOG_SOFTMAX, L2_NORMALIZATION;
 * quantised LOG_SOFTMAX's fixed-point arithmetic in log_softmax_q.c),
 * shape.c (RESHAPE, SQUEEZE, EXPAND_DIMS, SHAPE, FILL), quantize.c (QUANTIZE, DEQUANTIZE,
 * CAST), resize.c. Data movement: pad.c (PAD, PADV2, MIRROR_PAD), concat.c (CONCATENATION),
 * transpose.c (TRANSPOSE), slice.c (SLICE, STRIDED_SLICE), split.c (SPLIT, SPLIT_V, UNPACK,
 * PACK), gather.c (GATHER), with nd.c (their shared N-D walk and prepare checks). The registry
 * (registry.c) has one row per op.
 */
#ifndef EDGECL_TFLITE_OPS_H
#define EDGECL_TFLITE_OPS_H

#include <math.h>
#include <string.h>
#include "tflite/op.h"

/* ---- shapes ---- */
static inline int ecl_same_dims(const struct ecl_tensor *a, const struct ecl_tensor *b) {
    if (a->ndims != b->ndims) return 0;
    for (int i = 0; i < a->ndims; i++)
        if (a->dims[i] != b->dims[i]) return 0;
    return 1;
}
/* Output size of a windowed op (conv / pool) along one axis and the padding before it;
 * 0 if the padding code is unknown or the output would be empty. */
int ecl_window_out(int32_t in, int32_t k, int32_t stride, int32_t dil, int padding, int32_t *out,
                   int32_t *pad_before);

/* N-D broadcasting (TFLite: dims right-aligned, a dim of 1 broadcasts), up to 6 dims.
 * After ecl_bcast_init(), element o of the output reads a at offset ecl_bcast_a(...) etc.
 * Strides are 0 along broadcast dims. */
struct ecl_bcast {
    int nd;
    int32_t od[ECL_MAX_DIMS];
    int64_t as[ECL_MAX_DIMS], bs[ECL_MAX_DIMS];
    int same; /* a, b and out have identical shapes: index = o */
    int a_scalar, b_scalar;
};
/* 0 if a and b do not broadcast to out's shape. */
int ecl_bcast_init(struct ecl_bcast *bc, const struct ecl_tensor *a, const struct ecl_tensor *b,
                   const struct ecl_tensor *out);
/* Walks the output in order; calls fn(ctx, o, ia, ib) per element (inner dim as a run). */
typedef void (*ecl_bcast_run_fn)(void *ctx, size_t o, int64_t ia, int64_t sa, int64_t ib,
                                 int64_t sb, size_t n);
void ecl_bcast_walk(const struct ecl_bcast *bc, ecl_bcast_run_fn fn, void *ctx);

/* ---- N-D data movement (nd.c) ---- */
/* Row-major strides of t in elements (the last is 1); returns the element count. */
int64_t ecl_tensor_strides(const struct ecl_tensor *t, int64_t s[ECL_MAX_DIMS]);
/* A strided walk: output element (i0..i{nd-1}), in row-major order, is input element
 * base + sum ik * stride[k] (strides in elements, negative ones walk backwards). */
struct ecl_nd_walk {
    int32_t nd;
    int32_t dims[ECL_MAX_DIMS];
    int64_t stride[ECL_MAX_DIMS];
    int64_t base;
};
/* Copies the walk's elements of es bytes from src to dst, dst in order. */
void ecl_nd_copy(const struct ecl_nd_walk *w, const void *src, void *dst, size_t es);
/* Reads the n values of a constant int32/int64 index input (a scalar or a vector) named name;
 * fails prepare by name if it is computed (TFLite would need dynamic shapes) or has another
 * length. In the sizing pass a folded constant has no data yet: v is all 0, see
 * ecl_prep_deferred(). */
enum ecl_status ecl_prep_ints(struct ecl_prep *p, const struct ecl_tensor *t, const char *name,
                              int64_t *v, int n);
/* 1: t's values come only in the real pass (a folded constant in the sizing pass); prepare
 * then sets p->eval and returns ECL_OK without checking what depends on them. */
int ecl_prep_deferred(const struct ecl_prep *p, const struct ecl_tensor *t);
/* Byte movers: equal types, and for int8 equal quantisation (values are not requantised). */
enum ecl_status ecl_prep_same_q(struct ecl_prep *p, const struct ecl_tensor *a,
                                const struct ecl_tensor *b);
/* axis (negative: from the end) within [0, rank): *out, or a prepare failure. */
enum ecl_status ecl_prep_axis(struct ecl_prep *p, int64_t axis, int rank, int32_t *out);
/* The output shape in the file must be dims: otherwise "output shape ... expected [..]". */
enum ecl_status ecl_prep_shape_is(struct ecl_prep *p, const struct ecl_tensor *out, int nd,
                                  const int32_t *dims);

/* ---- activations and quantisation ---- */
/* Fused activation range in float: 0 if the code is unsupported. */
int ecl_act_f32(int act, float *lo, float *hi);
/* The same range quantised with out's (scale, zp) within its type's range (TFLite's
 * CalculateActivationRangeQuantized). */
int ecl_act_q(int act, const struct ecl_tensor *out, int32_t *lo, int32_t *hi);
/* zp + round_half_away(x / scale), clamped to [qmin, qmax] (float division, as TFLite). */
int32_t ecl_quantize_value(float x, float scale, int32_t zp, int32_t qmin, int32_t qmax);
/* An int8 activation (lowered uint8 included) with a usable per-tensor scale and zero point. */
static inline int ecl_is_q8(const struct ecl_tensor *t) {
    return t->type == ECL_DT_INT8 && t->n_scales >= 1 && t->scale > 0 && t->zp >= -128 &&
           t->zp <= 127;
}
float ecl_half_to_float(uint16_t h);
/* int32 biases beyond +-2^30 clamped in an arena copy (int32 accumulation must not overflow). */
void ecl_clamp_bias(struct ecl_prep *p, struct ecl_tensor *b);
/* A fused activation or a TFLite activation op applied to float values in place. */
void ecl_clamp_f32(float *x, size_t n, float lo, float hi);

/* ---- per-op data ---- */
struct ecl_no_data {
    char unused;
};

struct ecl_conv_data {
    struct ecl_conv_params p;
    struct ecl_shape4 is, ws, os;
    int hybrid_per_channel;
    const float *w_scales; /* hybrid: per output channel filter scales */
    int asymmetric;        /* hybrid: asymmetric input quantisation */
};

struct ecl_fc_data {
    struct ecl_fc_params p;
    int32_t batch, in_dim, out_dim;
    const float *w_scales; /* hybrid */
    int asymmetric;
};

struct ecl_pool_data {
    struct ecl_pool_params p;
    struct ecl_shape4 is, os;
};

struct ecl_binary_data {
    struct ecl_binary_params p;
    struct ecl_bcast bc;
    struct ecl_shape4 as, bs, os;
    int fast4; /* the kernel table's 4-D broadcast kernels apply */
};

struct ecl_unary_data {
    const int8_t *lut;                                   /* int8 ops: 256-entry table */
    float alpha;                                         /* LEAKY_RELU */
    float lo, hi;                                        /* clamp activations */
    int32_t in_zp, out_zp, mult, shift, mult_a, shift_a; /* requantising int8 ops */
};

struct ecl_reduce_data {
    int32_t nd;
    int32_t dims[ECL_MAX_DIMS];
    uint32_t mask;  /* bit k: axis k reduced */
    unsigned mask4; /* the same over the right-aligned 4-D shape (MEAN kernels) */
    struct ecl_shape4 is;
    int32_t mult, shift, in_zp, out_zp;
    int32_t axis;
    int64_t count;
    int32_t bias, raw_off; /* MEAN over H,W kept: TFLite's optimised formulas (reduce.c) */
};

struct ecl_arg_data {
    int64_t outer, axis, inner;
};

/* Quantised LOG_SOFTMAX (log_softmax_q.c): TFLite's input multiplier (to Q5.26), its inverse
 * and the smallest difference to the row maximum that counts. */
struct ecl_log_softmax_q {
    int32_t mult, shift, rev_mult, rev_shift, diff_min;
};

struct ecl_softmax_data {
    int32_t outer, depth;
    float beta;
    const void *table;
    int32_t in_zp; /* L2_NORMALIZATION int8 */
    struct ecl_log_softmax_q lsq;
};
/* Fills q for an input scale and sets *eval; 0 if the scale is out of TFLite's range. */
int ecl_log_softmax_q_prepare(struct ecl_log_softmax_q *q, double in_scale, ecl_eval_fn *eval);

struct ecl_bmm_data {
    int32_t nb;               /* batch dims of the output (rank - 2) */
    int32_t od[ECL_MAX_DIMS]; /* output batch dims */
    int64_t ls[ECL_MAX_DIMS]; /* lhs matrix stride per batch dim, 0 where it broadcasts */
    int64_t rs[ECL_MAX_DIMS]; /* the same for rhs */
    int32_t m, k, n, adj_x, adj_y;
    int32_t lhs_zp, rhs_zp, out_zp, mult, shift;
};

struct ecl_move_data { /* PAD, PADV2 */
    int32_t axis, nd, n;
    int32_t pads[2 * ECL_MAX_DIMS];
    struct ecl_shape4 is;
    int32_t i32[3 * ECL_MAX_DIMS];
    int64_t outer, inner;
    int32_t mode;
};

struct ecl_mirror_data { /* MIRROR_PAD */
    int32_t nd, symmetric, es;
    int32_t in_dims[ECL_MAX_DIMS], out_dims[ECL_MAX_DIMS], before[ECL_MAX_DIMS];
};

struct ecl_concat_data {
    int32_t axis, requant;
    int64_t outer, inner;          /* inner in elements */
    int32_t out_zp, lo, hi, shift; /* requant: in the uint8 domain when shift is 128 */
    float scale[ECL_OP_MAX_IO], bias[ECL_OP_MAX_IO];
    uint8_t same[ECL_OP_MAX_IO]; /* input k is copied as is */
};

struct ecl_walk_data { /* TRANSPOSE, SLICE, STRIDED_SLICE */
    struct ecl_nd_walk w;
    int32_t es;
};

struct ecl_split_data {    /* SPLIT, SPLIT_V, UNPACK (pieces out), PACK (pieces in) */
    int64_t outer, inner;  /* inner in bytes */
    int32_t total, n, src; /* the whole tensor's size along the axis; pieces; its input */
    int32_t size[ECL_OP_MAX_IO];
};

struct ecl_gather_data {
    int64_t batch, outer, coord, inner; /* inner in bytes */
    int32_t axis_size;
};

struct ecl_quant_data {
    int32_t mult, shift, in_zp, out_zp;
    float scale;
    const float *table; /* per-channel DEQUANTIZE: scales, then int32 zero points */
    int64_t inner, nch;
};

struct ecl_cast_data {
    int8_t from, to; /* rows of quantize.c's CAST_IO table */
};

struct ecl_resize_data {
    int align_corners, half_pixel;
    struct ecl_shape4 is, os;
};

#endif

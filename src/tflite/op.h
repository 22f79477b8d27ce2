/* src/tflite/op.h - the operator contract (internal): what an op provides, what it is given.
 *
 * An operator is one row of the registry (src/tflite/ops/registry.h, the ECL_OP_TABLE X-macro)
 * and a prepare function in its group's file (src/tflite/ops/<group>.c). The row says how many
 * inputs and outputs the op takes, which inputs may be omitted, which element types input 0 may
 * have, which BuiltinOptions table it reads and how many bytes of per-op data it keeps. The
 * interpreter checks all of that before calling prepare, so prepare only checks what is
 * particular to the op. prepare is called once per operator at init, after the graph passes
 * (uint8 lowered to int8, constant DEQUANTIZE folded, PAD folded into convolutions); it
 *   - checks shapes, types and options (a hostile file must never make eval read or write
 *     outside a tensor: the output shapes in the file must equal what the op computes),
 *   - precomputes into p->data (requantisation multipliers, tables, loop bounds),
 *   - asks for persistent memory (ecl_prep_alloc) and per-run scratch (ecl_prep_scratch),
 *   - sets p->eval to the function that runs it for these types (eval never switches on type).
 * eval runs the op on the planned tensors; it may fail only for data-dependent reasons (an
 * index out of range), with a message.
 *
 *     static enum ecl_status neg_f32(const struct ecl_exec *x, const struct ecl_node *n) {
 *         const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
 *         const float *a = in->data; float *y = out->data;
 *         for (size_t i = 0; i < out->count; i++) y[i] = -a[i];
 *         return ECL_OK;
 *     }
 *     enum ecl_status ecl_prep_neg(struct ecl_prep *p) {
 *         if (!ecl_same_shape(p->in[0], p->out[0])) return ecl_prep_fail(p, ECL_EFORMAT, "...");
 *         p->eval = neg_f32;
 *         return ECL_OK;
 *     }
 *     // registry row:  X(NEG, 1, 1, 1, 1, 0, T_F32, NONE, 0, ecl_prep_neg)
 *
 * Memory: init runs twice, once to size the arena (ecl_interp_mem_size: no memory of its own,
 * ecl_prep_alloc returns NULL, p->data is a throw-away buffer, tensor data pointers are NULL)
 * and once for real. prepare must do the same allocations in both passes and must not
 * dereference data pointers of constants when ecl_prep_sizing(p) is 1.
 */
#ifndef EDGECL_TFLITE_OP_H
#define EDGECL_TFLITE_OP_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/model.h"
#include "kernels/kernels.h"
#include "tflite/builtins.h"
#include "tflite/tfl.h"

#define ECL_OP_MAX_IO 64     /* inputs, and outputs, per operator */
#define ECL_OP_MAX_DATA 1024 /* per-op data bytes */

/* A tensor as ops see it, after the graph passes. */
struct ecl_tensor {
    void *data; /* constants: file or arena; activations: planned arena slot */
    int32_t dims[ECL_MAX_DIMS];
    int32_t ndims;
    int32_t index; /* in the model */
    uint32_t count, bytes;
    float scale; /* first (or only) scale; 0 if not quantised */
    int32_t zp;  /* first zero point (after lowering: uint8 zp - 128) */
    int32_t n_scales, quant_dim;
    uint8_t type;      /* enum ecl_dtype as the kernels see it (never UINT8: lowered to INT8) */
    uint8_t file_type; /* as declared in the file */
    uint8_t is_const;
    uint8_t lowered; /* 1: a uint8 tensor held as int8 (value - 128) */
};

/* The dims right-aligned to 4 (N,H,W,C); a rank above 4 folds its leading dims into N. */
static inline struct ecl_shape4 ecl_tensor_shape4(const struct ecl_tensor *t) {
    int32_t d[4] = {1, 1, 1, 1};
    int64_t lead = 1;
    for (int i = 0; i < t->ndims; i++) {
        int j = 4 - t->ndims + i;
        if (j >= 0)
            d[j] = t->dims[i];
        else
            lead *= t->dims[i];
    }
    if (t->ndims > 4) {
        int64_t n = lead * d[0];
        d[0] = n > INT32_MAX ? INT32_MAX : (int32_t)n;
    }
    struct ecl_shape4 s = {d[0], d[1], d[2], d[3]};
    return s;
}

struct ecl_node;
struct ecl_exec;
typedef enum ecl_status (*ecl_eval_fn)(const struct ecl_exec *x, const struct ecl_node *n);

/* An operator instance, as run. */
struct ecl_node {
    ecl_eval_fn eval;
    void *data;  /* per-op data filled by prepare */
    int32_t *in; /* tensor indices; -1 = omitted optional input */
    int32_t *out;
    int16_t n_in, n_out;
    int32_t builtin, index; /* BuiltinOperator, position in the file */
};

/* What eval gets. */
struct ecl_exec {
    struct ecl_tensor *t;
    const struct ecl_kernels *k;
    const struct ecl_kctx *kc;
    struct msg *e; /* for a data-dependent failure; the interpreter prefixes the op's name */
};

static inline struct ecl_tensor *ecl_in(const struct ecl_exec *x, const struct ecl_node *n, int i) {
    return n->in[i] >= 0 ? &x->t[n->in[i]] : NULL;
}
static inline struct ecl_tensor *ecl_out(const struct ecl_exec *x, const struct ecl_node *n,
                                         int i) {
    return &x->t[n->out[i]];
}

struct ecl_build; /* the interpreter's init state (src/tflite/build.h) */

/* What prepare gets. */
struct ecl_prep {
    int32_t builtin, index;
    int n_in, n_out;
    struct ecl_tensor **in; /* in[k] == NULL: omitted optional input */
    struct ecl_tensor **out;
    void *data;       /* zeroed, the row's data bytes */
    ecl_eval_fn eval; /* prepare must set it */
    /* PAD folded into this CONV_2D / DEPTHWISE_CONV_2D (in[0] is then the PAD's input): the
     * margins top, bottom, left, right; all 0 otherwise. */
    int32_t fold[4];
    struct ecl_build *b;
    const struct tfl_op *op;
    int bad_opts; /* set by the option readers on a malformed field */
};

typedef enum ecl_status (*ecl_prepare_fn)(struct ecl_prep *p);

/* Element types, as bits of a registry row's type mask. */
#define T_F32 (1u << ECL_DT_FLOAT32)
#define T_F16 (1u << ECL_DT_FLOAT16)
#define T_I32 (1u << ECL_DT_INT32)
#define T_I64 (1u << ECL_DT_INT64)
#define T_I16 (1u << ECL_DT_INT16)
#define T_I8 (1u << ECL_DT_INT8)
#define T_BOOL (1u << 6)
#define T_ANY 0xffffffffu

/* One registry row (see src/tflite/ops/registry.h). */
struct ecl_op_reg {
    const char *name;
    int8_t min_in, max_in; /* max_in -1: up to ECL_OP_MAX_IO */
    int8_t min_out, max_out;
    uint32_t optional; /* bit k: input k may be omitted (-1) */
    uint32_t types;    /* accepted types of input 0 (after lowering) */
    uint8_t options;   /* BuiltinOptions union type read (ECL_BO_NONE: none) */
    uint16_t data_size;
    ecl_prepare_fn prepare;
};

/* The row for a builtin code; NULL if edgecl does not implement it. */
const struct ecl_op_reg *ecl_op_lookup(int32_t builtin);

/* ---- services for prepare (src/tflite/prep.c) ---- */
/* 1 in the sizing pass (no memory: allocations return NULL, constants have no data). */
int ecl_prep_sizing(const struct ecl_prep *p);
/* Persistent memory for the interpreter's lifetime, 64-byte aligned; NULL in the sizing pass. */
void *ecl_prep_alloc(struct ecl_prep *p, size_t bytes);
/* Scratch for one eval (shared by all ops; the kernels' kctx scratch). */
void ecl_prep_scratch(struct ecl_prep *p, size_t bytes);
const struct ecl_kernels *ecl_prep_kernels(const struct ecl_prep *p);
const struct ecl_interp_opts *ecl_prep_opts(const struct ecl_prep *p);
/* 1: this model's float convolutions must run the reference kernels (ecl_pass_hybrid). */
int ecl_prep_f32_exact(const struct ecl_prep *p);
/* What a convolution offers the fusion pass (src/tflite/fuse.c): a 1x1 stride-1 unpadded
 * CONV_2D that needs no per-call scratch (pointwise), or a DEPTHWISE_CONV_2D with multiplier 1,
 * no dilation, stride <= 2 and a filter <= 5 rows; float (optimised kernels) or int8. */
enum ecl_fuse_kind {
    ECL_FUSE_NONE = 0,
    ECL_FUSE_PW_F32,
    ECL_FUSE_DW_F32,
    ECL_FUSE_PW_I8,
    ECL_FUSE_DW_I8
};
void ecl_prep_fusable(struct ecl_prep *p, enum ecl_fuse_kind kind);
/* "<OP> at operator <i>: <what>", returns st. More text may follow via ecl_prep_msg(). */
enum ecl_status ecl_prep_fail(struct ecl_prep *p, enum ecl_status st, const char *what);
struct msg *ecl_prep_msg(struct ecl_prep *p);
/* Per-channel quantisation of a tensor: scale and zero point of channel i (i < n_scales). */
float ecl_prep_scale(const struct ecl_prep *p, const struct ecl_tensor *t, int32_t i);
int32_t ecl_prep_zp(const struct ecl_prep *p, const struct ecl_tensor *t, int32_t i);
/* Option fields of the row's options table (absent table or field: the default). A malformed
 * field sets p->bad_opts (the interpreter then reports "malformed options") and returns def. */
int32_t ecl_opt_i32(struct ecl_prep *p, uint32_t field, int32_t def);
uint8_t ecl_opt_u8(struct ecl_prep *p, uint32_t field, uint8_t def);
float ecl_opt_f32(struct ecl_prep *p, uint32_t field, float def);
/* An [int] field: copies up to max values into v, returns the count (-1 if longer than max). */
int ecl_opt_ivec(struct ecl_prep *p, uint32_t field, int32_t *v, int max);
/* Value of a constant integer tensor (int32 or int64) as int64; 0 if out of range. Only when
 * the data is there (not in the sizing pass for arena constants). */
int ecl_const_ints(const struct ecl_prep *p, const struct ecl_tensor *t, int64_t *v, int max);

#endif

/* src/tflite/build.h - the interpreter's init state, shared by its stages (internal):
 *
 *   graph.c   tensor records as ops see them (views: file record + graph-pass flags)
 *   passes.c  graph passes: uint8 lowering, constant DEQUANTIZE folding, PAD folding,
 *             hybrid weights dequantized once (when chosen)
 *   plan.c    which ops the outputs need, availability checks, lifetimes, arena offsets
 *   prep.c    the services prepare gets (op.h), calling prepare for each op
 *   interp.c  the public API: mem_size / init / set_input / invoke / get_output / run
 *
 * init runs build() twice: a sizing pass without memory (T, N NULL; the bump allocator only
 * counts) and the real pass; both make the same decisions and the same allocations, so the
 * size from the first is what the second uses.
 */
#ifndef EDGECL_TFLITE_BUILD_H
#define EDGECL_TFLITE_BUILD_H

#include "tflite/op.h"

#define ECL_ALIGN 64u
#define ECL_PLAN_SLOTS 256 /* two-thread placement: more tensors alive at once: greedy */

/* Bump allocation in the caller's arena; base NULL: count only. */
struct ecl_bump {
    uint8_t *base;
    size_t cap, used;
};
void *ecl_bump_alloc(struct ecl_bump *b, size_t size);

/* Per-tensor flags of the graph passes. */
enum {
    TF_LOWERED = 1,  /* uint8 held as int8 (value - 128), constants re-encoded once */
    TF_FOLDED = 2,   /* output of a constant op computed at init: a constant from then on */
    TF_HYBRID_DQ = 4 /* int8 weights of a hybrid op dequantized once to float32 */
};

/* Planning scratch (thread-local: mem_size needs no memory from the caller). */
struct ecl_plan {
    int16_t prod[ECL_MODEL_MAX_TENSORS]; /* run position of the producer, -1 none */
    int16_t first[ECL_MODEL_MAX_TENSORS], last[ECL_MODEL_MAX_TENSORS];
    uint32_t size[ECL_MODEL_MAX_TENSORS], off[ECL_MODEL_MAX_TENSORS];
    uint8_t need_t[ECL_MODEL_MAX_TENSORS];
    uint8_t avail[ECL_MODEL_MAX_TENSORS];
    uint8_t flag[ECL_MODEL_MAX_TENSORS]; /* TF_* */
    uint8_t is_out[ECL_MODEL_MAX_TENSORS];
    uint8_t need_op[ECL_MODEL_MAX_OPS];
    uint8_t cfold[ECL_MODEL_MAX_OPS]; /* constant op computed once at init */
    uint16_t fold[ECL_MODEL_MAX_OPS]; /* conv op -> 1 + index of the PAD folded into it */
    uint16_t order[ECL_MODEL_MAX_TENSORS];
    /* two-thread placement (plan.c): per slot, the largest tensor, then the slot's base; the
     * last run position of the tensor that holds it now */
    uint32_t slot_max[ECL_PLAN_SLOTS];
    int16_t slot_last[ECL_PLAN_SLOTS];
    uint8_t ckind[ECL_MODEL_MAX_OPS];     /* enum ecl_fuse_kind, set by prepare (fuse.c) */
    uint8_t nread[ECL_MODEL_MAX_TENSORS]; /* run ops reading the tensor (fuse.c), saturating */
    int32_t outs[ECL_OP_MAX_IO];          /* the requested outputs */
    /* sizing pass stand-ins */
    struct ecl_tensor slot[2 * ECL_OP_MAX_IO];
    struct ecl_tensor *slot_p[2 * ECL_OP_MAX_IO];
    _Alignas(16) uint8_t data[ECL_OP_MAX_DATA];
};

struct ecl_build {
    const struct ecl_model *m;
    struct ecl_interp_opts o;
    struct ecl_plan *pl;
    struct ecl_tensor *T; /* NULL in the sizing pass */
    struct ecl_bump bump;
    struct msg *e;
    struct ecl_kernels k;
    size_t scratch;
    int32_t n_inputs, n_outputs;
    int32_t *inputs, *outputs; /* graph inputs the outputs need; requested outputs */
    /* 1: float CONV_2D / DEPTHWISE_CONV_2D run the reference kernels, which sum in TFLite's
     * runtime order (ecl_pass_hybrid: a model with hybrid ops under TFLite's arithmetic) */
    int f32_exact;
};

/* graph.c */
/* The tensor as ops see it: the file record with the pass flags applied. data: the file's
 * bytes for file constants, NULL for activations and for arena-made constants. 0: bad record. */
int ecl_graph_view(const struct ecl_build *b, int32_t i, struct ecl_tensor *t);
/* Pointers to the op's tensors: T records (real pass) or fresh views in pl->slot (sizing).
 * in[k] NULL for an omitted input. Input 0 of a conv with a folded PAD is the PAD's input. */
int ecl_graph_op_tensors(struct ecl_build *b, int32_t op_index, const struct tfl_op *op,
                         struct ecl_tensor **in, struct ecl_tensor **out);
/* Input q of op i as the plan runs it (a conv with a folded PAD reads the PAD's input). */
int32_t ecl_graph_op_input(const struct ecl_build *b, int32_t i, const struct tfl_op *op,
                           uint32_t q);
/* "tensor 12 (name)" */
void ecl_graph_tensor_msg(struct msg *e, const struct ecl_model *m, int32_t t);

/* passes.c */
void ecl_pass_lower_u8(struct ecl_build *b);
int ecl_pass_const_op(const struct ecl_build *b, const struct tfl_op *op);
void ecl_pass_fold_pads(struct ecl_build *b);
void ecl_pass_hybrid(struct ecl_build *b);
/* Constants: place (aligned copies, lowered re-encodings, hybrid dequantization) and compute
 * the folded constant ops. */
enum ecl_status ecl_pass_constants(struct ecl_build *b);

/* plan.c */
enum ecl_status ecl_plan_need(struct ecl_build *b);
enum ecl_status ecl_plan_check(struct ecl_build *b, int32_t *n_run);
/* Activation sizes, lifetimes and offsets; returns the activation area size. */
enum ecl_status ecl_plan_arena(struct ecl_build *b, int32_t n_run, size_t *act_bytes,
                               size_t *act_sum);

/* fuse.c: expand 1x1 -> depthwise -> project 1x1 run band by band (after every op is
 * prepared, in both passes; before the arena is planned: the two inner tensors get none). */
/* Returns the number of blocks fused. */
int32_t ecl_pass_fuse(struct ecl_build *b, struct ecl_node *N, int32_t n_run);

/* prep.c */
/* Prepares op i (its registry row known to exist) into node nd (NULL in the sizing pass). */
enum ecl_status ecl_prep_op(struct ecl_build *b, int32_t i, struct ecl_node *nd);
/* Prepares and runs a constant op (pl->cfold) at init. */
enum ecl_status ecl_prep_fold(struct ecl_build *b, int32_t i);

#endif

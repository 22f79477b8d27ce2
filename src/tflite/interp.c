/* The interpreter's public API (include/edgecl/model.h): init in stages (build.h), then run
 * the prepared operators in order with the kernel table chosen once at init.
 *
 * Memory: the arena holds, in order, the interpreter record, the tensor records, the operator
 * records and their data (requantisation tables, LUTs, re-encoded or dequantised constants,
 * folded constants), then the shared activation area, then the kernels' scratch. init() first
 * runs the sizing pass itself, so a too small arena is refused before anything is written. */
#include <math.h>
#include <string.h>
#include "tflite/build.h"
#include "tflite/ops/ops.h"

struct ecl_interp {
    struct ecl_kernels k;
    struct ecl_kctx kc;
    struct ecl_tensor *t;
    uint32_t n_t;
    struct ecl_node *nodes;
    uint32_t n_nodes;
    int32_t n_in, n_out;
    int32_t *inputs, *outputs;
    const struct ecl_model *m;
    struct ecl_interp_stats st;
    char err[200], why[160];
};

void *ecl_bump_alloc(struct ecl_bump *b, size_t size) {
    size_t off = (b->used + (ECL_ALIGN - 1)) & ~(size_t)(ECL_ALIGN - 1);
    /* 1 TiB on 64-bit, 1 GiB on 32-bit targets (a shift by 40 of a 32-bit size_t is undefined:
     * GCC made it 0 on Cortex-M, so every arena measured (size_t)-1 / 2 bytes) */
    const size_t max_size = (size_t)1 << (sizeof(size_t) > 4 ? 40 : 30);
    if (size > max_size || off + size < off) {
        b->used = (size_t)-1 / 2;
        return NULL;
    }
    b->used = off + size;
    if (!b->base || b->used > b->cap) return NULL;
    return b->base + off;
}

#define FAIL(st, text)                                                                             \
    do {                                                                                           \
        ecl_msg_str(e, text);                                                                      \
        return st;                                                                                 \
    } while (0)

/* The requested outputs: the cut, or every subgraph output. */
static enum ecl_status pick_outputs(struct ecl_build *b, int32_t cut, int32_t *outs) {
    struct msg *e = b->e;
    const struct ecl_model *m = b->m;
    b->n_outputs = 0;
    if (cut >= 0) {
        if ((uint32_t)cut >= m->n_tensors) FAIL(ECL_ENOTFOUND, "cut tensor out of range");
        outs[b->n_outputs++] = cut;
    } else {
        int32_t n = ecl_model_n_outputs(m);
        if (n < 1) FAIL(ECL_EFORMAT, "model has no output tensor");
        if (n > ECL_OP_MAX_IO) FAIL(ECL_EUNSUPPORTED, "model has more than 64 outputs");
        for (int32_t k = 0; k < n; k++)
            outs[b->n_outputs++] = ecl_model_output_at(m, k);
    }
    for (int32_t k = 0; k < b->n_outputs; k++) {
        struct tfl_tensor tt;
        if (!ecl_tfl_read_tensor(m, outs[k], &tt)) FAIL(ECL_EFORMAT, "malformed output tensor");
        /* A constant (weights, biases, shape vectors) is not a layer's output: "running" to it
         * would just hand back file data as if it were the image's features. */
        if (tt.info.is_const) {
            ecl_msg_str(e, cut >= 0 ? "cut tensor '" : "output tensor '");
            if (tt.info.name[0])
                ecl_msg_str(e, tt.info.name);
            else
                ecl_msg_int(e, outs[k]);
            ecl_msg_str(e, "' is a constant, not an activation");
            return ECL_EINVAL;
        }
    }
    b->outputs = outs;
    return ECL_OK;
}

static int io_type_ok(int32_t type) {
    return type == ECL_DT_FLOAT32 || type == ECL_DT_INT8 || type == ECL_DT_UINT8 ||
           type == ECL_DT_INT32 || type == ECL_DT_INT64 || type == ECL_DT_INT16 ||
           type == ECL_DT_FLOAT16 || type == 6 /* bool */;
}

static enum ecl_status build(const struct ecl_model *m, int32_t cut,
                             const struct ecl_interp_opts *o, void *arena, size_t bytes,
                             struct ecl_interp **out, size_t *need, struct msg *e) {
    /* ~110 KB: too big for small thread stacks. Bare-metal targets (no TLS runtime, one thread)
     * build with -DECL_NO_TLS and get a plain static; planning is then not reentrant. */
#ifdef ECL_NO_TLS
    static struct ecl_plan plan_storage;
#else
    static _Thread_local struct ecl_plan plan_storage;
#endif
    struct ecl_plan *pl = &plan_storage;
    memset(pl, 0, sizeof *pl);
    for (int k = 0; k < 2 * ECL_OP_MAX_IO; k++)
        pl->slot_p[k] = NULL;
    struct ecl_build b;
    memset(&b, 0, sizeof b);
    b.m = m;
    b.o = o ? *o : ecl_interp_default_opts();
    b.pl = pl;
    b.e = e;
    b.k = b.o.force_ref ? ecl_kernels_ref() : ecl_kernels_best();
    if (arena) {
        uintptr_t a = ((uintptr_t)arena + ECL_ALIGN - 1) & ~(uintptr_t)(ECL_ALIGN - 1);
        size_t skip = (size_t)(a - (uintptr_t)arena);
        b.bump.base = (uint8_t *)a;
        b.bump.cap = bytes > skip ? bytes - skip : 0;
    }
    if (ecl_model_n_inputs(m) > ECL_OP_MAX_IO) FAIL(ECL_EUNSUPPORTED, "more than 64 inputs");
    struct ecl_interp *it = ecl_bump_alloc(&b.bump, sizeof *it);
    enum ecl_status st = pick_outputs(&b, cut, pl->outs);
    if (st != ECL_OK) return st;

    /* passes and checks */
    ecl_pass_lower_u8(&b);
    if ((st = ecl_plan_need(&b)) != ECL_OK) FAIL(st, "malformed operator");
    if (!b.o.no_fold) ecl_pass_fold_pads(&b);
    ecl_pass_hybrid(&b);
    int32_t n_run = 0;
    if ((st = ecl_plan_check(&b, &n_run)) != ECL_OK) return st;

    /* records */
    uint32_t nt = m->n_tensors;
    struct ecl_tensor *T = ecl_bump_alloc(&b.bump, (size_t)nt * sizeof *T);
    int32_t *io = ecl_bump_alloc(&b.bump, (size_t)(ECL_OP_MAX_IO + b.n_outputs) * 4);
    struct ecl_node *N = ecl_bump_alloc(&b.bump, (size_t)(n_run ? n_run : 1) * sizeof *N);
    if (arena && (!it || !T || !io || !N)) FAIL(ECL_ENOMEM, "arena too small");
    if (arena) {
        for (uint32_t i = 0; i < nt; i++)
            if (!ecl_graph_view(&b, (int32_t)i, &T[i])) FAIL(ECL_EFORMAT, "malformed tensor");
        b.T = T;
    }
    if ((st = ecl_pass_constants(&b)) != ECL_OK) return st;
    int32_t r = 0;
    for (uint32_t i = 0; i < m->n_ops; i++) {
        if (!pl->need_op[i]) continue;
        if ((st = ecl_prep_op(&b, (int32_t)i, arena ? &N[r] : NULL)) != ECL_OK) return st;
        r++;
    }
    int32_t n_fused = b.o.no_fuse ? 0 : ecl_pass_fuse(&b, arena ? N : NULL, n_run);
    size_t persistent = b.bump.used;

    /* activations and scratch */
    size_t act_bytes = 0, act_sum = 0;
    if ((st = ecl_plan_arena(&b, n_run, &act_bytes, &act_sum)) != ECL_OK) return st;
    uint8_t *act = ecl_bump_alloc(&b.bump, act_bytes);
    void *scratch = b.scratch ? ecl_bump_alloc(&b.bump, b.scratch) : NULL;
    size_t total = b.bump.used + ECL_ALIGN; /* + slack for aligning an unaligned arena */
    if (need) *need = total;
    if (!arena) return ECL_OK;
    if (b.bump.used > b.bump.cap) {
        ecl_msg_str(e, "arena too small: need ");
        ecl_msg_int(e, (int64_t)total);
        ecl_msg_str(e, " bytes");
        return ECL_ENOMEM;
    }
    for (uint32_t i = 0; i < nt; i++)
        if (pl->size[i]) T[i].data = act + pl->off[i];

    memset(it, 0, sizeof *it);
    it->k = b.k;
    it->kc.parallel_for = b.o.parallel_for;
    it->kc.pf_user = b.o.pf_user;
    it->kc.n_threads = b.o.n_threads > 0 ? b.o.n_threads : 1;
    it->kc.scratch = scratch;
    it->kc.scratch_bytes = b.scratch;
    it->t = T;
    it->n_t = nt;
    it->nodes = N;
    it->n_nodes = (uint32_t)n_run;
    it->m = m;
    it->n_in = ecl_model_n_inputs(m);
    it->inputs = io;
    it->n_out = b.n_outputs;
    it->outputs = io + ECL_OP_MAX_IO;
    for (int32_t k = 0; k < it->n_in; k++)
        it->inputs[k] = ecl_model_input_at(m, k);
    for (int32_t k = 0; k < it->n_out; k++)
        it->outputs[k] = b.outputs[k];
    it->st.arena_used = b.bump.used + (size_t)(b.bump.base - (uint8_t *)arena);
    it->st.activation_bytes = act_bytes;
    it->st.activation_sum = act_sum;
    it->st.persistent_bytes = persistent;
    it->st.n_ops_run = n_run;
    it->st.n_fused = n_fused;
    it->st.kernels = b.k.name;
    for (int32_t k = 0; k < it->n_in; k++)
        if (!io_type_ok(T[it->inputs[k]].file_type))
            FAIL(ECL_EUNSUPPORTED, "input type unsupported");
    for (int32_t k = 0; k < it->n_out; k++)
        if (!io_type_ok(T[it->outputs[k]].file_type))
            FAIL(ECL_EUNSUPPORTED, "output type unsupported");
    *out = it;
    return ECL_OK;
}

struct ecl_interp_opts ecl_interp_default_opts(void) {
    struct ecl_interp_opts o;
    memset(&o, 0, sizeof o);
    o.n_threads = 1;
    o.hybrid = ECL_HYBRID_TFLITE;
    o.arith = ECL_ARITH_RUNTIME;
    return o;
}

enum ecl_status ecl_interp_mem_size(const struct ecl_model *m, int32_t cut,
                                    const struct ecl_interp_opts *o, size_t *bytes, char *err,
                                    size_t errlen) {
    struct msg em, *e = &em;
    ecl_msg_init(e, err, errlen);
    if (!bytes) return ECL_EINVAL;
    if (!m || !m->buf) FAIL(ECL_EINVAL, "no model");
    return build(m, cut, o, NULL, 0, NULL, bytes, e);
}

enum ecl_status ecl_interp_init(const struct ecl_model *m, int32_t cut,
                                const struct ecl_interp_opts *o, void *arena, size_t bytes,
                                struct ecl_interp **out, char *err, size_t errlen) {
    struct msg em, *e = &em;
    ecl_msg_init(e, err, errlen);
    if (!arena || !out) FAIL(ECL_EINVAL, "NULL arena or output pointer");
    if (!m || !m->buf) FAIL(ECL_EINVAL, "no model");
    size_t need;
    enum ecl_status st = build(m, cut, o, NULL, 0, NULL, &need, e);
    if (st != ECL_OK) return st;
    if (bytes < need) {
        ecl_msg_str(e, "arena too small: need ");
        ecl_msg_int(e, (int64_t)need);
        ecl_msg_str(e, " bytes");
        return ECL_ENOMEM;
    }
    return build(m, cut, o, arena, bytes, out, NULL, e);
}

/* ------------------------------------------------------------------ run */
enum ecl_status ecl_interp_invoke(struct ecl_interp *it) {
    if (!it) return ECL_EINVAL;
    struct msg why;
    ecl_msg_init(&why, it->why, sizeof it->why);
    struct ecl_exec x = {it->t, &it->k, &it->kc, &why};
    it->err[0] = 0;
    for (uint32_t i = 0; i < it->n_nodes; i++) {
        const struct ecl_node *nd = &it->nodes[i];
        enum ecl_status st = nd->eval(&x, nd);
        if (st != ECL_OK) {
            struct msg e;
            ecl_msg_init(&e, it->err, sizeof it->err);
            ecl_msg_op_name(&e, nd->builtin, NULL);
            ecl_msg_str(&e, " at operator ");
            ecl_msg_int(&e, nd->index);
            ecl_msg_str(&e, ": ");
            ecl_msg_str(&e, it->why[0] ? it->why : ecl_status_str(st));
            return st;
        }
    }
    return ECL_OK;
}

const char *ecl_interp_error(const struct ecl_interp *it) {
    return it ? it->err : "";
}

static const struct ecl_tensor *io_tensor(const struct ecl_interp *it, int out, int32_t i) {
    if (!it || i < 0 || i >= (out ? it->n_out : it->n_in)) return NULL;
    return &it->t[out ? it->outputs[i] : it->inputs[i]];
}

static size_t declared_bytes(const struct ecl_tensor *t) {
    return (size_t)t->count * ecl_tfl_dtype_size(t->file_type);
}

enum ecl_status ecl_interp_set_input(struct ecl_interp *it, int32_t i, const void *data,
                                     size_t bytes) {
    const struct ecl_tensor *t = io_tensor(it, 0, i);
    if (!t) return ECL_ENOTFOUND;
    if (!data || bytes != declared_bytes(t)) return ECL_EINVAL;
    if (!t->data) return ECL_OK; /* not read by anything the outputs need */
    if (t->lowered) {
        const uint8_t *s = data;
        uint8_t *d = t->data;
        for (size_t k = 0; k < bytes; k++)
            d[k] = s[k] ^ 0x80u;
    } else {
        memcpy(t->data, data, bytes);
    }
    return ECL_OK;
}

enum ecl_status ecl_interp_get_output(const struct ecl_interp *it, int32_t i, void *data,
                                      size_t bytes) {
    const struct ecl_tensor *t = io_tensor(it, 1, i);
    if (!t) return ECL_ENOTFOUND;
    if (!data || bytes != declared_bytes(t)) return ECL_EINVAL;
    if (t->lowered) {
        const uint8_t *s = t->data;
        uint8_t *d = data;
        for (size_t k = 0; k < bytes; k++)
            d[k] = s[k] ^ 0x80u;
    } else {
        memcpy(data, t->data, bytes);
    }
    return ECL_OK;
}

enum ecl_status ecl_interp_get_output_f32(const struct ecl_interp *it, int32_t i, float *out,
                                          size_t n) {
    const struct ecl_tensor *t = io_tensor(it, 1, i);
    if (!t) return ECL_ENOTFOUND;
    if (!out || n != t->count) return ECL_EINVAL;
    float s = t->scale > 0 ? t->scale : 1.0f;
    for (size_t k = 0; k < n; k++) {
        const uint8_t *p = (const uint8_t *)t->data;
        switch (t->type) {
        case ECL_DT_FLOAT32:
            memcpy(&out[k], p + 4 * k, 4);
            break;
        case ECL_DT_INT8:
            out[k] = s * (float)((int32_t)(int8_t)p[k] - t->zp);
            break;
        case ECL_DT_INT16: {
            int16_t v;
            memcpy(&v, p + 2 * k, 2);
            out[k] = s * (float)((int32_t)v - t->zp);
            break;
        }
        case ECL_DT_INT32: {
            int32_t v;
            memcpy(&v, p + 4 * k, 4);
            out[k] = (float)v;
            break;
        }
        case ECL_DT_INT64: {
            int64_t v;
            memcpy(&v, p + 8 * k, 8);
            out[k] = (float)v;
            break;
        }
        case ECL_DT_FLOAT16: {
            uint16_t h;
            memcpy(&h, p + 2 * k, 2);
            out[k] = ecl_half_to_float(h);
            break;
        }
        default: /* bool */
            out[k] = p[k] ? 1.0f : 0.0f;
        }
    }
    return ECL_OK;
}

struct copy_job {
    float *dst;
    const float *src;
    size_t n, len;
};

static void copy_task(void *ctx, int begin, int end) {
    const struct copy_job *j = ctx;
    size_t b = (size_t)begin * j->len, e = (size_t)end * j->len;
    if (e > j->n) e = j->n;
    memcpy(j->dst + b, j->src + b, (e - b) * sizeof(float));
}

enum ecl_status ecl_interp_run(struct ecl_interp *it, const float *input, float *out) {
    if (!it || !input || !out || it->n_in < 1 || it->n_out < 1) return ECL_EINVAL;
    const struct ecl_tensor *in = &it->t[it->inputs[0]];
    if (in->data) {
        if (in->type == ECL_DT_FLOAT32) { /* split like the ops: a 224x224x3 image is 600 KB */
            struct copy_job j = {in->data, input, in->count,
                                 ecl_split_elem_len(&it->kc, in->count)};
            int items = ecl_split_elem_items(j.n, j.len);
            if (items < 0)
                memcpy(in->data, input, (size_t)in->count * sizeof(float));
            else
                ecl_kctx_run(&it->kc, items, copy_task, &j);
        } else if (in->type == ECL_DT_INT8) {
            it->k.quantize_f32_i8(&it->kc, input, in->data, in->count,
                                  in->scale > 0 ? in->scale : 1.0f, in->zp);
        } else {
            return ECL_EUNSUPPORTED;
        }
    }
    enum ecl_status st = ecl_interp_invoke(it);
    if (st != ECL_OK) return st;
    return ecl_interp_get_output_f32(it, 0, out, it->t[it->outputs[0]].count);
}

/* ------------------------------------------------------------------ shapes and info */
static void dims4(const struct ecl_tensor *t, int32_t d[4]) {
    struct ecl_shape4 s = ecl_tensor_shape4(t);
    d[0] = s.n;
    d[1] = s.h;
    d[2] = s.w;
    d[3] = s.c;
}

size_t ecl_interp_input_count(const struct ecl_interp *it) {
    return it->n_in ? it->t[it->inputs[0]].count : 0;
}

size_t ecl_interp_output_count(const struct ecl_interp *it) {
    return it->t[it->outputs[0]].count;
}

void ecl_interp_input_dims(const struct ecl_interp *it, int32_t dims[4]) {
    dims4(&it->t[it->inputs[0]], dims);
}

void ecl_interp_output_dims(const struct ecl_interp *it, int32_t dims[4]) {
    dims4(&it->t[it->outputs[0]], dims);
}

int32_t ecl_interp_output_ndims(const struct ecl_interp *it) {
    return it->t[it->outputs[0]].ndims;
}

int32_t ecl_interp_n_inputs(const struct ecl_interp *it) {
    return it ? it->n_in : 0;
}

int32_t ecl_interp_n_outputs(const struct ecl_interp *it) {
    return it ? it->n_out : 0;
}

static enum ecl_status info(const struct ecl_interp *it, int out, int32_t i,
                            struct ecl_tensor_info *ti) {
    const struct ecl_tensor *t = io_tensor(it, out, i);
    if (!t || !ti) return t ? ECL_EINVAL : ECL_ENOTFOUND;
    return ecl_model_tensor_info(it->m, t->index, ti);
}

enum ecl_status ecl_interp_input_info(const struct ecl_interp *it, int32_t i,
                                      struct ecl_tensor_info *ti) {
    return info(it, 0, i, ti);
}

enum ecl_status ecl_interp_output_info(const struct ecl_interp *it, int32_t i,
                                       struct ecl_tensor_info *ti) {
    return info(it, 1, i, ti);
}

void ecl_interp_get_stats(const struct ecl_interp *it, struct ecl_interp_stats *s) {
    *s = it->st;
}

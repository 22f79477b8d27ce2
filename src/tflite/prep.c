/* Calling an op's prepare, and the services it gets (src/tflite/op.h). The registry row's
 * generic checks (input/output counts, omitted inputs, the type of input 0, the options table's
 * type) are made here, once for every op, so an op's prepare only checks what is its own. */
#include <string.h>
#include "tflite/build.h"

/* ------------------------------------------------------------------ services */
int ecl_prep_sizing(const struct ecl_prep *p) {
    return p->b->T == NULL;
}

void *ecl_prep_alloc(struct ecl_prep *p, size_t bytes) {
    void *r = ecl_bump_alloc(&p->b->bump, bytes);
    if (r) memset(r, 0, bytes);
    return r;
}

void ecl_prep_scratch(struct ecl_prep *p, size_t bytes) {
    if (bytes > p->b->scratch) p->b->scratch = bytes;
}

void ecl_prep_fusable(struct ecl_prep *p, enum ecl_fuse_kind kind) {
    p->b->pl->ckind[p->index] = (uint8_t)kind;
}

const struct ecl_kernels *ecl_prep_kernels(const struct ecl_prep *p) {
    return &p->b->k;
}

const struct ecl_interp_opts *ecl_prep_opts(const struct ecl_prep *p) {
    return &p->b->o;
}

int ecl_prep_f32_exact(const struct ecl_prep *p) {
    return p->b->f32_exact;
}

struct msg *ecl_prep_msg(struct ecl_prep *p) {
    return p->b->e;
}

enum ecl_status ecl_prep_fail(struct ecl_prep *p, enum ecl_status st, const char *what) {
    struct msg *e = p->b->e;
    ecl_msg_op_name(e, p->builtin, p->op ? p->op->custom : NULL);
    ecl_msg_str(e, " at operator ");
    ecl_msg_int(e, p->index);
    ecl_msg_str(e, ": ");
    ecl_msg_str(e, what);
    return st;
}

float ecl_prep_scale(const struct ecl_prep *p, const struct ecl_tensor *t, int32_t i) {
    struct tfl_tensor r;
    struct fb_buf fb = {p->b->m->buf, p->b->m->len};
    if (!ecl_tfl_read_tensor(p->b->m, t->index, &r) || r.scales.len == 0) return 0.0f;
    return fb_vec_f32(&fb, &r.scales, r.scales.len > 1 ? (uint32_t)i : 0);
}

int32_t ecl_prep_zp(const struct ecl_prep *p, const struct ecl_tensor *t, int32_t i) {
    struct tfl_tensor r;
    struct fb_buf fb = {p->b->m->buf, p->b->m->len};
    if (!ecl_tfl_read_tensor(p->b->m, t->index, &r) || r.zps.len == 0) return 0;
    int32_t z = (int32_t)fb_vec_i64(&fb, &r.zps, r.zps.len > 1 ? (uint32_t)i : 0);
    return t->lowered ? z - 128 : z;
}

static int opt_table(const struct ecl_prep *p, struct fb_buf *fb) {
    fb->p = p->b->m->buf;
    fb->n = p->b->m->len;
    return p->op && p->op->has_opts;
}

int32_t ecl_opt_i32(struct ecl_prep *p, uint32_t field, int32_t def) {
    struct fb_buf fb;
    int32_t v = def;
    if (opt_table(p, &fb) && !fb_i32(&fb, &p->op->opts, field, def, &v)) p->bad_opts = 1;
    return v;
}

uint8_t ecl_opt_u8(struct ecl_prep *p, uint32_t field, uint8_t def) {
    struct fb_buf fb;
    uint8_t v = def;
    if (opt_table(p, &fb) && !fb_u8(&fb, &p->op->opts, field, def, &v)) p->bad_opts = 1;
    return v;
}

float ecl_opt_f32(struct ecl_prep *p, uint32_t field, float def) {
    struct fb_buf fb;
    float v = def;
    if (opt_table(p, &fb) && !fb_f32(&fb, &p->op->opts, field, def, &v)) p->bad_opts = 1;
    return v;
}

int ecl_opt_ivec(struct ecl_prep *p, uint32_t field, int32_t *v, int max) {
    struct fb_buf fb;
    struct fb_vec vec;
    if (!opt_table(p, &fb)) return 0;
    int r = fb_vector(&fb, &p->op->opts, field, 4, &vec);
    if (r < 0) {
        p->bad_opts = 1;
        return 0;
    }
    if (vec.len > (uint32_t)max) return -1;
    for (uint32_t k = 0; k < vec.len; k++)
        v[k] = fb_vec_i32(&fb, &vec, k);
    return (int)vec.len;
}

int ecl_const_ints(const struct ecl_prep *p, const struct ecl_tensor *t, int64_t *v, int max) {
    if (!t || !t->is_const || !t->data || t->count > (uint32_t)max) return -1;
    for (uint32_t k = 0; k < t->count; k++) {
        if (t->type == ECL_DT_INT32) {
            int32_t x;
            memcpy(&x, (const uint8_t *)t->data + 4 * (size_t)k, 4);
            v[k] = x;
        } else if (t->type == ECL_DT_INT64) {
            memcpy(&v[k], (const uint8_t *)t->data + 8 * (size_t)k, 8);
        } else {
            return -1;
        }
    }
    return (int)t->count;
}

/* ------------------------------------------------------------------ prepare */
static enum ecl_status generic_checks(struct ecl_prep *p, const struct ecl_op_reg *r) {
    struct msg *e = p->b->e;
    int max_in = r->max_in < 0 ? ECL_OP_MAX_IO : r->max_in;
    int max_out = r->max_out < 0 ? ECL_OP_MAX_IO : r->max_out;
    if (p->n_in < r->min_in || p->n_in > max_in || p->n_out < r->min_out || p->n_out > max_out) {
        ecl_prep_fail(p, ECL_EFORMAT, "has ");
        ecl_msg_int(e, p->n_in);
        ecl_msg_str(e, " inputs and ");
        ecl_msg_int(e, p->n_out);
        ecl_msg_str(e, " outputs (expected ");
        ecl_msg_int(e, r->min_in);
        if (max_in != r->min_in) {
            ecl_msg_str(e, "..");
            ecl_msg_int(e, max_in);
        }
        ecl_msg_str(e, " and ");
        ecl_msg_int(e, r->min_out);
        if (max_out != r->min_out) {
            ecl_msg_str(e, "..");
            ecl_msg_int(e, max_out);
        }
        ecl_msg_str(e, ")");
        return ECL_EFORMAT;
    }
    for (int k = 0; k < p->n_in; k++)
        if (!p->in[k] && !(k < 32 && (r->optional >> k) & 1)) {
            ecl_prep_fail(p, ECL_EFORMAT, "required input ");
            ecl_msg_int(e, k);
            ecl_msg_str(e, " is missing (tensor index -1)");
            return ECL_EFORMAT;
        }
    if (p->n_in && p->in[0] && !((r->types >> p->in[0]->type) & 1)) {
        const struct ecl_dtype_traits *tr = ecl_dtype_traits(p->in[0]->file_type);
        ecl_prep_fail(p, ECL_EUNSUPPORTED, "input type ");
        ecl_msg_str(e, tr ? tr->name : "?");
        ecl_msg_str(e, " is not supported");
        return ECL_EUNSUPPORTED;
    }
    if (p->op && p->op->has_opts && r->options != ECL_BO_NONE && p->op->opt_type != r->options)
        return ecl_prep_fail(p, ECL_EFORMAT, "options of the wrong type");
    return ECL_OK;
}

static enum ecl_status run_prepare(struct ecl_build *b, int32_t i, const struct tfl_op *op,
                                   struct ecl_prep *p, void *data, struct ecl_tensor **io) {
    const struct ecl_op_reg *r = ecl_op_lookup(op->builtin);
    memset(p, 0, sizeof *p);
    p->builtin = op->builtin;
    p->index = i;
    p->b = b;
    p->op = op;
    p->n_in = (int)op->inputs.len;
    p->n_out = (int)op->outputs.len;
    if (!r) { /* the plan refuses unsupported ops first; this is a safety net */
        ecl_msg_str(b->e, "unsupported op ");
        ecl_msg_op_name(b->e, op->builtin, op->custom);
        return ECL_EUNSUPPORTED;
    }
    if (p->n_in > ECL_OP_MAX_IO || p->n_out > ECL_OP_MAX_IO || r->data_size > ECL_OP_MAX_DATA)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "too many inputs or outputs");
    p->in = io;
    p->out = io + ECL_OP_MAX_IO;
    if (!ecl_graph_op_tensors(b, i, op, p->in, p->out))
        return ecl_prep_fail(p, ECL_EFORMAT, "malformed tensor");
    if (b->pl->fold[i]) { /* margins of the PAD folded into this conv */
        struct tfl_op pad;
        struct fb_buf fb = {b->m->buf, b->m->len};
        struct tfl_tensor pt;
        int32_t pv[8];
        ecl_tfl_read_op(b->m, b->pl->fold[i] - 1, &pad);
        ecl_tfl_read_tensor(b->m, fb_vec_i32(&fb, &pad.inputs, 1), &pt);
        memcpy(pv, pt.data, sizeof pv);
        p->fold[0] = pv[2];
        p->fold[1] = pv[3];
        p->fold[2] = pv[4];
        p->fold[3] = pv[5];
    }
    memset(data, 0, r->data_size);
    p->data = data;
    enum ecl_status st = generic_checks(p, r);
    if (st != ECL_OK) return st;
    st = r->prepare(p);
    if (st == ECL_OK && p->bad_opts) return ecl_prep_fail(p, ECL_EFORMAT, "malformed options");
    if (st == ECL_OK && !p->eval) return ecl_prep_fail(p, ECL_EUNSUPPORTED, "no kernel");
    return st;
}

enum ecl_status ecl_prep_op(struct ecl_build *b, int32_t i, struct ecl_node *nd) {
    struct tfl_op op;
    struct ecl_prep p;
    struct ecl_plan *pl = b->pl;
    if (!ecl_tfl_read_op(b->m, i, &op)) return ECL_EFORMAT;
    const struct ecl_op_reg *r = ecl_op_lookup(op.builtin);
    void *data = r ? ecl_bump_alloc(&b->bump, r->data_size ? r->data_size : 1) : NULL;
    int32_t *io_idx = ecl_bump_alloc(&b->bump, (op.inputs.len + op.outputs.len) * sizeof(int32_t));
    enum ecl_status st = run_prepare(b, i, &op, &p, nd ? data : pl->data, pl->slot_p);
    if (st != ECL_OK || !nd) return st;
    nd->eval = p.eval;
    nd->data = data;
    nd->in = io_idx;
    nd->out = io_idx + op.inputs.len;
    nd->n_in = (int16_t)op.inputs.len;
    nd->n_out = (int16_t)op.outputs.len;
    nd->builtin = op.builtin;
    nd->index = i;
    struct fb_buf fb = {b->m->buf, b->m->len};
    for (uint32_t q = 0; q < op.inputs.len; q++)
        nd->in[q] = ecl_graph_op_input(b, i, &op, q);
    for (uint32_t q = 0; q < op.outputs.len; q++)
        nd->out[q] = fb_vec_i32(&fb, &op.outputs, q);
    return ECL_OK;
}

enum ecl_status ecl_prep_fold(struct ecl_build *b, int32_t i) {
    struct tfl_op op;
    struct ecl_prep p;
    struct ecl_plan *pl = b->pl;
    if (!ecl_tfl_read_op(b->m, i, &op)) return ECL_EFORMAT;
    /* the op's data is needed only while it runs here: the planning scratch holds it */
    enum ecl_status st = run_prepare(b, i, &op, &p, pl->data, pl->slot_p);
    if (st != ECL_OK) return st;
    /* outputs become constants in the persistent area */
    for (int q = 0; q < p.n_out; q++) {
        void *d = ecl_bump_alloc(&b->bump, p.out[q]->bytes ? p.out[q]->bytes : 1);
        if (b->T) p.out[q]->data = d;
    }
    if (!b->T) return ECL_OK;
    size_t sbytes = b->scratch;
    void *scratch = NULL;
    if (sbytes) { /* a fold runs at init: its scratch is taken from the top of the arena */
        if (b->bump.used + sbytes + ECL_ALIGN > b->bump.cap) {
            ecl_msg_str(b->e, "arena too small for a constant op's scratch");
            return ECL_ENOMEM;
        }
        scratch = b->bump.base + ((b->bump.cap - sbytes) & ~(size_t)(ECL_ALIGN - 1));
    }
    struct ecl_kctx kc = {NULL, NULL, 1, scratch, sbytes};
    struct ecl_node nd;
    int32_t idx[2 * ECL_OP_MAX_IO];
    struct fb_buf fb = {b->m->buf, b->m->len};
    memset(&nd, 0, sizeof nd);
    nd.eval = p.eval;
    nd.data = p.data;
    nd.in = idx;
    nd.out = idx + op.inputs.len;
    nd.n_in = (int16_t)op.inputs.len;
    nd.n_out = (int16_t)op.outputs.len;
    nd.builtin = op.builtin;
    nd.index = i;
    for (uint32_t q = 0; q < op.inputs.len; q++)
        idx[q] = fb_vec_i32(&fb, &op.inputs, q);
    for (uint32_t q = 0; q < op.outputs.len; q++)
        nd.out[q] = fb_vec_i32(&fb, &op.outputs, q);
    struct ecl_exec x = {b->T, &b->k, &kc, b->e};
    st = p.eval(&x, &nd);
    if (st != ECL_OK) {
        ecl_msg_str(b->e, " (in ");
        ecl_msg_op_name(b->e, op.builtin, op.custom);
        ecl_msg_str(b->e, " at operator ");
        ecl_msg_int(b->e, i);
        ecl_msg_str(b->e, ", computed once at init)");
    }
    return st;
}

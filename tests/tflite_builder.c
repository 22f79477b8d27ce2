/* FlatBuffers writer for tests: see tflite_builder.h. */
#include "tflite_builder.h"
#include <stdlib.h>
#include <string.h>

struct w {
    uint8_t *p;
    size_t n, cap;
};

static void w_grow(struct w *w, size_t add) {
    if (w->n + add <= w->cap) return;
    while (w->n + add > w->cap)
        w->cap = w->cap ? w->cap * 2 : 4096;
    w->p = realloc(w->p, w->cap);
}
static void w_align(struct w *w, size_t a) {
    while (w->n % a) {
        w_grow(w, 1);
        w->p[w->n++] = 0;
    }
}
static size_t w_bytes(struct w *w, const void *d, size_t len) {
    w_grow(w, len);
    size_t pos = w->n;
    if (d)
        memcpy(w->p + pos, d, len);
    else
        memset(w->p + pos, 0, len);
    w->n += len;
    return pos;
}
static size_t w_u32(struct w *w, uint32_t v) {
    return w_bytes(w, &v, 4);
}
static void patch(struct w *w, size_t field, size_t target) {
    uint32_t off = (uint32_t)(target - field);
    memcpy(w->p + field, &off, 4);
}

/* A table field to write: scalar (size 1/4/8) or reference (ref = 1: 4 bytes, patched). */
struct fld {
    int idx, size, ref;
    int64_t v;
    size_t pos; /* out: where it was written */
};

/* Writes vtable + table; returns table position. */
static size_t w_table(struct w *w, struct fld *f, int n) {
    int maxidx = -1;
    for (int i = 0; i < n; i++)
        if (f[i].idx > maxidx) maxidx = f[i].idx;
    /* compute table layout: soffset, then fields in order, each aligned to its size */
    size_t off = 4, offs[32];
    for (int i = 0; i < n; i++) {
        size_t s = (size_t)f[i].size;
        off = (off + s - 1) / s * s;
        offs[i] = off;
        off += s;
    }
    size_t tlen = off;
    uint16_t vlen = (uint16_t)(4 + 2 * (maxidx + 1));
    w_align(w, 2);
    size_t vt = w->n;
    uint16_t hdr[2] = {vlen, (uint16_t)tlen};
    w_bytes(w, hdr, 4);
    for (int k = 0; k <= maxidx; k++) {
        uint16_t o = 0;
        for (int i = 0; i < n; i++)
            if (f[i].idx == k) o = (uint16_t)offs[i];
        w_bytes(w, &o, 2);
    }
    w_align(w, 8);
    /* keep the vtable reachable with a positive soffset */
    size_t t = w->n;
    int32_t so = (int32_t)(t - vt);
    w_bytes(w, NULL, tlen);
    memcpy(w->p + t, &so, 4);
    for (int i = 0; i < n; i++) {
        f[i].pos = t + offs[i];
        if (!f[i].ref) memcpy(w->p + f[i].pos, &f[i].v, (size_t)f[i].size);
    }
    return t;
}

/* Vector of n u32 placeholders for tables; returns the position of element 0. */
static size_t w_refvec(struct w *w, int n) {
    w_align(w, 4);
    w_u32(w, (uint32_t)n);
    size_t pos = w->n;
    w_bytes(w, NULL, 4 * (size_t)n);
    return pos;
}
static size_t w_vec(struct w *w, const void *d, uint32_t n, size_t es, size_t align) {
    /* the length prefix sits right before the (aligned) data */
    while ((w->n + 4) % align) {
        w_grow(w, 1);
        w->p[w->n++] = 0;
    }
    size_t pos = w_u32(w, n);
    w_bytes(w, d, n * es);
    return pos;
}
static size_t w_str(struct w *w, const char *s) {
    w_align(w, 4);
    size_t pos = w_u32(w, (uint32_t)strlen(s));
    w_bytes(w, s, strlen(s) + 1);
    return pos;
}

int32_t tb_f32bits(float f) {
    int32_t v;
    memcpy(&v, &f, 4);
    return v;
}

void tb_init(struct tb *b) {
    memset(b, 0, sizeof *b);
    b->t = calloc(TB_MAX, sizeof *b->t);
    b->nbuf = 1; /* buffer 0: the empty sentinel */
}

void tb_free(struct tb *b) {
    free(b->t);
    b->t = NULL;
}

int tb_tensor(struct tb *b, const char *name, int type, int ndims, const int32_t *dims,
              const void *data, size_t len) {
    struct tb_tensor *t = &b->t[b->nt];
    memset(t, 0, sizeof *t);
    strncpy(t->name, name, sizeof t->name - 1);
    t->type = type;
    t->ndims = ndims;
    memcpy(t->dims, dims, sizeof(int32_t) * (size_t)ndims);
    if (data) {
        b->buf[b->nbuf] = data;
        b->buf_len[b->nbuf] = len;
        t->buffer = b->nbuf++;
    }
    return b->nt++;
}

void tb_quant(struct tb *b, int tensor, int n, const float *scales, const int64_t *zps, int qdim) {
    struct tb_tensor *t = &b->t[tensor];
    t->n_scales = n;
    memcpy(t->scales, scales, sizeof(float) * (size_t)n);
    memcpy(t->zps, zps, sizeof(int64_t) * (size_t)n);
    t->qdim = qdim;
}

int tb_op(struct tb *b, int builtin, int n_in, const int *in, int out, int opt_type,
          const struct tb_opt *opt, int n_opt) {
    struct tb_op *o = &b->op[b->nop];
    memset(o, 0, sizeof *o);
    o->builtin = builtin;
    o->n_in = n_in;
    memcpy(o->in, in, sizeof(int) * (size_t)n_in);
    o->out = out;
    o->opt_type = opt_type;
    o->n_opt = n_opt;
    if (n_opt) memcpy(o->opt, opt, sizeof(struct tb_opt) * (size_t)n_opt);
    return b->nop++;
}

void tb_io(struct tb *b, int input, int output) {
    b->input = input;
    b->output = output;
}

int tb_op_multi(struct tb *b, int builtin, int n_in, const int *in, int n_out, const int *out,
                int opt_type, const struct tb_opt *opt, int n_opt) {
    int k = tb_op(b, builtin, n_in, in, out[0], opt_type, opt, n_opt);
    b->op[k].n_out = n_out;
    memcpy(b->op[k].outs, out, sizeof(int) * (size_t)n_out);
    return k;
}

void tb_opt_vec(struct tb *b, int op, int idx, const int32_t *v, int n) {
    struct tb_op *o = &b->op[op];
    o->vec_idx[o->n_vec] = idx;
    o->vec_len[o->n_vec] = n;
    o->vec[o->n_vec++] = v;
}

void tb_io_multi(struct tb *b, int n_in, const int *in, int n_out, const int *out) {
    b->n_inputs = n_in;
    b->n_outputs = n_out;
    memcpy(b->inputs, in, sizeof(int) * (size_t)n_in);
    memcpy(b->outputs, out, sizeof(int) * (size_t)n_out);
}

uint8_t *tb_finish(struct tb *b, size_t *len) {
    struct w w = {0};
    w_u32(&w, 0);
    w_bytes(&w, "TFL3", 4);
    /* opcodes: one per distinct (builtin, version), in first-use order */
    int codes[TB_MAX], vers[TB_MAX], nc = 0, opc[TB_MAX];
    for (int i = 0; i < b->nop; i++) {
        int k, v = b->op[i].version ? b->op[i].version : 1;
        for (k = 0; k < nc && (codes[k] != b->op[i].builtin || vers[k] != v); k++) {
        }
        if (k == nc) {
            codes[nc] = b->op[i].builtin;
            vers[nc++] = v;
        }
        opc[i] = k;
    }
    struct fld mf[4] = {{0, 4, 0, 3, 0}, {1, 4, 1, 0, 0}, {2, 4, 1, 0, 0}, {4, 4, 1, 0, 0}};
    size_t model = w_table(&w, mf, 4);
    patch(&w, 0, model);
    /* operator codes */
    size_t cv = w_refvec(&w, nc);
    patch(&w, mf[1].pos, cv - 4);
    for (int k = 0; k < nc; k++) {
        int dep = codes[k] < 127 ? codes[k] : 127;
        struct fld f[3] = {{0, 1, 0, dep, 0}, {2, 4, 0, vers[k], 0}, {3, 4, 0, codes[k], 0}};
        size_t t = w_table(&w, f, b->use_deprecated_only ? 2 : 3);
        patch(&w, cv + 4 * (size_t)k, t);
    }
    /* subgraph */
    size_t sv = w_refvec(&w, 1);
    patch(&w, mf[2].pos, sv - 4);
    struct fld sf[4] = {{0, 4, 1, 0, 0}, {1, 4, 1, 0, 0}, {2, 4, 1, 0, 0}, {3, 4, 1, 0, 0}};
    size_t sg = w_table(&w, sf, 4);
    patch(&w, sv, sg);
    size_t tv = w_refvec(&w, b->nt);
    patch(&w, sf[0].pos, tv - 4);
    for (int i = 0; i < b->nt; i++) {
        struct tb_tensor *t = &b->t[i];
        struct fld f[5] = {{0, 4, 1, 0, 0},
                           {1, 1, 0, t->type, 0},
                           {2, 4, 0, t->buffer, 0},
                           {3, 4, 1, 0, 0},
                           {4, 4, 1, 0, 0}};
        size_t tt = w_table(&w, f, t->n_scales ? 5 : 4);
        patch(&w, tv + 4 * (size_t)i, tt);
        patch(&w, f[0].pos, w_vec(&w, t->dims, (uint32_t)t->ndims, 4, 4));
        patch(&w, f[3].pos, w_str(&w, t->name));
        if (t->n_scales) {
            struct fld q[3] = {{2, 4, 1, 0, 0}, {3, 4, 1, 0, 0}, {6, 4, 0, t->qdim, 0}};
            size_t qt = w_table(&w, q, 3);
            patch(&w, f[4].pos, qt);
            patch(&w, q[0].pos, w_vec(&w, t->scales, (uint32_t)t->n_scales, 4, 4));
            patch(&w, q[1].pos, w_vec(&w, t->zps, (uint32_t)t->n_scales, 8, 8));
        }
    }
    int32_t io[2] = {b->input, b->output}, ios[64];
    int nio = b->n_inputs ? b->n_inputs : 1;
    for (int k = 0; k < nio; k++)
        ios[k] = b->n_inputs ? b->inputs[k] : io[0];
    patch(&w, sf[1].pos, w_vec(&w, ios, (uint32_t)nio, 4, 4));
    nio = b->n_outputs ? b->n_outputs : 1;
    for (int k = 0; k < nio; k++)
        ios[k] = b->n_outputs ? b->outputs[k] : io[1];
    patch(&w, sf[2].pos, w_vec(&w, ios, (uint32_t)nio, 4, 4));
    size_t ov = w_refvec(&w, b->nop);
    patch(&w, sf[3].pos, ov - 4);
    for (int i = 0; i < b->nop; i++) {
        struct tb_op *o = &b->op[i];
        struct fld f[5] = {{0, 4, 0, opc[i], 0},
                           {1, 4, 1, 0, 0},
                           {2, 4, 1, 0, 0},
                           {3, 1, 0, o->opt_type, 0},
                           {4, 4, 1, 0, 0}};
        size_t ot = w_table(&w, f, o->opt_type ? 5 : 3);
        patch(&w, ov + 4 * (size_t)i, ot);
        int32_t ins[64], outs[64];
        int n_out = o->n_out ? o->n_out : 1;
        for (int k = 0; k < o->n_in; k++)
            ins[k] = o->in[k];
        for (int k = 0; k < n_out; k++)
            outs[k] = o->n_out ? o->outs[k] : o->out;
        patch(&w, f[1].pos, w_vec(&w, ins, (uint32_t)o->n_in, 4, 4));
        patch(&w, f[2].pos, w_vec(&w, outs, (uint32_t)n_out, 4, 4));
        if (o->opt_type) {
            struct fld of[12];
            for (int k = 0; k < o->n_opt; k++) {
                of[k].idx = o->opt[k].idx;
                of[k].size = o->opt[k].size;
                of[k].ref = 0;
                of[k].v = o->opt[k].size == 1 ? (int64_t)(uint8_t)o->opt[k].v
                                              : (int64_t)(uint32_t)o->opt[k].v;
            }
            for (int k = 0; k < o->n_vec; k++) {
                struct fld *v = &of[o->n_opt + k];
                v->idx = o->vec_idx[k];
                v->size = 4;
                v->ref = 1;
                v->v = 0;
            }
            patch(&w, f[4].pos, w_table(&w, of, o->n_opt + o->n_vec));
            for (int k = 0; k < o->n_vec; k++)
                patch(&w, of[o->n_opt + k].pos,
                      w_vec(&w, o->vec[k], (uint32_t)o->vec_len[k], 4, 4));
        }
    }
    /* buffers */
    size_t bv = w_refvec(&w, b->nbuf);
    patch(&w, mf[3].pos, bv - 4);
    for (int i = 0; i < b->nbuf; i++) {
        struct fld f[1] = {{0, 4, 1, 0, 0}};
        size_t bt = w_table(&w, f, i ? 1 : 0);
        patch(&w, bv + 4 * (size_t)i, bt);
        if (i) patch(&w, f[0].pos, w_vec(&w, b->buf[i], (uint32_t)b->buf_len[i], 1, 16));
    }
    *len = w.n;
    return w.p;
}

void tb_build_chain_f32(struct tb *b, const float *sc, const float *fw, const float *fb) {
    enum { H = TB_CHAIN_H, W = TB_CHAIN_W, C = TB_CHAIN_C, K = TB_CHAIN_K };
    enum { ADD = 0, AVG = 1, FC = 9, MAXP = 17, MUL = 18, RESHAPE = 22, SOFTMAX = 25 };
    enum { PAD = 34, MEAN = 40 };
    static const int32_t pads[8] = {0, 0, 1, 1, 1, 1, 0, 0}, axes[2] = {1, 2}, shp[2] = {1, C};
    tb_init(b);
    int t_in = tb_tensor(b, "in", TB_F32, 4, (int32_t[]){1, H, W, C}, NULL, 0);
    int t_sc = tb_tensor(b, "sc", TB_F32, 4, (int32_t[]){1, 1, 1, C}, sc, sizeof(float) * C);
    int t_mul = tb_tensor(b, "mul", TB_F32, 4, (int32_t[]){1, H, W, C}, NULL, 0);
    int t_add = tb_tensor(b, "add", TB_F32, 4, (int32_t[]){1, H, W, C}, NULL, 0);
    int t_avg = tb_tensor(b, "avg", TB_F32, 4, (int32_t[]){1, H, W, C}, NULL, 0);
    int t_max = tb_tensor(b, "max", TB_F32, 4, (int32_t[]){1, 3, 3, C}, NULL, 0);
    int t_pv = tb_tensor(b, "pads", TB_I32, 2, (int32_t[]){4, 2}, pads, sizeof pads);
    int t_pad = tb_tensor(b, "pad", TB_F32, 4, (int32_t[]){1, 5, 5, C}, NULL, 0);
    int t_ax = tb_tensor(b, "axes", TB_I32, 1, (int32_t[]){2}, axes, sizeof axes);
    int t_mean = tb_tensor(b, "mean", TB_F32, 4, (int32_t[]){1, 1, 1, C}, NULL, 0);
    int t_shp = tb_tensor(b, "shape", TB_I32, 1, (int32_t[]){2}, shp, sizeof shp);
    int t_rs = tb_tensor(b, "flat", TB_F32, 2, (int32_t[]){1, C}, NULL, 0);
    int t_fw = tb_tensor(b, "fw", TB_F32, 2, (int32_t[]){K, C}, fw, sizeof(float) * K * C);
    int t_fb = tb_tensor(b, "fb", TB_F32, 1, (int32_t[]){K}, fb, sizeof(float) * K);
    int t_fc = tb_tensor(b, "logits", TB_F32, 2, (int32_t[]){1, K}, NULL, 0);
    int t_sm = tb_tensor(b, "probs", TB_F32, 2, (int32_t[]){1, K}, NULL, 0);
    tb_op(b, MUL, 2, (int[]){t_in, t_sc}, t_mul, 0, NULL, 0);
    tb_op(b, ADD, 2, (int[]){t_mul, t_in}, t_add, 11, (struct tb_opt[]){{0, 1, 1}}, 1);
    tb_op(b, AVG, 1, (int[]){t_add}, t_avg, 5,
          (struct tb_opt[]){{0, 1, 0}, {1, 4, 1}, {2, 4, 1}, {3, 4, 2}, {4, 4, 2}}, 5);
    tb_op(b, MAXP, 1, (int[]){t_avg}, t_max, 5,
          (struct tb_opt[]){{0, 1, 1}, {1, 4, 2}, {2, 4, 2}, {3, 4, 3}, {4, 4, 3}}, 5);
    tb_op(b, PAD, 2, (int[]){t_max, t_pv}, t_pad, 0, NULL, 0);
    tb_op(b, MEAN, 2, (int[]){t_pad, t_ax}, t_mean, 27, (struct tb_opt[]){{0, 1, 1}}, 1);
    tb_op(b, RESHAPE, 2, (int[]){t_mean, t_shp}, t_rs, 0, NULL, 0);
    tb_op(b, FC, 3, (int[]){t_rs, t_fw, t_fb}, t_fc, 0, NULL, 0);
    tb_op(b, SOFTMAX, 1, (int[]){t_fc}, t_sm, 9, (struct tb_opt[]){{0, 4, tb_f32bits(1.0f)}}, 1);
    tb_io(b, t_in, t_sm);
}

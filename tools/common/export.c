/* tools/common/export.c - the learned classifier as a standard .tflite (see export.h).
 *
 * Why it is built this way: the backbone part is copied, not re-derived: each tensor the cut
 * depends on keeps its type, shape, quantisation (per-channel scales included) and weight
 * bytes, and each operator keeps its builtin code, version and options, so a uint8 or int8
 * backbone stays a quantised backbone and TFLite runs the same kernels on it. Options tables
 * are copied field by field from a table of their schema layouts (opt_fields below); an op
 * whose options are not in that table, or that has a field the table does not know (a newer
 * schema), is refused by name rather than copied wrongly. Everything after the cut uses only
 * DEQUANTIZE, MEAN, RESHAPE, FULLY_CONNECTED and SOFTMAX, which every TFLite runtime has.
 */
#include "export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgecl/model.h"
#include "fbwrite.h"
#include "tflite/tfl.h"

/* Field layouts of the options tables the interpreter's ops use (schema.fbs order):
 * b = 1-byte scalar (enum, bool), i = 4-byte scalar (int, float), v = [int] vector. */
static const char *const opt_fields[ECL_BO_COUNT] = {
    [ECL_BO_Conv2DOptions] = "biibiib",
    [ECL_BO_DepthwiseConv2DOptions] = "biiibii",
    [ECL_BO_FullyConnectedOptions] = "bbbbb",
    [ECL_BO_Pool2DOptions] = "biiiib",
    [ECL_BO_AddOptions] = "bb",
    [ECL_BO_SubOptions] = "bb",
    [ECL_BO_MulOptions] = "b",
    [ECL_BO_DivOptions] = "b",
    [ECL_BO_LeakyReluOptions] = "i",
    [ECL_BO_ReducerOptions] = "b",
    [ECL_BO_ArgMaxOptions] = "b",
    [ECL_BO_ArgMinOptions] = "b",
    [ECL_BO_SoftmaxOptions] = "i",
    [ECL_BO_ReshapeOptions] = "v",
    [ECL_BO_SqueezeOptions] = "v",
    [ECL_BO_ConcatenationOptions] = "ib",
    [ECL_BO_SquaredDifferenceOptions] = "",
    [ECL_BO_MaximumMinimumOptions] = "",
    [ECL_BO_PowOptions] = "",
    [ECL_BO_FloorDivOptions] = "",
    [ECL_BO_FloorModOptions] = "",
    [ECL_BO_HardSwishOptions] = "",
    [ECL_BO_ExpOptions] = "",
    [ECL_BO_NegOptions] = "",
    [ECL_BO_AbsOptions] = "",
    [ECL_BO_SquareOptions] = "",
    [ECL_BO_CosOptions] = "",
    [ECL_BO_ExpandDimsOptions] = "",
    [ECL_BO_PadOptions] = "",
    [ECL_BO_PadV2Options] = "",
    [ECL_BO_QuantizeOptions] = "",
    [ECL_BO_DequantizeOptions] = "",
};

#define MAX_IO 64

/* A tensor of the exported graph: copied from the model (src >= 0) or new. */
struct xt {
    const char *name;
    int32_t type, ndims, dims[ECL_MAX_DIMS];
    const void *data;
    size_t len;
    const uint8_t *scales, *zps; /* raw float32 / int64 vectors in the model file */
    uint32_t n_scales, n_zps;
    int32_t qdim;
};

/* An operator of the exported graph; options copied from the model or written for new ops. */
struct xop {
    int32_t builtin, version;
    int n_in, n_out;
    int32_t in[MAX_IO], out[4];
    uint8_t opt_type;
    int src_opts; /* 1: copy `opts` from the model */
    struct fb_table opts;
    uint8_t act;   /* FULLY_CONNECTED */
    float beta;    /* SOFTMAX */
    int32_t shape; /* RESHAPE: 1 x shape */
};

struct ex {
    const struct ecl_model *m;
    struct fb_buf b;
    struct xt *t;
    uint32_t nt, ct;
    struct xop *op;
    uint32_t nop, cop;
    float *owned[2 * (ECL_HEAD_MAX_HIDDEN + 1) + 2];
    int n_owned;
    int32_t consts[4]; /* MEAN axes, RESHAPE shape */
    char *err;
    size_t errlen;
};

struct export_opts export_default_opts(void) {
    struct export_opts o = {-1, 1, 1.0f, NULL};
    return o;
}

static enum ecl_status fail(struct ex *x, enum ecl_status st, const char *fmt, const char *a) {
    snprintf(x->err, x->errlen, fmt, a);
    return st;
}

static int32_t add_tensor(struct ex *x, const char *name, int32_t type, int32_t d0, int32_t d1,
                          int ndims, const void *data, size_t len) {
    struct xt *t = &x->t[x->nt];
    memset(t, 0, sizeof *t);
    t->name = name;
    t->type = type;
    t->ndims = ndims;
    t->dims[0] = d0;
    t->dims[1] = d1;
    t->data = data;
    t->len = len;
    return (int32_t)x->nt++;
}

static struct xop *add_op(struct ex *x, int32_t builtin, int32_t version, int32_t in0, int32_t in1,
                          int32_t in2, int32_t out, uint8_t opt_type) {
    struct xop *o = &x->op[x->nop++];
    memset(o, 0, sizeof *o);
    o->builtin = builtin;
    o->version = version;
    o->in[0] = in0;
    o->in[1] = in1;
    o->in[2] = in2;
    o->n_in = in2 >= 0 ? 3 : (in1 >= 0 ? 2 : 1);
    o->out[0] = out;
    o->n_out = 1;
    o->opt_type = opt_type;
    return o;
}

static int32_t op_version(const struct ex *x, uint32_t i) {
    struct fb_vec ov = {x->m->ops, x->m->n_ops}, cv = {x->m->opcodes, x->m->n_opcodes};
    struct fb_table ot, ct;
    uint32_t oc;
    int32_t v = 1;
    if (fb_vec_table(&x->b, &ov, i, &ot) && fb_u32(&x->b, &ot, OP_OPCODE, 0, &oc) &&
        fb_vec_table(&x->b, &cv, oc, &ct) && fb_i32(&x->b, &ct, OPC_VERSION, 1, &v) && v >= 1)
        return v;
    return 1;
}

/* ------------------------------------------------------------------ the backbone part */

/* Marks the ops the cut tensor depends on and copies them and their tensors; *cut_new is the
 * cut tensor's index in the exported graph, in_new the graph input's. */
static enum ecl_status copy_backbone(struct ex *x, int32_t cut, int32_t *cut_new, int32_t *in_new) {
    const struct ecl_model *m = x->m;
    const uint32_t nt = m->n_tensors, no = m->n_ops;
    enum ecl_status st = ECL_OK;
    int32_t *map = malloc((nt + 1) * sizeof *map), *stack = malloc((nt + 1) * sizeof *stack);
    uint8_t *need = calloc(no + 1, 1), *seen = calloc(nt + 1, 1);
    if (!map || !stack || !need || !seen) {
        st = fail(x, ECL_EOOM, "out of memory%s", "");
        goto out;
    }
    int sp = 0;
    stack[sp++] = cut;
    seen[cut] = 1;
    while (sp) {
        struct ecl_tensor_info ti;
        struct tfl_op op;
        int32_t t = stack[--sp];
        if (ecl_model_tensor_info(m, t, &ti) || ti.producer < 0 || need[ti.producer]) continue;
        need[ti.producer] = 1;
        if (!ecl_tfl_read_op(m, ti.producer, &op)) {
            st = fail(x, ECL_EFORMAT, "cannot read an operator of the model%s", "");
            goto out;
        }
        for (uint32_t k = 0; k < op.inputs.len; k++) {
            int32_t u = fb_vec_i32(&x->b, &op.inputs, k);
            if (u >= 0 && !seen[u]) {
                seen[u] = 1;
                stack[sp++] = u;
            }
        }
    }
    /* the tensors of the kept ops, in the model's order */
    memset(seen, 0, nt);
    seen[cut] = 1;
    for (uint32_t i = 0; i < no; i++) {
        struct tfl_op op;
        if (!need[i]) continue;
        ecl_tfl_read_op(m, (int32_t)i, &op);
        if (op.builtin == ECL_OP_CUSTOM) {
            st = fail(x, ECL_EUNSUPPORTED,
                      "the backbone uses the custom op '%s', which cannot "
                      "be exported",
                      op.custom ? op.custom : "?");
            goto out;
        }
        if (op.inputs.len > MAX_IO || op.outputs.len > 4) {
            st = fail(x, ECL_EUNSUPPORTED, "an op of the backbone (%s) has too many inputs",
                      ecl_builtin_name(op.builtin));
            goto out;
        }
        for (uint32_t k = 0; k < op.inputs.len; k++) {
            int32_t u = fb_vec_i32(&x->b, &op.inputs, k);
            if (u >= 0) seen[u] = 1;
        }
        for (uint32_t k = 0; k < op.outputs.len; k++)
            seen[fb_vec_i32(&x->b, &op.outputs, k)] = 1;
    }
    for (uint32_t i = 0; i < nt; i++) {
        map[i] = -1;
        if (!seen[i]) continue;
        struct tfl_tensor tt;
        if (!ecl_tfl_read_tensor(m, (int32_t)i, &tt)) {
            st = fail(x, ECL_EFORMAT, "cannot read a tensor of the model%s", "");
            goto out;
        }
        struct xt *t = &x->t[x->nt];
        memset(t, 0, sizeof *t);
        t->name = tt.info.name;
        t->type = tt.info.type;
        t->ndims = tt.info.ndims;
        memcpy(t->dims, tt.info.dims, sizeof t->dims);
        t->data = tt.data;
        t->len = tt.data_len;
        if (tt.scales.len) {
            t->scales = x->b.p + tt.scales.pos;
            t->n_scales = tt.scales.len;
            t->zps = tt.zps.len ? x->b.p + tt.zps.pos : NULL;
            t->n_zps = tt.zps.len;
            t->qdim = tt.info.quant_dim;
        }
        map[i] = (int32_t)x->nt++;
    }
    for (uint32_t i = 0; i < no; i++) {
        struct tfl_op op;
        if (!need[i]) continue;
        ecl_tfl_read_op(m, (int32_t)i, &op);
        struct xop *o = &x->op[x->nop++];
        memset(o, 0, sizeof *o);
        o->builtin = op.builtin;
        o->version = op_version(x, i);
        o->n_in = (int)op.inputs.len;
        o->n_out = (int)op.outputs.len;
        for (int k = 0; k < o->n_in; k++) {
            int32_t u = fb_vec_i32(&x->b, &op.inputs, (uint32_t)k);
            o->in[k] = u >= 0 ? map[u] : -1;
        }
        for (int k = 0; k < o->n_out; k++)
            o->out[k] = map[fb_vec_i32(&x->b, &op.outputs, (uint32_t)k)];
        o->opt_type = op.opt_type;
        o->src_opts = op.has_opts;
        o->opts = op.opts;
    }
    *cut_new = map[cut];
    *in_new = -1;
    for (int32_t i = 0; i < ecl_model_n_inputs(m) && *in_new < 0; i++) {
        int32_t t = ecl_model_input_at(m, i);
        if (t >= 0 && (uint32_t)t < nt && map[t] >= 0 && x->t[map[t]].data == NULL)
            *in_new = map[t];
    }
    if (*in_new < 0)
        st = fail(x, ECL_EINVAL, "the cut tensor '%s' does not depend on the model's input",
                  x->t[*cut_new].name);
out:
    free(map);
    free(stack);
    free(need);
    free(seen);
    return st;
}

/* ------------------------------------------------------------------ the classifier part */

/* cut -> latent vector exactly as fe.c forms it, then the learner's layers and SOFTMAX.
 * Returns the output tensor in *out_t. */
static enum ecl_status add_classifier(struct ex *x, int32_t cut, const struct export_opts *o,
                                      struct ecl_learner *l, int32_t *out_t) {
    const struct xt *c = &x->t[cut];
    const uint32_t dim = ecl_learner_params(l)->dim;
    int32_t cur = cut, count = 1;
    for (int32_t k = 0; k < c->ndims; k++)
        count *= c->dims[k];
    const int pool = o->pool && c->ndims == 4;
    const int32_t latent = pool ? c->dims[3] : count, ctype = c->type;
    char msg[256];
    if ((uint32_t)latent != dim) {
        snprintf(msg, sizeof msg,
                 "the learner expects %u-d latents but the cut tensor '%%s' gives %d%s (another "
                 "model or cut layer? pass the --model and --cut the features were extracted "
                 "with)",
                 dim, latent, pool ? " after pooling" : "");
        return fail(x, ECL_EINVAL, msg, c->name);
    }
    if (ctype == ECL_DT_UINT8 || ctype == ECL_DT_INT8) {
        if (!c->n_scales)
            return fail(x, ECL_EUNSUPPORTED,
                        "the cut tensor '%s' is an integer tensor without "
                        "quantisation parameters",
                        c->name);
        int32_t d = add_tensor(x, "edgecl/dequantized", ECL_DT_FLOAT32, 0, 0, 0, NULL, 0);
        x->t[d].ndims = c->ndims;
        memcpy(x->t[d].dims, c->dims, sizeof c->dims);
        add_op(x, ECL_OP_DEQUANTIZE, ctype == ECL_DT_UINT8 ? 1 : 2, cur, -1, -1, d,
               ECL_BO_DequantizeOptions);
        cur = d;
    } else if (ctype != ECL_DT_FLOAT32) {
        return fail(x, ECL_EUNSUPPORTED,
                    "the cut tensor '%s' is neither float32 nor quantised "
                    "uint8/int8",
                    c->name);
    }
    if (pool) {
        x->consts[0] = 1;
        x->consts[1] = 2;
        int32_t ax = add_tensor(x, "edgecl/pool_axes", ECL_DT_INT32, 2, 0, 1, x->consts, 8);
        int32_t p = add_tensor(x, "edgecl/latent", ECL_DT_FLOAT32, 1, latent, 2, NULL, 0);
        add_op(x, ECL_OP_MEAN, 1, cur, ax, -1, p, ECL_BO_ReducerOptions);
        cur = p;
    } else if (!(x->t[cur].ndims == 2 && x->t[cur].dims[0] == 1)) {
        x->consts[2] = 1;
        x->consts[3] = latent;
        int32_t sh = add_tensor(x, "edgecl/latent_shape", ECL_DT_INT32, 2, 0, 1, x->consts + 2, 8);
        int32_t r = add_tensor(x, "edgecl/latent", ECL_DT_FLOAT32, 1, latent, 2, NULL, 0);
        add_op(x, ECL_OP_RESHAPE, 1, cur, sh, -1, r, ECL_BO_ReshapeOptions)->shape = latent;
        cur = r;
    }
    uint32_t n;
    enum ecl_status st = ecl_learner_layer_count(l, &n);
    if (st == ECL_ESTATE) return fail(x, st, "the learner has not learned any class yet%s", "");
    if (st) return fail(x, st, "cannot read the learner's layers (%s)", ecl_status_str(st));
    if (n > (ECL_HEAD_MAX_HIDDEN + 1)) return fail(x, ECL_ERANGE, "too many layers%s", "");
    for (uint32_t i = 0; i < n; i++) {
        struct ecl_learner_layer L;
        ecl_learner_layer_shape(l, i, &L);
        float *w = malloc((size_t)L.in * L.out * sizeof(float)), *b = malloc(L.out * sizeof(float));
        x->owned[x->n_owned++] = w;
        x->owned[x->n_owned++] = b;
        if (!w || !b) return fail(x, ECL_EOOM, "out of memory%s", "");
        if ((st = ecl_learner_layer_get(l, i, w, b)))
            return fail(x, st, "cannot read the learner's layers (%s)", ecl_status_str(st));
        static const char *const names[][3] = {
            {"edgecl/dense_0/weights", "edgecl/dense_0/bias", "edgecl/dense_0"},
            {"edgecl/dense_1/weights", "edgecl/dense_1/bias", "edgecl/dense_1"},
            {"edgecl/dense_2/weights", "edgecl/dense_2/bias", "edgecl/dense_2"},
            {"edgecl/dense_3/weights", "edgecl/dense_3/bias", "edgecl/dense_3"},
            {"edgecl/dense_4/weights", "edgecl/dense_4/bias", "edgecl/dense_4"},
        };
        const int last = i + 1 == n;
        int32_t wt = add_tensor(x, names[i][0], ECL_DT_FLOAT32, (int32_t)L.out, (int32_t)L.in, 2, w,
                                (size_t)L.in * L.out * sizeof(float));
        int32_t bt = add_tensor(x, names[i][1], ECL_DT_FLOAT32, (int32_t)L.out, 0, 1, b,
                                L.out * sizeof(float));
        int32_t ot = add_tensor(x, last ? "edgecl/logits" : names[i][2], ECL_DT_FLOAT32, 1,
                                (int32_t)L.out, 2, NULL, 0);
        add_op(x, ECL_OP_FULLY_CONNECTED, 1, cur, wt, bt, ot, ECL_BO_FullyConnectedOptions)->act =
            L.relu ? ACT_RELU : ACT_NONE;
        cur = ot;
    }
    int32_t pr = add_tensor(x, "probabilities", ECL_DT_FLOAT32, 1, x->t[cur].dims[1], 2, NULL, 0);
    add_op(x, ECL_OP_SOFTMAX, 1, cur, -1, -1, pr, ECL_BO_SoftmaxOptions)->beta = o->softmax_beta;
    *out_t = pr;
    return ECL_OK;
}

/* ------------------------------------------------------------------ writing */

/* An options table copied from the model (opt_fields) or written for a new op. */
static enum ecl_status write_opts(struct ex *x, struct fbw *w, const struct xop *o, uint32_t *ref) {
    *ref = 0;
    if (!o->src_opts) {
        switch (o->builtin) { /* the new ops' options */
        case ECL_OP_FULLY_CONNECTED:
            fbw_table_start(w);
            fbw_add_u8(w, 0, o->act);
            break;
        case ECL_OP_SOFTMAX:
            fbw_table_start(w);
            fbw_add_f32(w, 0, o->beta);
            break;
        case ECL_OP_RESHAPE: {
            int32_t shape[2] = {1, o->shape};
            uint32_t v = fbw_vec_i32(w, shape, 2);
            fbw_table_start(w);
            fbw_add_off(w, 0, v);
            break;
        }
        case ECL_OP_MEAN:
            fbw_table_start(w);
            fbw_add_u8(w, 0, 0); /* keep_dims = false */
            break;
        default:
            if (!o->opt_type) return ECL_OK;
            fbw_table_start(w); /* an empty table for an op whose options were absent */
        }
        *ref = fbw_table_end(w);
        return ECL_OK;
    }
    const char *f = o->opt_type < ECL_BO_COUNT ? opt_fields[o->opt_type] : NULL;
    const struct fb_table *t = &o->opts;
    uint32_t vref[FBW_MAX_FIELDS] = {0};
    for (uint32_t i = 0; i < t->nf; i++) {
        size_t pos;
        int r = fb_field(&x->b, t, i, 1, &pos);
        if (r == 0) continue;
        if (r < 0 || !f || i >= strlen(f) || i >= FBW_MAX_FIELDS)
            return fail(x, ECL_EUNSUPPORTED,
                        "cannot export the options of an op of the backbone (%s): unknown "
                        "fields",
                        ecl_builtin_name(o->builtin));
        if (f[i] == 'v') {
            struct fb_vec v;
            int32_t tmp[16];
            if (fb_vector(&x->b, t, i, 4, &v) < 0 || v.len > 16)
                return fail(x, ECL_EFORMAT, "malformed options of a %s op",
                            ecl_builtin_name(o->builtin));
            for (uint32_t k = 0; k < v.len; k++)
                tmp[k] = fb_vec_i32(&x->b, &v, k);
            vref[i] = fbw_vec_i32(w, tmp, v.len);
        }
    }
    fbw_table_start(w);
    for (uint32_t i = 0; f && i < t->nf && f[i]; i++) {
        size_t pos;
        if (fb_field(&x->b, t, i, f[i] == 'b' ? 1 : 4, &pos) != 1) continue;
        if (f[i] == 'b')
            fbw_add_u8(w, i, x->b.p[pos]);
        else if (f[i] == 'i')
            fbw_add_u32(w, i, fb_rd_u32(&x->b, pos));
        else
            fbw_add_off(w, i, vref[i]);
    }
    *ref = fbw_table_end(w);
    return ECL_OK;
}

static uint32_t write_tensor(struct fbw *w, const struct xt *t, uint32_t buffer) {
    uint32_t shape = fbw_vec_i32(w, t->dims, (size_t)t->ndims);
    uint32_t name = fbw_string(w, t->name);
    uint32_t q = 0;
    if (t->n_scales) {
        uint32_t sc = fbw_vec(w, t->scales, t->n_scales, 4, 4);
        uint32_t zp = t->n_zps ? fbw_vec(w, t->zps, t->n_zps, 8, 8) : 0;
        fbw_table_start(w);
        fbw_add_off(w, Q_SCALE, sc);
        if (zp) fbw_add_off(w, Q_ZERO, zp);
        fbw_add_u32(w, Q_DIM, (uint32_t)t->qdim);
        q = fbw_table_end(w);
    }
    fbw_table_start(w);
    fbw_add_off(w, TEN_SHAPE, shape);
    fbw_add_u8(w, TEN_TYPE, (uint8_t)t->type);
    fbw_add_u32(w, TEN_BUFFER, buffer);
    fbw_add_off(w, TEN_NAME, name);
    if (q) fbw_add_off(w, TEN_QUANT, q);
    return fbw_table_end(w);
}

/* Model.metadata: one entry, "labels", whose buffer holds the class names, one per line. */
static enum ecl_status write_model(struct ex *x, struct fbw *w, int32_t in_t, int32_t out_t,
                                   const char *labels, const char *desc, uint32_t *root) {
    enum ecl_status st = ECL_EOOM;
    uint32_t *bufs = malloc((x->nt + 2) * sizeof *bufs), *tens = malloc(x->nt * sizeof *tens);
    uint32_t *ops = malloc(x->nop * sizeof *ops), *codes = malloc(x->nop * sizeof *codes);
    int32_t(*code_key)[2] = malloc(x->nop * sizeof *code_key);
    if (!bufs || !tens || !ops || !codes || !code_key) goto out;
    /* buffers: 0 empty (the convention), then one per constant tensor, then the labels */
    uint32_t nb = 0;
    fbw_table_start(w);
    bufs[nb++] = fbw_table_end(w);
    for (uint32_t i = 0; i < x->nt; i++) {
        uint32_t bi = 0;
        if (x->t[i].data) {
            uint32_t d = fbw_vec(w, x->t[i].data, x->t[i].len, 1, 16);
            fbw_table_start(w);
            fbw_add_off(w, BUF_DATA, d);
            bi = nb;
            bufs[nb++] = fbw_table_end(w);
        }
        tens[i] = write_tensor(w, &x->t[i], bi);
    }
    uint32_t d = fbw_vec(w, labels, strlen(labels), 1, 4);
    fbw_table_start(w);
    fbw_add_off(w, BUF_DATA, d);
    const uint32_t label_buf = nb;
    bufs[nb++] = fbw_table_end(w);
    uint32_t nc = 0;
    for (uint32_t i = 0; i < x->nop; i++) {
        const struct xop *o = &x->op[i];
        uint32_t c = 0;
        while (c < nc && !(code_key[c][0] == o->builtin && code_key[c][1] == o->version))
            c++;
        if (c == nc) {
            code_key[nc][0] = o->builtin;
            code_key[nc][1] = o->version;
            fbw_table_start(w);
            fbw_add_u8(w, OPC_DEPRECATED, (uint8_t)(o->builtin < 127 ? o->builtin : 127));
            fbw_add_u32(w, OPC_VERSION, (uint32_t)o->version);
            fbw_add_u32(w, OPC_BUILTIN, (uint32_t)o->builtin);
            codes[nc++] = fbw_table_end(w);
        }
        uint32_t opts;
        if ((st = write_opts(x, w, o, &opts))) goto out;
        uint32_t vi = fbw_vec_i32(w, o->in, (size_t)o->n_in);
        uint32_t vo = fbw_vec_i32(w, o->out, (size_t)o->n_out);
        fbw_table_start(w);
        fbw_add_u32(w, OP_OPCODE, c);
        fbw_add_off(w, OP_INPUTS, vi);
        fbw_add_off(w, OP_OUTPUTS, vo);
        if (o->opt_type) fbw_add_u8(w, OP_OPT_TYPE, o->opt_type);
        if (opts) fbw_add_off(w, OP_OPTIONS, opts);
        ops[i] = fbw_table_end(w);
    }
    uint32_t vt = fbw_vec_refs(w, tens, x->nt), vops = fbw_vec_refs(w, ops, x->nop);
    uint32_t vin = fbw_vec_i32(w, &in_t, 1), vout = fbw_vec_i32(w, &out_t, 1);
    uint32_t sgname = fbw_string(w, "main");
    fbw_table_start(w);
    fbw_add_off(w, SG_TENSORS, vt);
    fbw_add_off(w, SG_INPUTS, vin);
    fbw_add_off(w, SG_OUTPUTS, vout);
    fbw_add_off(w, SG_OPERATORS, vops);
    fbw_add_off(w, SG_NAME, sgname);
    uint32_t sg = fbw_table_end(w);
    uint32_t mname = fbw_string(w, "labels");
    fbw_table_start(w);
    fbw_add_off(w, 0, mname);
    fbw_add_u32(w, 1, label_buf);
    uint32_t meta = fbw_table_end(w);
    uint32_t vsg = fbw_vec_refs(w, &sg, 1), vcodes = fbw_vec_refs(w, codes, nc);
    uint32_t vbufs = fbw_vec_refs(w, bufs, nb), vmeta = fbw_vec_refs(w, &meta, 1);
    uint32_t vdesc = fbw_string(w, desc);
    fbw_table_start(w);
    fbw_add_u32(w, MODEL_VERSION, 3);
    fbw_add_off(w, MODEL_OPCODES, vcodes);
    fbw_add_off(w, MODEL_SUBGRAPHS, vsg);
    fbw_add_off(w, MODEL_DESC, vdesc);
    fbw_add_off(w, MODEL_BUFFERS, vbufs);
    fbw_add_off(w, 6, vmeta); /* Model.metadata */
    *root = fbw_table_end(w);
    st = w->oom ? ECL_EOOM : ECL_OK;
out:
    if (st == ECL_EOOM) fail(x, st, "out of memory%s", "");
    free(bufs);
    free(tens);
    free(ops);
    free(codes);
    free(code_key);
    return st;
}

/* ------------------------------------------------------------------ API */

char *export_labels(const struct ecl_learner *l) {
    const uint32_t n = ecl_learner_n_classes(l);
    char *s = malloc((size_t)n * (ECL_CLASS_NAME_MAX + 16) + 1), *p = s;
    if (!s) return NULL;
    *p = 0;
    for (uint32_t k = 0; k < n; k++) {
        const char *nm = ecl_learner_class_name(l, (int32_t)k);
        char buf[ECL_CLASS_NAME_MAX];
        size_t j = 0;
        for (; nm && nm[j] && j + 1 < sizeof buf; j++) /* one line per class */
            buf[j] = nm[j] == '\n' || nm[j] == '\r' ? ' ' : nm[j];
        buf[j] = 0;
        p += j ? sprintf(p, "%s\n", buf) : sprintf(p, "class_%u\n", k);
    }
    return s;
}

enum ecl_status export_tflite(const void *model, size_t model_len, const struct export_opts *o,
                              struct ecl_learner *l, uint8_t **out, size_t *out_len, char *err,
                              size_t errlen) {
    struct export_opts opts = o ? *o : export_default_opts();
    struct ecl_model m;
    struct ex x;
    struct fbw w;
    char e2[256] = "", desc[256];
    char *labels = NULL;
    enum ecl_status st;
    memset(&x, 0, sizeof x);
    x.err = err;
    x.errlen = errlen;
    x.m = &m;
    *out = NULL;
    *out_len = 0;
    fbw_init(&w);
    if (!l || !model) return fail(&x, ECL_EINVAL, "nothing to export%s", "");
    if ((st = ecl_model_parse(model, model_len, &m, e2, sizeof e2))) return fail(&x, st, "%s", e2);
    x.b.p = m.buf;
    x.b.n = m.len;
    int32_t cut = opts.cut >= 0 ? opts.cut : ecl_model_output(&m);
    if ((uint32_t)opts.cut >= ecl_model_n_tensors(&m) && opts.cut >= 0)
        return fail(&x, ECL_ENOTFOUND, "the model has no tensor %s", "with that index");
    if (cut < 0) return fail(&x, ECL_EINVAL, "the model has no output tensor%s", "");
    /* room for the copied graph plus at most 3 + 3 per layer new tensors and 3 + layers ops */
    x.ct = m.n_tensors + 8 + 3 * (ECL_HEAD_MAX_HIDDEN + 1);
    x.cop = m.n_ops + 4 + (ECL_HEAD_MAX_HIDDEN + 1);
    x.t = malloc(x.ct * sizeof *x.t);
    x.op = malloc(x.cop * sizeof *x.op);
    labels = export_labels(l);
    if (!x.t || !x.op || !labels) {
        st = fail(&x, ECL_EOOM, "out of memory%s", "");
        goto done;
    }
    int32_t cut_new, in_new, out_t;
    if ((st = copy_backbone(&x, cut, &cut_new, &in_new))) goto done;
    if ((st = add_classifier(&x, cut_new, &opts, l, &out_t))) goto done;
    const struct ecl_learner_params *p = ecl_learner_params(l);
    snprintf(desc, sizeof desc, "edgecl %s classifier (%u classes) on '%s'",
             ecl_learner_kind_name(p->kind), ecl_learner_n_classes(l), x.t[cut_new].name);
    uint32_t root;
    if ((st = write_model(&x, &w, in_new, out_t, labels, opts.description ? opts.description : desc,
                          &root)))
        goto done;
    size_t len;
    const uint8_t *fb = fbw_finish(&w, root, "TFL3", &len);
    if (!fb || !(*out = malloc(len))) {
        st = fail(&x, ECL_EOOM, "out of memory%s", "");
        goto done;
    }
    memcpy(*out, fb, len);
    *out_len = len;
done:
    for (int i = 0; i < x.n_owned; i++)
        free(x.owned[i]);
    free(x.t);
    free(x.op);
    free(labels);
    fbw_free(&w);
    return st;
}

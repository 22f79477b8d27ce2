/* tools/common/export.c - the learned classifier as a standard .tflite (see export.h).
 *
 * Why it is built this way: the backbone part is copied, not re-derived: each tensor the cut
 * depends on keeps its type, shape, quantisation (per-channel scales included) and weight
 * bytes, and each operator keeps its builtin code, version and options, so a uint8 or int8
 * backbone stays a quantised backbone and TFLite runs the same kernels on it. Options tables
 * are copied field by field (export_write.c). Everything after the cut uses only
 * DEQUANTIZE, MEAN, RESHAPE, FULLY_CONNECTED and SOFTMAX, which every TFLite runtime has.
 */
#include "export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_impl.h"

struct export_opts export_default_opts(void) {
    struct export_opts o = {-1, 1, 1.0f, NULL, 0, 0.0f, 1.0f};
    return o;
}

enum ecl_status export_fail_(struct ex *x, enum ecl_status st, const char *fmt, const char *a) {
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
        st = export_fail_(x, ECL_EOOM, "out of memory%s", "");
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
            st = export_fail_(x, ECL_EFORMAT, "cannot read an operator of the model%s", "");
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
            st = export_fail_(x, ECL_EUNSUPPORTED,
                              "the backbone uses the custom op '%s', which cannot "
                              "be exported",
                              op.custom ? op.custom : "?");
            goto out;
        }
        if (op.inputs.len > MAX_IO || op.outputs.len > 4) {
            st = export_fail_(x, ECL_EUNSUPPORTED, "an op of the backbone (%s) has too many inputs",
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
            st = export_fail_(x, ECL_EFORMAT, "cannot read a tensor of the model%s", "");
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
        st = export_fail_(x, ECL_EINVAL, "the cut tensor '%s' does not depend on the model's input",
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
        return export_fail_(x, ECL_EINVAL, msg, c->name);
    }
    if (ctype == ECL_DT_UINT8 || ctype == ECL_DT_INT8) {
        if (!c->n_scales)
            return export_fail_(x, ECL_EUNSUPPORTED,
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
        return export_fail_(x, ECL_EUNSUPPORTED,
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
    if (st == ECL_ESTATE)
        return export_fail_(x, st, "the learner has not learned any class yet%s", "");
    if (st) return export_fail_(x, st, "cannot read the learner's layers (%s)", ecl_status_str(st));
    if (n > (ECL_HEAD_MAX_HIDDEN + 1)) return export_fail_(x, ECL_ERANGE, "too many layers%s", "");
    for (uint32_t i = 0; i < n; i++) {
        struct ecl_learner_layer L;
        ecl_learner_layer_shape(l, i, &L);
        float *w = malloc((size_t)L.in * L.out * sizeof(float)), *b = malloc(L.out * sizeof(float));
        x->owned[x->n_owned++] = w;
        x->owned[x->n_owned++] = b;
        if (!w || !b) return export_fail_(x, ECL_EOOM, "out of memory%s", "");
        if ((st = ecl_learner_layer_get(l, i, w, b)))
            return export_fail_(x, st, "cannot read the learner's layers (%s)", ecl_status_str(st));
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
    uint8_t *meta = NULL;
    enum ecl_status st;
    memset(&x, 0, sizeof x);
    x.err = err;
    x.errlen = errlen;
    x.m = &m;
    *out = NULL;
    *out_len = 0;
    fbw_init(&w);
    if (!l || !model) return export_fail_(&x, ECL_EINVAL, "nothing to export%s", "");
    if ((st = ecl_model_parse(model, model_len, &m, e2, sizeof e2)))
        return export_fail_(&x, st, "%s", e2);
    x.b.p = m.buf;
    x.b.n = m.len;
    int32_t cut = opts.cut >= 0 ? opts.cut : ecl_model_output(&m);
    if ((uint32_t)opts.cut >= ecl_model_n_tensors(&m) && opts.cut >= 0)
        return export_fail_(&x, ECL_ENOTFOUND, "the model has no tensor %s", "with that index");
    if (cut < 0) return export_fail_(&x, ECL_EINVAL, "the model has no output tensor%s", "");
    /* room for the copied graph plus at most 3 + 3 per layer new tensors and 3 + layers ops */
    x.ct = m.n_tensors + 8 + 3 * (ECL_HEAD_MAX_HIDDEN + 1);
    x.cop = m.n_ops + 4 + (ECL_HEAD_MAX_HIDDEN + 1);
    x.t = malloc(x.ct * sizeof *x.t);
    x.op = malloc(x.cop * sizeof *x.op);
    labels = export_labels(l);
    if (!x.t || !x.op || !labels) {
        st = export_fail_(&x, ECL_EOOM, "out of memory%s", "");
        goto done;
    }
    int32_t cut_new = -1, in_new = -1, out_t = -1;
    if ((st = copy_backbone(&x, cut, &cut_new, &in_new))) goto done;
    if ((st = add_classifier(&x, cut_new, &opts, l, &out_t))) goto done;
    const struct ecl_learner_params *p = ecl_learner_params(l);
    snprintf(desc, sizeof desc, "edgecl %s classifier (%u classes) on '%s'",
             ecl_learner_kind_name(p->kind), ecl_learner_n_classes(l), x.t[cut_new].name);
    const struct xt *in = &x.t[in_new];
    struct export_meta mi = {in->ndims == 4 ? in->dims[2] : 0,
                             in->ndims == 4 ? in->dims[1] : 0,
                             opts.has_norm && in->type == ECL_DT_FLOAT32,
                             opts.mean,
                             opts.std,
                             opts.has_norm && in->type == ECL_DT_FLOAT32
                                 ? "RGB image, resized to the input, (pixel - mean) / std"
                                 : "RGB image, resized to the input, pixels as they are",
                             opts.description ? opts.description : desc};
    size_t meta_len = 0, len = 0;
    meta = export_metadata_(&mi, &meta_len);
    uint32_t root;
    if (!meta) {
        st = export_fail_(&x, ECL_EOOM, "out of memory%s", "");
        goto done;
    }
    if ((st = export_write_model_(&x, &w, in_new, out_t, meta, meta_len, mi.desc, &root)))
        goto done;
    const uint8_t *fb = fbw_finish(&w, root, "TFL3", &len);
    if (!fb || !(*out = export_zip_append_(fb, len, EXPORT_LABELS_FILE, labels, strlen(labels),
                                           out_len))) {
        st = export_fail_(&x, ECL_EOOM, "out of memory%s", "");
        goto done;
    }
done:
    for (int i = 0; i < x.n_owned; i++)
        free(x.owned[i]);
    free(x.t);
    free(x.op);
    free(labels);
    free(meta);
    fbw_free(&w);
    return st;
}

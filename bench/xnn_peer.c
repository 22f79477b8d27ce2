/* bench/xnn_peer.c - a .tflite network rebuilt through XNNPACK's subgraph API (see xnn_peer.h).
 * One table maps TFLite operators to XNNPACK nodes; values are defined lazily, with the model's
 * tensor index as their external id, constant data pointing into the model's buffer. */
#include "xnn_peer.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthreadpool.h>
#include <xnnpack.h>
#include "tflite/tfl.h"

struct xnn_peer {
    const struct ecl_model *m;
    xnn_subgraph_t sg;
    xnn_runtime_t rt;
    pthreadpool_t pool;
    uint32_t *ids;  /* per model tensor: XNNPACK value id, XNN_INVALID_VALUE_ID if none */
    float **scales; /* per model tensor: per-channel scales kept alive for XNNPACK */
    void *in_buf;   /* the graph's input when a host QUANTIZE runs first */
    void *out_buf;  /* the graph's output */
    size_t in_bytes, out_bytes, first_bytes;
    float q_mul; /* host QUANTIZE: out = round((in - zp_in) * q_mul) + zp_out */
    int32_t q_zp_in, q_zp_out, q_min, q_max, q_same_scale;
    struct xnn_peer_info info;
};

struct ctx {
    struct xnn_peer *x;
    const struct tfl_op *op;
    int32_t in[ECL_MAX_OP_INPUTS], out[4];
    int n_in, n_out;
    const char *why; /* failure reason */
};

static const char *status_name(enum xnn_status s) {
    static const char *const names[] = {
        "success",       "uninitialized",         "invalid parameter",
        "invalid state", "unsupported parameter", "unsupported hardware",
        "out of memory"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "error";
}

static size_t tensor_bytes(const struct ecl_tensor_info *ti) {
    size_t n = ecl_tfl_dtype_size(ti->type);
    for (int d = 0; d < ti->ndims; d++)
        n *= (size_t)ti->dims[d];
    return n;
}

/* ------------------------------------------------------------------ values */
/* Defines tensor t (once) with its own dims, or with dims/ndims when ndims > 0. */
static int value_dims(struct ctx *c, int32_t t, int ndims, const size_t *dims, uint32_t flags) {
    struct xnn_peer *x = c->x;
    if (t < 0) return 1;
    if (x->ids[t] != XNN_INVALID_VALUE_ID) return 1;
    struct tfl_tensor tt;
    if (!ecl_tfl_read_tensor(x->m, t, &tt)) return c->why = "unreadable tensor", 0;
    size_t d[ECL_MAX_DIMS];
    if (ndims <= 0) {
        ndims = tt.info.ndims;
        for (int k = 0; k < ndims; k++)
            d[k] = (size_t)tt.info.dims[k];
        dims = d;
    }
    const struct ecl_tensor_info *ti = &tt.info;
    const void *data = tt.data;
    uint32_t id = (uint32_t)t;
    enum xnn_status st = xnn_status_unsupported_parameter;
    struct fb_buf b = {x->m->buf, x->m->len};
    if (ti->n_scales > 1) { /* per channel: int8 weights (qc8) or their int32 biases */
        float *s = malloc((size_t)ti->n_scales * sizeof *s);
        if (!s) return c->why = "out of memory", 0;
        for (int32_t k = 0; k < ti->n_scales; k++)
            s[k] = fb_vec_f32(&b, &tt.scales, (uint32_t)k);
        x->scales[t] = s;
        enum xnn_datatype dt = ti->type == ECL_DT_INT8    ? xnn_datatype_qcint8
                               : ti->type == ECL_DT_INT32 ? xnn_datatype_qcint32
                                                          : xnn_datatype_invalid;
        st = xnn_define_channelwise_quantized_tensor_value(
            x->sg, dt, s, (size_t)ndims, (size_t)ti->quant_dim, dims, data, id, flags, &id);
    } else if (ti->type == ECL_DT_FLOAT32) {
        st = xnn_define_tensor_value(x->sg, xnn_datatype_fp32, (size_t)ndims, dims, data, id, flags,
                                     &id);
    } else if (ti->n_scales == 1) {
        enum xnn_datatype dt = ti->type == ECL_DT_UINT8   ? xnn_datatype_quint8
                               : ti->type == ECL_DT_INT8  ? xnn_datatype_qint8
                               : ti->type == ECL_DT_INT32 ? xnn_datatype_qint32
                                                          : xnn_datatype_invalid;
        st = xnn_define_quantized_tensor_value(x->sg, dt, ti->zero_point, ti->scale, (size_t)ndims,
                                               dims, data, id, flags, &id);
    } else {
        return c->why = "a tensor type XNNPACK has no value for", 0;
    }
    if (st != xnn_status_success) return c->why = "XNNPACK refused a tensor of this type", 0;
    x->ids[t] = id;
    return 1;
}

static int value(struct ctx *c, int32_t t) {
    return value_dims(c, t, 0, NULL, 0);
}

static uint32_t vid(const struct ctx *c, int32_t t) {
    return t < 0 ? XNN_INVALID_VALUE_ID : c->x->ids[t];
}

static struct fb_buf opts_buf(const struct ctx *c) {
    struct fb_buf b = {c->x->m->buf, c->x->m->len};
    return b;
}

static int32_t opt_i32(const struct ctx *c, uint32_t field, int32_t def) {
    struct fb_buf b = opts_buf(c);
    int32_t v = def;
    if (c->op->has_opts) fb_i32(&b, &c->op->opts, field, def, &v);
    return v;
}

static int opt_u8(const struct ctx *c, uint32_t field, int def) {
    struct fb_buf b = opts_buf(c);
    uint8_t v = (uint8_t)def;
    if (c->op->has_opts) fb_u8(&b, &c->op->opts, field, (uint8_t)def, &v);
    return v;
}

/* TFLite fused activation -> XNNPACK output range (real values; XNNPACK quantises them). */
static int act_range(struct ctx *c, int act, float *lo, float *hi) {
    static const float r[4][2] = {{-INFINITY, INFINITY}, {0, INFINITY}, {-1, 1}, {0, 6}};
    if (act < 0 || act > 3) return c->why = "a fused activation XNNPACK cannot clamp", 0;
    *lo = r[act][0], *hi = r[act][1];
    return 1;
}

static int done(struct ctx *c, enum xnn_status st, const char *what) {
    static char buf[160];
    if (st == xnn_status_success) return 1;
    snprintf(buf, sizeof buf, "%s: %s", what, status_name(st));
    c->why = buf;
    return 0;
}

static struct ecl_tensor_info tinfo(const struct ctx *c, int32_t t) {
    struct ecl_tensor_info ti;
    memset(&ti, 0, sizeof ti);
    ecl_model_tensor_info(c->x->m, t, &ti);
    return ti;
}

/* ------------------------------------------------------------------ operators */
static int def_conv(struct ctx *c, int dw) {
    if (c->n_in < 2) return c->why = "too few inputs", 0;
    for (int k = 0; k < 3 && k < c->n_in; k++)
        if (!value(c, c->in[k])) return 0;
    if (!value(c, c->out[0])) return 0;
    struct ecl_tensor_info in = tinfo(c, c->in[0]), w = tinfo(c, c->in[1]);
    if (in.ndims != 4 || w.ndims != 4) return c->why = "not 4-D", 0;
    int same = opt_u8(c, 0, PAD_SAME) == PAD_SAME;
    uint32_t sw = (uint32_t)opt_i32(c, 1, 1), sh = (uint32_t)opt_i32(c, 2, 1);
    int act = opt_u8(c, dw ? 4 : 3, ACT_NONE);
    uint32_t dlw = (uint32_t)opt_i32(c, dw ? 5 : 4, 1), dlh = (uint32_t)opt_i32(c, dw ? 6 : 5, 1);
    float lo, hi;
    if (!act_range(c, act, &lo, &hi)) return 0;
    uint32_t fl = same ? XNN_FLAG_TENSORFLOW_SAME_PADDING : 0;
    int32_t bias = c->n_in > 2 ? c->in[2] : -1;
    enum xnn_status st;
    if (dw) {
        size_t cin = (size_t)in.dims[3];
        uint32_t dm = (uint32_t)((size_t)w.dims[3] / (cin ? cin : 1));
        st = xnn_define_depthwise_convolution_2d(
            c->x->sg, 0, 0, 0, 0, (uint32_t)w.dims[1], (uint32_t)w.dims[2], sh, sw, dlh, dlw, dm,
            cin, lo, hi, vid(c, c->in[0]), vid(c, c->in[1]), vid(c, bias), vid(c, c->out[0]), fl);
        return done(c, st, "xnn_define_depthwise_convolution_2d");
    }
    st = xnn_define_convolution_2d(c->x->sg, 0, 0, 0, 0, (uint32_t)w.dims[1], (uint32_t)w.dims[2],
                                   sh, sw, dlh, dlw, 1, (size_t)w.dims[3], (size_t)w.dims[0], lo,
                                   hi, vid(c, c->in[0]), vid(c, c->in[1]), vid(c, bias),
                                   vid(c, c->out[0]), fl);
    return done(c, st, "xnn_define_convolution_2d");
}

static int def_conv2d(struct ctx *c) {
    return def_conv(c, 0);
}
static int def_dwconv(struct ctx *c) {
    return def_conv(c, 1);
}

static int def_fc(struct ctx *c) {
    if (c->n_in < 2) return c->why = "too few inputs", 0;
    if (opt_u8(c, 1, 0) != 0) return c->why = "shuffled weights format", 0;
    for (int k = 0; k < 3 && k < c->n_in; k++)
        if (!value(c, c->in[k])) return 0;
    if (!value(c, c->out[0])) return 0;
    float lo, hi;
    if (!act_range(c, opt_u8(c, 0, ACT_NONE), &lo, &hi)) return 0;
    int32_t bias = c->n_in > 2 ? c->in[2] : -1;
    enum xnn_status st =
        xnn_define_fully_connected(c->x->sg, lo, hi, vid(c, c->in[0]), vid(c, c->in[1]),
                                   vid(c, bias), vid(c, c->out[0]), XNN_FLAG_TENSORFLOW_RESHAPE_2D);
    return done(c, st, "xnn_define_fully_connected");
}

static int def_add(struct ctx *c) {
    if (c->n_in < 2 || !value(c, c->in[0]) || !value(c, c->in[1]) || !value(c, c->out[0]))
        return c->why ? 0 : (c->why = "too few inputs", 0);
    float lo, hi;
    if (!act_range(c, opt_u8(c, 0, ACT_NONE), &lo, &hi)) return 0;
    enum xnn_status st =
        xnn_define_add2(c->x->sg, lo, hi, vid(c, c->in[0]), vid(c, c->in[1]), vid(c, c->out[0]), 0);
    return done(c, st, "xnn_define_add2");
}

/* Global average pooling: output defined as [N,1,1,C] whatever the model's rank. */
static int gap(struct ctx *c, float lo, float hi) {
    struct ecl_tensor_info in = tinfo(c, c->in[0]);
    if (in.ndims != 4) return c->why = "not 4-D", 0;
    size_t d[4] = {(size_t)in.dims[0], 1, 1, (size_t)in.dims[3]};
    if (!value(c, c->in[0]) || !value_dims(c, c->out[0], 4, d, 0)) return 0;
    enum xnn_status st = xnn_define_global_average_pooling_2d(c->x->sg, lo, hi, vid(c, c->in[0]),
                                                              vid(c, c->out[0]), 0);
    return done(c, st, "xnn_define_global_average_pooling_2d");
}

static int def_mean(struct ctx *c) {
    struct tfl_tensor ax;
    if (c->n_in < 2 || !ecl_tfl_read_tensor(c->x->m, c->in[1], &ax) || !ax.data ||
        ax.info.type != ECL_DT_INT32 || ax.data_len != 8)
        return c->why = "MEAN axes other than a constant [1, 2]", 0;
    int32_t a[2];
    memcpy(a, ax.data, 8);
    if (!((a[0] == 1 && a[1] == 2) || (a[0] == 2 && a[1] == 1)))
        return c->why = "MEAN over axes other than H, W", 0;
    return gap(c, -INFINITY, INFINITY);
}

static int def_avgpool(struct ctx *c) {
    struct ecl_tensor_info in = tinfo(c, c->in[0]);
    int same = opt_u8(c, 0, PAD_SAME) == PAD_SAME;
    int32_t sw = opt_i32(c, 1, 1), sh = opt_i32(c, 2, 1), fw = opt_i32(c, 3, 1),
            fh = opt_i32(c, 4, 1);
    float lo, hi;
    if (!act_range(c, opt_u8(c, 5, ACT_NONE), &lo, &hi)) return 0;
    if (in.ndims == 4 && fh == in.dims[1] && fw == in.dims[2] && !same) return gap(c, lo, hi);
    if (!value(c, c->in[0]) || !value(c, c->out[0])) return 0;
    enum xnn_status st = xnn_define_average_pooling_2d(
        c->x->sg, 0, 0, 0, 0, (uint32_t)fh, (uint32_t)fw, (uint32_t)sh, (uint32_t)sw, lo, hi,
        vid(c, c->in[0]), vid(c, c->out[0]), same ? XNN_FLAG_TENSORFLOW_SAME_PADDING : 0);
    return done(c, st, "xnn_define_average_pooling_2d");
}

static int def_reshape(struct ctx *c) {
    struct ecl_tensor_info o = tinfo(c, c->out[0]);
    size_t d[ECL_MAX_DIMS];
    for (int k = 0; k < o.ndims; k++)
        d[k] = (size_t)o.dims[k];
    if (!value(c, c->in[0]) || !value(c, c->out[0])) return 0;
    enum xnn_status st = xnn_define_static_reshape(c->x->sg, (size_t)o.ndims, d, vid(c, c->in[0]),
                                                   vid(c, c->out[0]), 0);
    return done(c, st, "xnn_define_static_reshape");
}

static int def_softmax(struct ctx *c) {
    struct fb_buf b = opts_buf(c);
    float beta = 1.0f;
    if (c->op->has_opts) fb_f32(&b, &c->op->opts, 0, 1.0f, &beta);
    if (beta != 1.0f) return c->why = "SOFTMAX with beta != 1", 0;
    if (!value(c, c->in[0]) || !value(c, c->out[0])) return 0;
    return done(c, xnn_define_softmax(c->x->sg, vid(c, c->in[0]), vid(c, c->out[0]), 0),
                "xnn_define_softmax");
}

static int def_pad(struct ctx *c) {
    struct tfl_tensor p;
    struct ecl_tensor_info in = tinfo(c, c->in[0]);
    if (c->n_in < 2 || !ecl_tfl_read_tensor(c->x->m, c->in[1], &p) || !p.data ||
        p.info.type != ECL_DT_INT32 || p.data_len != (size_t)in.ndims * 8)
        return c->why = "PAD without constant int32 paddings", 0;
    size_t pre[ECL_MAX_DIMS], post[ECL_MAX_DIMS];
    for (int k = 0; k < in.ndims; k++) {
        int32_t v[2];
        memcpy(v, p.data + 8 * k, 8);
        pre[k] = (size_t)v[0], post[k] = (size_t)v[1];
    }
    if (!value(c, c->in[0]) || !value(c, c->out[0])) return 0;
    /* the pad value is real 0 (XNNPACK quantises it with the output's parameters) */
    return done(c,
                xnn_define_static_constant_pad(c->x->sg, pre, post, 0.0f, vid(c, c->in[0]),
                                               vid(c, c->out[0]), 0),
                "xnn_define_static_constant_pad");
}

static int def_convert(struct ctx *c) {
    if (!value(c, c->in[0]) || !value(c, c->out[0])) return 0;
    return done(c, xnn_define_convert(c->x->sg, vid(c, c->in[0]), vid(c, c->out[0]), 0),
                "xnn_define_convert");
}

static const struct {
    int32_t builtin;
    int (*def)(struct ctx *c);
} OPS[] = {
    {ECL_OP_CONV_2D, def_conv2d},     {ECL_OP_DEPTHWISE_CONV_2D, def_dwconv},
    {ECL_OP_FULLY_CONNECTED, def_fc}, {ECL_OP_ADD, def_add},
    {ECL_OP_MEAN, def_mean},          {ECL_OP_AVERAGE_POOL_2D, def_avgpool},
    {ECL_OP_RESHAPE, def_reshape},    {ECL_OP_SQUEEZE, def_reshape},
    {ECL_OP_SOFTMAX, def_softmax},    {ECL_OP_PAD, def_pad},
    {ECL_OP_QUANTIZE, def_convert},   {ECL_OP_DEQUANTIZE, def_convert},
};

/* ------------------------------------------------------------------ graph */
static const char *type_name(int32_t type) {
    return type == ECL_DT_UINT8     ? "uint8"
           : type == ECL_DT_INT8    ? "int8"
           : type == ECL_DT_FLOAT32 ? "float32"
                                    : "other types";
}

static int32_t op_tensors(const struct ecl_model *m, const struct tfl_op *op, struct ctx *c) {
    struct fb_buf b = {m->buf, m->len};
    c->n_in = (int)(op->inputs.len < ECL_MAX_OP_INPUTS ? op->inputs.len : ECL_MAX_OP_INPUTS);
    c->n_out = (int)(op->outputs.len < 4 ? op->outputs.len : 4);
    for (int k = 0; k < c->n_in; k++)
        c->in[k] = fb_vec_i32(&b, &op->inputs, (uint32_t)k);
    for (int k = 0; k < c->n_out; k++)
        c->out[k] = fb_vec_i32(&b, &op->outputs, (uint32_t)k);
    return c->n_out;
}

static void reset_values(struct xnn_peer *x) {
    uint32_t nt = ecl_model_n_tensors(x->m);
    for (uint32_t t = 0; t < nt; t++) {
        x->ids[t] = XNN_INVALID_VALUE_ID;
        free(x->scales[t]);
        x->scales[t] = NULL;
    }
    if (x->sg) xnn_delete_subgraph(x->sg);
    x->sg = NULL;
}

/* Defines ops [first_op, limit) from first tensor to last tensor. Returns -1 when all were
 * defined, else the index of the op XNNPACK could not take (reason in info.stop). */
static int32_t define_graph(struct xnn_peer *x, int32_t first_op, int32_t limit, int32_t last,
                            char *err, size_t errlen) {
    reset_values(x);
    struct ctx c = {.x = x};
    if (xnn_create_subgraph(ecl_model_n_tensors(x->m), 0, &x->sg) != xnn_status_success) {
        snprintf(err, errlen, "xnn_create_subgraph failed");
        return -2;
    }
    if (!value_dims(&c, x->info.first_tensor, 0, NULL, XNN_VALUE_FLAG_EXTERNAL_INPUT) ||
        !value_dims(&c, last, 0, NULL, XNN_VALUE_FLAG_EXTERNAL_OUTPUT)) {
        snprintf(err, errlen, "input/output tensor: %s", c.why);
        return -2;
    }
    for (int32_t i = first_op; i < limit; i++) {
        struct tfl_op op;
        if (!ecl_tfl_read_op(x->m, i, &op)) {
            snprintf(err, errlen, "operator %d: unreadable", (int)i);
            return -2;
        }
        c.op = &op;
        c.why = NULL;
        op_tensors(x->m, &op, &c);
        const char *name = ecl_builtin_name(op.builtin);
        int (*def)(struct ctx *) = NULL;
        for (size_t k = 0; k < sizeof OPS / sizeof OPS[0]; k++)
            if (OPS[k].builtin == op.builtin) def = OPS[k].def;
        if (!def || c.n_in < 1 || c.n_out < 1 || !def(&c)) {
            struct ecl_tensor_info ti = tinfo(&c, c.n_in > 0 ? c.in[0] : 0);
            struct ecl_tensor_info wi = tinfo(&c, c.n_in > 1 ? c.in[1] : 0);
            int hybrid = c.n_in > 1 && wi.is_const && wi.type != ti.type; /* int8 weights */
            snprintf(x->info.stop, sizeof x->info.stop, "%s on %s%s: %s", name, type_name(ti.type),
                     hybrid ? " with int8 weights (hybrid)" : "",
                     def ? (c.why ? c.why : "refused") : "no XNNPACK node for it");
            return i;
        }
    }
    return -1;
}

/* A leading QUANTIZE of the model input: done on the host (XNNPACK of this version converts
 * only between float and 8-bit, not uint8 -> int8). */
static int host_quantize(struct xnn_peer *x, int32_t *first_op) {
    struct tfl_op op;
    struct ctx c = {.x = x};
    if (ecl_model_n_ops(x->m) < 2 || !ecl_tfl_read_op(x->m, 0, &op)) return 0;
    if (op.builtin != ECL_OP_QUANTIZE || op_tensors(x->m, &op, &c) < 1) return 0;
    struct ecl_tensor_info a = tinfo(&c, c.in[0]), b = tinfo(&c, c.out[0]);
    if (c.in[0] != x->info.input_tensor || a.type == ECL_DT_FLOAT32 || b.type != ECL_DT_INT8 ||
        a.n_scales != 1 || b.n_scales != 1)
        return 0;
    x->info.host_quantize = 1;
    x->info.first_tensor = c.out[0];
    x->q_mul = a.scale / b.scale;
    x->q_same_scale = a.scale == b.scale;
    x->q_zp_in = a.zero_point, x->q_zp_out = b.zero_point;
    x->q_min = -128, x->q_max = 127;
    *first_op = 1;
    return 1;
}

static enum ecl_status fail(struct xnn_peer *x, enum ecl_status st) {
    xnn_peer_destroy(x);
    return st;
}

enum ecl_status xnn_peer_create(const struct ecl_model *m, int threads, struct xnn_peer **out,
                                char *err, size_t errlen) {
    *out = NULL;
    if (xnn_initialize(NULL) != xnn_status_success) {
        snprintf(err, errlen, "xnn_initialize failed (CPU without SSE2?)");
        return ECL_EUNSUPPORTED;
    }
    struct xnn_peer *x = calloc(1, sizeof *x);
    uint32_t nt = ecl_model_n_tensors(m);
    if (!x) return ECL_EOOM;
    x->m = m;
    x->ids = malloc(nt * sizeof *x->ids);
    x->scales = calloc(nt, sizeof *x->scales);
    if (!x->ids || !x->scales) return fail(x, ECL_EOOM);
    x->info.threads = threads < 1 ? 1 : threads;
    x->info.input_tensor = x->info.first_tensor = ecl_model_input(m);
    x->info.stop_op = -1;
    int32_t first_op = 0, limit = (int32_t)ecl_model_n_ops(m), last = ecl_model_output(m);
    host_quantize(x, &first_op);
    int32_t stop = define_graph(x, first_op, limit, last, err, errlen);
    if (stop >= 0) { /* end the graph before the op XNNPACK cannot take, at its input */
        struct tfl_op op;
        struct ctx c = {.x = x};
        if (stop == first_op || !ecl_tfl_read_op(m, stop, &op) || op_tensors(m, &op, &c) < 1) {
            snprintf(err, errlen, "XNNPACK cannot take operator %d (%s)", (int)stop, x->info.stop);
            return fail(x, ECL_EUNSUPPORTED);
        }
        x->info.stop_op = stop;
        char why[sizeof x->info.stop];
        memcpy(why, x->info.stop, sizeof why);
        last = c.in[0];
        limit = stop;
        if (define_graph(x, first_op, limit, last, err, errlen) != -1) {
            snprintf(err, errlen, "XNNPACK graph up to operator %d failed: %s", (int)stop,
                     x->info.stop);
            return fail(x, ECL_EUNSUPPORTED);
        }
        memcpy(x->info.stop, why, sizeof why);
    } else if (stop == -2) {
        return fail(x, ECL_EFORMAT);
    }
    x->info.last_tensor = last;
    x->info.n_ops = limit - first_op;
    if (x->info.threads > 1) x->pool = pthreadpool_create((size_t)x->info.threads);
    enum xnn_status st = xnn_create_runtime_v2(x->sg, x->pool, 0, &x->rt);
    if (st != xnn_status_success) {
        snprintf(err, errlen, "xnn_create_runtime_v2: %s", status_name(st));
        return fail(x, ECL_EUNSUPPORTED);
    }
    struct ecl_tensor_info in, fi, lo;
    ecl_model_tensor_info(m, x->info.input_tensor, &in);
    ecl_model_tensor_info(m, x->info.first_tensor, &fi);
    ecl_model_tensor_info(m, last, &lo);
    x->in_bytes = tensor_bytes(&in);
    x->first_bytes = tensor_bytes(&fi);
    x->out_bytes = tensor_bytes(&lo);
    x->in_buf = calloc(1, x->first_bytes + XNN_EXTRA_BYTES);
    x->out_buf = calloc(1, x->out_bytes + XNN_EXTRA_BYTES);
    if (!x->in_buf || !x->out_buf) return fail(x, ECL_EOOM);
    struct xnn_external_value ev[2] = {{x->ids[x->info.first_tensor], x->in_buf},
                                       {x->ids[last], x->out_buf}};
    if ((st = xnn_setup_runtime(x->rt, 2, ev)) != xnn_status_success) {
        snprintf(err, errlen, "xnn_setup_runtime: %s", status_name(st));
        return fail(x, ECL_EUNSUPPORTED);
    }
    *out = x;
    return ECL_OK;
}

void xnn_peer_get_info(const struct xnn_peer *x, struct xnn_peer_info *info) {
    *info = x->info;
}

enum ecl_status xnn_peer_run(struct xnn_peer *x, const void *input, size_t bytes) {
    if (bytes != x->in_bytes) return ECL_EINVAL;
    if (!x->info.host_quantize) {
        memcpy(x->in_buf, input, bytes);
    } else {
        const uint8_t *u = input;
        int8_t *q = x->in_buf;
        int32_t shift = x->q_zp_out - x->q_zp_in;
        for (size_t i = 0; i < bytes; i++) {
            int32_t v =
                x->q_same_scale
                    ? (int32_t)u[i] + shift
                    : (int32_t)lrintf((float)((int32_t)u[i] - x->q_zp_in) * x->q_mul) + x->q_zp_out;
            q[i] = (int8_t)(v < x->q_min ? x->q_min : v > x->q_max ? x->q_max : v);
        }
    }
    return xnn_invoke_runtime(x->rt) == xnn_status_success ? ECL_OK : ECL_EINVAL;
}

const void *xnn_peer_output(const struct xnn_peer *x, size_t *bytes) {
    *bytes = x->out_bytes;
    return x->out_buf;
}

void xnn_peer_destroy(struct xnn_peer *x) {
    if (!x) return;
    if (x->rt) xnn_delete_runtime(x->rt);
    if (x->ids && x->scales) reset_values(x);
    if (x->pool) pthreadpool_destroy(x->pool);
    free(x->ids), free(x->scales), free(x->in_buf), free(x->out_buf);
    free(x);
}

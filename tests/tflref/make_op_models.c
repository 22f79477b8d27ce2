/* make_op_models.c - small single-op .tflite models for the TFLite reference comparison
 * (issue 9 item 4). Each row of cases[] is one model: an op, a type (float32, uint8, int8) and
 * its edge cases (odd sizes, strides 2, SAME/VALID, dilation, depth multiplier, per-channel
 * int8, zero points at the ends of the range, broadcasting). Writes into DIR:
 * <name>.tflite, <name>_in<k>.bin (deterministic pseudo-random inputs) and cases.txt in the
 * format of tools/tflite_ref/make_inputs.c. Deterministic: rerunning gives the same bytes.
 *
 *   build/tflref_make_op_models tests/data/tflite_ref/ops
 *   node tools/tflite_ref/run_tflite.mjs --cases tests/data/tflite_ref/ops/cases.txt \
 *        --models tests/data/tflite_ref/ops --out tests/data/tflite_ref/ops/golden
 *
 * Adding a case is one row (and a builder for a new family of ops). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tflite/builtins.h"
#include "tflite_builder.h"

enum { HYBRID = 1 }; /* p.op of a CONV_2D/FULLY_CONNECTED row: dynamic-range weights */

struct p {
    int type;               /* TB_F32, TB_U8, TB_I8 */
    int h, w, c, oc, k;     /* input HxWxC, output channels, kernel side */
    int stride, valid, dil; /* stride, 1 = VALID padding, dilation */
    int dm, act, pc;        /* depth multiplier, fused activation, per-channel weights */
    int zp_in, zp_out;      /* zero points of the input and output */
    int op, bshape;         /* op for the shared builders; broadcast shape variant (conv, dw,
                             * FC: 1 = TIES, MEAN: 1 = output scale 0.81 x input's) */
};

/* bshape of a CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED row: power-of-two scales (input
 * 2^-6, filter 2^-6 or 2^-7 per channel, output 2^-5), so each requantisation multiplier is
 * exactly 2^-7 or 2^-8 (m = 2^30) and many accumulators are exact ties or one below a tie:
 * where TFLite's single rounding (ruy) and double rounding (its reference kernels) part. With
 * FULLY_CONNECTED it also makes the input 4-D (1 x h x 1 x c), so TFLite's builtin kernel runs
 * (tools/tflite_ref/README.md). */
enum { TIES = 1 };

static uint32_t rng = 12345u;
static uint32_t rnd(void) {
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}
static float rndf(float lo, float hi) {
    return lo + (hi - lo) * ((float)rnd() / 16777216.0f);
}

/* Every buffer handed to the builder must live until tb_finish: keep them in a pool. */
static void *keep[256];
static int n_keep;
static void *hold(size_t n) {
    return keep[n_keep++] = calloc(1, n ? n : 1);
}
static void release(void) {
    while (n_keep)
        free(keep[--n_keep]);
}

static int tsize(int type) {
    return type == TB_F32 || type == TB_I32 ? 4 : 1;
}
static int lo_of(int t) {
    return t == TB_U8 ? 0 : -128;
}
static int hi_of(int t) {
    return t == TB_U8 ? 255 : 127;
}

/* The inputs of the model being built: written as files after tb_finish. */
struct in_rec {
    int tensor, type, ndims;
    int32_t dims[4];
    void *data;
    size_t bytes;
};
static struct in_rec ins[4];
static int n_ins;

static size_t count(int nd, const int32_t *d) {
    size_t n = 1;
    for (int i = 0; i < nd; i++)
        n *= (size_t)d[i];
    return n;
}

/* An activation tensor, quantised when type is; scale s, zero point zp. */
static int act_t(struct tb *b, const char *name, int type, int nd, const int32_t *d, float s,
                 int zp) {
    int t = tb_tensor(b, name, type, nd, d, NULL, 0);
    if (type != TB_F32) tb_quant(b, t, 1, &s, (int64_t[]){zp}, 0);
    return t;
}

/* A model input with random contents over the whole range of its type. */
static int input_t(struct tb *b, const char *name, int type, int nd, const int32_t *d, float s,
                   int zp) {
    int t = act_t(b, name, type, nd, d, s, zp);
    struct in_rec *r = &ins[n_ins++];
    size_t n = count(nd, d);
    r->tensor = t;
    r->type = type;
    r->ndims = nd;
    memcpy(r->dims, d, sizeof(int32_t) * (size_t)nd);
    r->bytes = n * (size_t)tsize(type);
    r->data = hold(r->bytes);
    for (size_t i = 0; i < n; i++) {
        if (type == TB_F32)
            ((float *)r->data)[i] = rndf(-2.0f, 2.0f);
        else
            ((uint8_t *)r->data)[i] =
                (uint8_t)(lo_of(type) + (int)(rnd() % (uint32_t)(hi_of(type) - lo_of(type) + 1)));
    }
    return t;
}

/* Constant weights [dims] (+ per-channel scales along qdim) and a bias [n_b]. */
static int weights_t(struct tb *b, const struct p *p, int nd, const int32_t *d, int qdim,
                     float in_s, int *bias) {
    size_t n = count(nd, d);
    int hybrid = p->type == TB_F32 && p->op == HYBRID; /* int8 weights, float activations */
    int nch = d[qdim], wtype = hybrid ? TB_I8 : p->type;
    void *w = hold(n * (size_t)tsize(wtype));
    float *sc = hold(sizeof(float) * (size_t)nch);
    int64_t *zp = hold(sizeof(int64_t) * (size_t)nch);
    int nq = p->pc ? nch : 1;
    for (int i = 0; i < nch; i++) {
        sc[i] = p->pc ? 0.004f + 0.002f * (float)(i % 5) : 0.005f;
        if (p->bshape == TIES) sc[i] = ldexpf(1.0f, p->pc ? -6 - i % 2 : -6);
        zp[i] =
            p->type == TB_U8 ? (p->zp_in == 255 ? 255 : 120) : 0; /* uint8 weights: asymmetric */
    }
    for (size_t i = 0; i < n; i++) {
        if (wtype == TB_F32)
            ((float *)w)[i] = rndf(-0.5f, 0.5f);
        else if (wtype == TB_U8)
            ((uint8_t *)w)[i] = (uint8_t)(rnd() % 256);
        else
            ((int8_t *)w)[i] = (int8_t)((int)(rnd() % 255) - 127);
    }
    int t = tb_tensor(b, "w", wtype, nd, d, w, n * (size_t)tsize(wtype));
    if (wtype != TB_F32) tb_quant(b, t, nq, sc, zp, qdim);
    int32_t bd[1] = {nch};
    if (p->type == TB_F32) {
        float *bv = hold(sizeof(float) * (size_t)nch);
        for (int i = 0; i < nch; i++)
            bv[i] = rndf(-0.3f, 0.3f);
        *bias = tb_tensor(b, "bias", TB_F32, 1, bd, bv, sizeof(float) * (size_t)nch);
    } else {
        int32_t *bv = hold(sizeof(int32_t) * (size_t)nch);
        float *bs = hold(sizeof(float) * (size_t)nch);
        int64_t *bz = hold(sizeof(int64_t) * (size_t)nch);
        for (int i = 0; i < nch; i++) {
            bv[i] = (int32_t)(rnd() % 2001) - 1000;
            bs[i] = in_s * sc[p->pc ? i : 0];
        }
        *bias = tb_tensor(b, "bias", TB_I32, 1, bd, bv, sizeof(int32_t) * (size_t)nch);
        tb_quant(b, *bias, nq, bs, bz, 0);
    }
    return t;
}

static int out_side(int in, int k, int stride, int valid, int dil) {
    int ek = (k - 1) * dil + 1;
    return valid ? (in - ek + stride) / stride : (in + stride - 1) / stride;
}

/* Quantisation of the input: scale 1/64 (range about +-2), zero point p->zp_in (or mid). */
static float in_scale(const struct p *p) {
    return p->type == TB_F32 ? 1.0f : 4.0f / 255.0f;
}

static void build_conv(struct tb *b, const struct p *p, int depthwise) {
    int32_t di[4] = {1, p->h, p->w, p->c};
    float s = p->bshape == TIES ? 1.0f / 64 : in_scale(p);
    int x = input_t(b, "x", p->type, 4, di, s, p->zp_in);
    int ch = depthwise ? p->c * p->dm : p->oc, bias;
    int32_t dw[4] = {depthwise ? 1 : ch, p->k, p->k, depthwise ? ch : p->c};
    int w = weights_t(b, p, 4, dw, depthwise ? 3 : 0, s, &bias);
    int oh = out_side(p->h, p->k, p->stride, p->valid, p->dil);
    int ow = out_side(p->w, p->k, p->stride, p->valid, p->dil);
    int32_t dout[4] = {1, oh, ow, ch};
    float os = s * 0.005f * sqrtf((float)(p->k * p->k * (depthwise ? 1 : p->c))) * 40.0f;
    if (p->bshape == TIES) os = 1.0f / 32;
    int y = act_t(b, "y", p->type, 4, dout, os, p->zp_out);
    if (depthwise) {
        struct tb_opt o[] = {{0, 1, p->valid}, {1, 4, p->stride}, {2, 4, p->stride}, {3, 4, p->dm},
                             {4, 1, p->act},   {5, 4, p->dil},    {6, 4, p->dil}};
        tb_op(b, ECL_OP_DEPTHWISE_CONV_2D, 3, (int[]){x, w, bias}, y, ECL_BO_DepthwiseConv2DOptions,
              o, 7);
    } else {
        struct tb_opt o[] = {{0, 1, p->valid}, {1, 4, p->stride}, {2, 4, p->stride},
                             {3, 1, p->act},   {4, 4, p->dil},    {5, 4, p->dil}};
        tb_op(b, ECL_OP_CONV_2D, 3, (int[]){x, w, bias}, y, ECL_BO_Conv2DOptions, o, 6);
    }
    tb_io(b, x, y);
}

static void b_conv(struct tb *b, const struct p *p) {
    build_conv(b, p, 0);
}
static void b_dw(struct tb *b, const struct p *p) {
    build_conv(b, p, 1);
}

static void b_fc(struct tb *b, const struct p *p) {
    int32_t di[4] = {p->h, p->c, 0, 0}, di4[4] = {1, p->h, 1, p->c};
    int ties = p->bshape == TIES;
    float s = ties ? 1.0f / 64 : in_scale(p);
    int x = input_t(b, "x", p->type, ties ? 4 : 2, ties ? di4 : di, s, p->zp_in), bias;
    int32_t dw[2] = {p->oc, p->c};
    struct p q = *p;
    q.pc = 0; /* FULLY_CONNECTED: per-tensor weights */
    int w = weights_t(b, &q, 2, dw, 0, s, &bias);
    int32_t dout[2] = {p->h, p->oc};
    float os = ties ? 1.0f / 32 : s * 0.005f * sqrtf((float)p->c) * 40.0f;
    int y = act_t(b, "y", p->type, 2, dout, os, p->zp_out);
    struct tb_opt o[] = {{0, 1, p->act}};
    tb_op(b, ECL_OP_FULLY_CONNECTED, 3, (int[]){x, w, bias}, y, ECL_BO_FullyConnectedOptions, o, 1);
    tb_io(b, x, y);
}

static void b_pool(struct tb *b, const struct p *p) {
    int32_t di[4] = {1, p->h, p->w, p->c};
    float s = in_scale(p);
    int x = input_t(b, "x", p->type, 4, di, s, p->zp_in);
    int32_t dout[4] = {1, out_side(p->h, p->k, p->stride, p->valid, 1),
                       out_side(p->w, p->k, p->stride, p->valid, 1), p->c};
    int y = act_t(b, "y", p->type, 4, dout, s, p->zp_in); /* pools keep the quantisation */
    struct tb_opt o[] = {{0, 1, p->valid}, {1, 4, p->stride}, {2, 4, p->stride},
                         {3, 4, p->k},     {4, 4, p->k},      {5, 1, p->act}};
    tb_op(b, p->op, 1, (int[]){x}, y, ECL_BO_Pool2DOptions, o, 6);
    tb_io(b, x, y);
}

/* ADD/SUB/MUL: a [1,h,w,c] with b of shape: 0 the same, 1 [c], 2 [1,h,1,1], 3 [1,1,w,c]. */
static void b_bin(struct tb *b, const struct p *p) {
    int32_t da[4] = {1, p->h, p->w, p->c};
    int32_t shapes[4][4] = {{1, p->h, p->w, p->c}, {p->c}, {1, p->h, 1, 1}, {1, 1, p->w, p->c}};
    int nds[4] = {4, 1, 4, 4};
    float s = in_scale(p);
    int xa = input_t(b, "a", p->type, 4, da, s, p->zp_in);
    int xb = input_t(b, "b", p->type, nds[p->bshape], shapes[p->bshape], s * 0.75f,
                     p->type == TB_F32 ? 0 : (lo_of(p->type) + hi_of(p->type)) / 2);
    float os = p->op == ECL_OP_MUL ? s * s * 200.0f : s * 1.5f;
    int y = act_t(b, "y", p->type, 4, da, os, p->zp_out);
    struct tb_opt o[] = {{0, 1, p->act}};
    int opt = p->op == ECL_OP_ADD   ? ECL_BO_AddOptions
              : p->op == ECL_OP_SUB ? ECL_BO_SubOptions
                                    : ECL_BO_MulOptions;
    tb_op(b, p->op, 2, (int[]){xa, xb}, y, opt, o, 1);
    tb_io_multi(b, 2, (int[]){xa, xb}, 1, (int[]){y});
}

/* Element-wise ops with one input; the output quantisation TFLite requires where it has one. */
static void b_unary(struct tb *b, const struct p *p) {
    int32_t d[4] = {1, p->h, p->w, p->c};
    int nd = p->op == ECL_OP_SOFTMAX ? 2 : 4;
    int32_t d2[2] = {p->h * p->w, p->c};
    const int32_t *dd = nd == 2 ? d2 : d;
    float s = in_scale(p);
    int in_type = p->op == ECL_OP_QUANTIZE && p->bshape == 0 ? TB_F32 : p->type;
    if (p->op == ECL_OP_QUANTIZE && p->bshape == 1) in_type = p->type == TB_U8 ? TB_I8 : TB_U8;
    int in_zp = in_type == TB_U8 ? (p->zp_in < 0 ? p->zp_in + 128 : p->zp_in) : p->zp_in;
    if (in_type == TB_I8 && in_zp > 127) in_zp -= 128;
    int x = input_t(b, "x", in_type, nd, dd, s, in_zp);
    int out_type = p->op == ECL_OP_DEQUANTIZE ? TB_F32 : p->type;
    float os = s;
    int ozp = p->zp_out;
    int u8 = out_type == TB_U8;
    if (p->op == ECL_OP_LOGISTIC || p->op == ECL_OP_SOFTMAX) os = 1.0f / 256, ozp = u8 ? 0 : -128;
    if (p->op == ECL_OP_TANH) os = 1.0f / 128, ozp = u8 ? 128 : 0;
    if (p->op == ECL_OP_RELU6 || p->op == ECL_OP_RELU) os = 6.0f / 255, ozp = u8 ? 0 : -128;
    if (p->op == ECL_OP_QUANTIZE && p->bshape == 1) os = s * 1.25f; /* requantise */
    int y = act_t(b, "y", out_type, nd, dd, os, ozp);
    static const struct tb_opt beta[] = {{0, 4, 0x3f800000}}; /* 1.0f */
    if (p->op == ECL_OP_SOFTMAX)
        tb_op(b, p->op, 1, (int[]){x}, y, ECL_BO_SoftmaxOptions, beta, 1);
    else
        tb_op(b, p->op, 1, (int[]){x}, y, 0, NULL, 0);
    tb_io(b, x, y);
}

static void b_mean(struct tb *b, const struct p *p) {
    int32_t d[4] = {1, p->h, p->w, p->c}, da[1] = {2}, dout[4] = {1, 1, 1, p->c};
    float s = in_scale(p);
    int x = input_t(b, "x", p->type, 4, d, s, p->zp_in);
    int32_t *axes = hold(2 * sizeof(int32_t));
    axes[0] = 1;
    axes[1] = 2;
    int ax = tb_tensor(b, "axes", TB_I32, 1, da, axes, 2 * sizeof(int32_t));
    int y = act_t(b, "y", p->type, 4, dout, s * (p->bshape ? 0.81f : 0.5f), p->zp_out);
    struct tb_opt o[] = {{0, 1, 1}}; /* keep_dims */
    tb_op(b, ECL_OP_MEAN, 2, (int[]){x, ax}, y, ECL_BO_ReducerOptions, o, 1);
    tb_io(b, x, y);
}

static void b_concat(struct tb *b, const struct p *p) {
    int32_t da[4] = {1, p->h, p->w, p->c}, db[4] = {1, p->h, p->w, p->oc};
    int32_t dout[4] = {1, p->h, p->w, p->c + p->oc};
    float s = in_scale(p);
    int xa = input_t(b, "a", p->type, 4, da, s, p->zp_in);
    /* int8 CONCATENATION must keep one quantisation (TFLite refuses others); uint8 requantises */
    int i8 = p->type == TB_I8;
    int xb = input_t(b, "b", p->type, 4, db, i8 ? s : s * 0.5f, i8 ? p->zp_in : p->zp_out);
    int y = act_t(b, "y", p->type, 4, dout, s, p->zp_in);
    struct tb_opt o[] = {{0, 4, 3}, {1, 1, 0}};
    tb_op(b, ECL_OP_CONCATENATION, 2, (int[]){xa, xb}, y, ECL_BO_ConcatenationOptions, o, 2);
    tb_io_multi(b, 2, (int[]){xa, xb}, 1, (int[]){y});
}

static void b_pad(struct tb *b, const struct p *p) {
    int32_t d[4] = {1, p->h, p->w, p->c}, dp[2] = {4, 2};
    int32_t *pads = hold(8 * sizeof(int32_t));
    int32_t pv[8] = {0, 0, 1, 2, 2, 1, 0, 0};
    memcpy(pads, pv, sizeof pv);
    int32_t dout[4] = {1, p->h + 3, p->w + 3, p->c};
    float s = in_scale(p);
    int x = input_t(b, "x", p->type, 4, d, s, p->zp_in);
    int pt = tb_tensor(b, "pads", TB_I32, 2, dp, pads, 8 * sizeof(int32_t));
    int y = act_t(b, "y", p->type, 4, dout, s, p->zp_in);
    tb_op(b, ECL_OP_PAD, 2, (int[]){x, pt}, y, ECL_BO_PadOptions, NULL, 0);
    tb_io(b, x, y);
}

static void b_reshape(struct tb *b, const struct p *p) {
    int32_t d[4] = {1, p->h, p->w, p->c}, ds[1] = {2}, dout[2] = {p->h, p->w * p->c};
    int32_t *shape = hold(2 * sizeof(int32_t));
    shape[0] = p->h;
    shape[1] = p->w * p->c;
    float s = in_scale(p);
    int x = input_t(b, "x", p->type, 4, d, s, p->zp_in);
    int st = tb_tensor(b, "shape", TB_I32, 1, ds, shape, 2 * sizeof(int32_t));
    int y = act_t(b, "y", p->type, 2, dout, s, p->zp_in);
    tb_op(b, ECL_OP_RESHAPE, 2, (int[]){x, st}, y, 0, NULL, 0);
    tb_io(b, x, y);
}

#define F TB_F32
#define U TB_U8
#define I TB_I8
enum { NONE = 0, RELU = 1, RELU6 = 3 };
/* name, builder, {type, h, w, c, oc, k, stride, valid, dil, dm, act, pc, zp_in, zp_out, op,
 * bshape} */
static const struct row {
    const char *name;
    void (*build)(struct tb *, const struct p *);
    struct p p;
} cases[] = {
    {"conv_f32_3x3_s1_same", b_conv, {F, 9, 7, 3, 5, 3, 1, 0, 1, 1, NONE, 0, 0, 0, 0, 0}},
    {"conv_f32_3x3_s2_valid_relu6", b_conv, {F, 9, 8, 4, 6, 3, 2, 1, 1, 1, RELU6, 0, 0, 0, 0, 0}},
    {"conv_f32_3x3_dil2", b_conv, {F, 11, 9, 3, 4, 3, 1, 0, 2, 1, RELU, 0, 0, 0, 0, 0}},
    {"conv_u8_3x3_s2_same", b_conv, {U, 9, 7, 3, 5, 3, 2, 0, 1, 1, NONE, 0, 128, 110, 0, 0}},
    {"conv_u8_1x1_zp0_255", b_conv, {U, 5, 5, 8, 7, 1, 1, 0, 1, 1, RELU6, 0, 0, 255, 0, 0}},
    {"conv_u8_3x3_zp255_0_valid", b_conv, {U, 7, 9, 3, 4, 3, 1, 1, 1, 1, NONE, 0, 255, 0, 0, 0}},
    {"conv_i8_pc_3x3_s1_same", b_conv, {I, 9, 7, 3, 5, 3, 1, 0, 1, 1, NONE, 1, -5, 3, 0, 0}},
    {"conv_i8_pc_3x3_s2_valid", b_conv, {I, 10, 9, 4, 6, 3, 2, 1, 1, 1, RELU6, 1, -128, 127, 0, 0}},
    {"conv_i8_pc_dil2", b_conv, {I, 11, 9, 3, 4, 3, 1, 0, 2, 1, NONE, 1, 127, -128, 0, 0}},
    {"conv_i8_pc_3x3_many", b_conv, {I, 16, 16, 8, 48, 3, 1, 0, 1, 1, NONE, 1, -10, 5, 0, 0}},
    {"conv_i8_pc_1x1_ties", b_conv, {I, 16, 16, 2, 64, 1, 1, 0, 1, 1, NONE, 1, -3, 0, 0, TIES}},
    {"conv_i8_pt_1x1_ties", b_conv, {I, 16, 16, 2, 64, 1, 1, 0, 1, 1, NONE, 0, -3, 0, 0, TIES}},
    {"conv_u8_1x1_ties", b_conv, {U, 16, 16, 2, 64, 1, 1, 0, 1, 1, NONE, 0, 128, 128, 0, TIES}},
    {"conv_hybrid_pc_3x3_s2", b_conv, {F, 9, 7, 8, 6, 3, 2, 0, 1, 1, RELU6, 1, 0, 0, HYBRID, 0}},
    {"conv_hybrid_pt_1x1", b_conv, {F, 7, 7, 16, 12, 1, 1, 0, 1, 1, NONE, 0, 0, 0, HYBRID, 0}},
    {"dw_f32_3x3_s1_same", b_dw, {F, 9, 7, 4, 0, 3, 1, 0, 1, 1, NONE, 0, 0, 0, 0, 0}},
    {"dw_f32_3x3_s2_valid_dm2", b_dw, {F, 9, 8, 3, 0, 3, 2, 1, 1, 2, RELU6, 0, 0, 0, 0, 0}},
    {"dw_f32_dil2", b_dw, {F, 11, 9, 4, 0, 3, 1, 0, 2, 1, NONE, 0, 0, 0, 0, 0}},
    {"dw_u8_3x3_s1_same", b_dw, {U, 9, 7, 4, 0, 3, 1, 0, 1, 1, RELU6, 0, 128, 100, 0, 0}},
    {"dw_u8_3x3_s2_zp0_255", b_dw, {U, 9, 8, 3, 0, 3, 2, 0, 1, 1, NONE, 0, 0, 255, 0, 0}},
    {"dw_u8_dm2_zp255_0_valid", b_dw, {U, 7, 9, 3, 0, 3, 1, 1, 1, 2, NONE, 0, 255, 0, 0, 0}},
    {"dw_i8_pc_3x3_s1_same", b_dw, {I, 9, 7, 4, 0, 3, 1, 0, 1, 1, NONE, 1, 0, -3, 0, 0}},
    {"dw_i8_pc_s2_valid_dm2", b_dw, {I, 10, 9, 3, 0, 3, 2, 1, 1, 2, RELU6, 1, -128, 127, 0, 0}},
    {"dw_i8_pc_dil2", b_dw, {I, 11, 9, 4, 0, 3, 1, 0, 2, 1, NONE, 1, 127, -128, 0, 0}},
    {"dw_i8_pc_1x1_ties", b_dw, {I, 16, 16, 32, 0, 1, 1, 0, 1, 1, NONE, 1, -3, 0, 0, TIES}},
    {"dw_i8_pc_3x3_many", b_dw, {I, 16, 16, 48, 0, 3, 1, 0, 1, 1, RELU6, 1, 7, -128, 0, 0}},
    {"fc_f32", b_fc, {F, 3, 1, 37, 11, 0, 0, 0, 0, 0, NONE, 0, 0, 0, 0, 0}},
    {"fc_hybrid", b_fc, {F, 3, 1, 37, 11, 0, 0, 0, 0, 0, NONE, 0, 0, 0, HYBRID, 0}},
    {"fc_u8_relu", b_fc, {U, 3, 1, 37, 11, 0, 0, 0, 0, 0, RELU, 0, 128, 0, 0, 0}},
    {"fc_i8", b_fc, {I, 3, 1, 37, 11, 0, 0, 0, 0, 0, NONE, 0, -128, 5, 0, 0}},
    {"fc_i8_4d_ties", b_fc, {I, 64, 1, 2, 48, 0, 0, 0, 0, 0, NONE, 0, -3, 0, 0, TIES}},
    {"fc_u8_4d_ties", b_fc, {U, 64, 1, 2, 48, 0, 0, 0, 0, 0, NONE, 0, 128, 128, 0, TIES}},
    {"avgpool_f32_3x3_s2_same",
     b_pool,
     {F, 9, 7, 3, 0, 3, 2, 0, 1, 1, NONE, 0, 0, 0, ECL_OP_AVERAGE_POOL_2D, 0}},
    {"avgpool_u8_2x2_s2_valid",
     b_pool,
     {U, 9, 7, 3, 0, 2, 2, 1, 1, 1, NONE, 0, 255, 0, ECL_OP_AVERAGE_POOL_2D, 0}},
    {"avgpool_i8_3x3_s1_same",
     b_pool,
     {I, 7, 5, 4, 0, 3, 1, 0, 1, 1, NONE, 0, -128, 0, ECL_OP_AVERAGE_POOL_2D, 0}},
    {"maxpool_f32_3x3_s2_valid",
     b_pool,
     {F, 9, 8, 3, 0, 3, 2, 1, 1, 1, NONE, 0, 0, 0, ECL_OP_MAX_POOL_2D, 0}},
    {"maxpool_u8_2x2_s2_same",
     b_pool,
     {U, 9, 7, 3, 0, 2, 2, 0, 1, 1, NONE, 0, 0, 0, ECL_OP_MAX_POOL_2D, 0}},
    {"maxpool_i8_3x3_s2_same",
     b_pool,
     {I, 9, 7, 3, 0, 3, 2, 0, 1, 1, NONE, 0, 127, 0, ECL_OP_MAX_POOL_2D, 0}},
    {"add_f32_same", b_bin, {F, 5, 3, 4, 0, 0, 0, 0, 0, 0, NONE, 0, 0, 0, ECL_OP_ADD, 0}},
    {"add_f32_bcast_c", b_bin, {F, 5, 3, 4, 0, 0, 0, 0, 0, 0, RELU6, 0, 0, 0, ECL_OP_ADD, 1}},
    {"add_u8_same", b_bin, {U, 5, 3, 4, 0, 0, 0, 0, 0, 0, NONE, 0, 0, 128, ECL_OP_ADD, 0}},
    {"add_u8_bcast_h", b_bin, {U, 5, 3, 4, 0, 0, 0, 0, 0, 0, NONE, 0, 255, 100, ECL_OP_ADD, 2}},
    {"add_i8_same", b_bin, {I, 5, 3, 4, 0, 0, 0, 0, 0, 0, NONE, 0, -128, 0, ECL_OP_ADD, 0}},
    {"add_i8_bcast_wc", b_bin, {I, 5, 3, 4, 0, 0, 0, 0, 0, 0, RELU, 0, 127, -20, ECL_OP_ADD, 3}},
    {"sub_f32_bcast_c", b_bin, {F, 5, 3, 4, 0, 0, 0, 0, 0, 0, NONE, 0, 0, 0, ECL_OP_SUB, 1}},
    {"sub_u8_same", b_bin, {U, 5, 3, 4, 0, 0, 0, 0, 0, 0, NONE, 0, 128, 128, ECL_OP_SUB, 0}},
    {"sub_i8_bcast_h", b_bin, {I, 5, 3, 4, 0, 0, 0, 0, 0, 0, NONE, 0, 0, 0, ECL_OP_SUB, 2}},
    {"mul_f32_bcast_wc", b_bin, {F, 5, 3, 4, 0, 0, 0, 0, 0, 0, NONE, 0, 0, 0, ECL_OP_MUL, 3}},
    {"mul_u8_same", b_bin, {U, 5, 3, 4, 0, 0, 0, 0, 0, 0, NONE, 0, 0, 10, ECL_OP_MUL, 0}},
    {"mul_u8_bcast_c", b_bin, {U, 5, 3, 4, 0, 0, 0, 0, 0, 0, NONE, 0, 255, 128, ECL_OP_MUL, 1}},
    {"mul_i8_bcast_c", b_bin, {I, 5, 3, 4, 0, 0, 0, 0, 0, 0, NONE, 0, -128, 0, ECL_OP_MUL, 1}},
    {"softmax_f32", b_unary, {F, 3, 1, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ECL_OP_SOFTMAX, 0}},
    {"softmax_u8", b_unary, {U, 3, 1, 10, 0, 0, 0, 0, 0, 0, 0, 0, 128, 0, ECL_OP_SOFTMAX, 0}},
    {"softmax_i8", b_unary, {I, 3, 1, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ECL_OP_SOFTMAX, 0}},
    {"logistic_f32", b_unary, {F, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ECL_OP_LOGISTIC, 0}},
    {"logistic_u8", b_unary, {U, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 128, 0, ECL_OP_LOGISTIC, 0}},
    {"logistic_i8", b_unary, {I, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ECL_OP_LOGISTIC, 0}},
    {"tanh_f32", b_unary, {F, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ECL_OP_TANH, 0}},
    {"tanh_u8", b_unary, {U, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 128, 0, ECL_OP_TANH, 0}},
    {"tanh_i8", b_unary, {I, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ECL_OP_TANH, 0}},
    {"hardswish_f32", b_unary, {F, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ECL_OP_HARD_SWISH, 0}},
    {"hardswish_u8", b_unary, {U, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 128, 10, ECL_OP_HARD_SWISH, 0}},
    {"hardswish_i8", b_unary, {I, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, -100, ECL_OP_HARD_SWISH, 0}},
    {"relu_i8", b_unary, {I, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ECL_OP_RELU, 0}},
    {"relu6_i8", b_unary, {I, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, -20, 0, ECL_OP_RELU6, 0}},
    {"relu6_u8", b_unary, {U, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 128, 0, ECL_OP_RELU6, 0}},
    {"quantize_f32_u8", b_unary, {U, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 128, ECL_OP_QUANTIZE, 0}},
    {"quantize_f32_i8", b_unary, {I, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, -128, ECL_OP_QUANTIZE, 0}},
    {"quantize_i8_u8", b_unary, {U, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 128, ECL_OP_QUANTIZE, 1}},
    {"quantize_u8_i8", b_unary, {I, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 255, 3, ECL_OP_QUANTIZE, 1}},
    {"dequantize_u8", b_unary, {U, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, 255, 0, ECL_OP_DEQUANTIZE, 0}},
    {"dequantize_i8", b_unary, {I, 4, 3, 5, 0, 0, 0, 0, 0, 0, 0, 0, -128, 0, ECL_OP_DEQUANTIZE, 0}},
    {"mean_f32", b_mean, {F, 7, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
    {"mean_u8", b_mean, {U, 7, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 128, 100, 0, 0}},
    {"mean_i8", b_mean, {I, 7, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, -128, 10, 0, 0}},
    {"mean_u8_7x7x64", b_mean, {U, 7, 7, 64, 0, 0, 0, 0, 0, 0, 0, 0, 128, 100, 0, 1}},
    {"mean_i8_7x7x64", b_mean, {I, 7, 7, 64, 0, 0, 0, 0, 0, 0, 0, 0, -128, -128, 0, 1}},
    {"mean_i8_7x7x64_zp", b_mean, {I, 7, 7, 64, 0, 0, 0, 0, 0, 0, 0, 0, 5, -20, 0, 1}},
    {"add_i8_many", b_bin, {I, 8, 8, 32, 0, 0, 0, 0, 0, 0, NONE, 0, -128, 3, ECL_OP_ADD, 0}},
    {"concat_f32", b_concat, {F, 3, 5, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
    {"concat_u8_requant", b_concat, {U, 3, 5, 3, 4, 0, 0, 0, 0, 0, 0, 0, 128, 0, 0, 0}},
    {"concat_i8", b_concat, {I, 3, 5, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 127, 0, 0}},
    {"pad_f32", b_pad, {F, 5, 4, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
    {"pad_u8_zp255", b_pad, {U, 5, 4, 3, 0, 0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0}},
    {"pad_i8", b_pad, {I, 5, 4, 3, 0, 0, 0, 0, 0, 0, 0, 0, -7, 0, 0, 0}},
    {"reshape_f32", b_reshape, {F, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
    {"reshape_i8", b_reshape, {I, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0}},
};

static const char *dtype_name(int t) {
    return t == TB_F32 ? "float32" : t == TB_U8 ? "uint8" : t == TB_I8 ? "int8" : "int32";
}

static int write_file(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
        fprintf(stderr, "make_op_models: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
        return 2;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/cases.txt", argv[1]);
    FILE *man = fopen(path, "w");
    if (!man) return fprintf(stderr, "make_op_models: cannot write %s\n", path), 1;
    fprintf(man, "# single-op models: tests/tflref/make_op_models.c\n");
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct tb b;
        tb_init(&b);
        n_ins = 0;
        rng = 2166136261u; /* FNV-1a of the name: adding a row changes no other case */
        for (const char *c = cases[k].name; *c; c++)
            rng = (rng ^ (uint8_t)*c) * 16777619u;
        cases[k].build(&b, &cases[k].p);
        size_t len;
        uint8_t *file = tb_finish(&b, &len);
        snprintf(path, sizeof path, "%s/%s.tflite", argv[1], cases[k].name);
        if (write_file(path, file, len)) return 1;
        fprintf(man, "case %s %s.tflite\n", cases[k].name, cases[k].name);
        for (int i = 0; i < n_ins; i++) {
            char rel[256], sh[64] = "";
            size_t at = 0;
            for (int d = 0; d < ins[i].ndims; d++)
                at += (size_t)snprintf(sh + at, sizeof sh - at, d ? "x%d" : "%d",
                                       (int)ins[i].dims[d]);
            snprintf(rel, sizeof rel, "%s_in%d.bin", cases[k].name, i);
            snprintf(path, sizeof path, "%s/%s", argv[1], rel);
            if (write_file(path, ins[i].data, ins[i].bytes)) return 1;
            fprintf(man, "in %s %s %s file %s\n", b.t[ins[i].tensor].name, dtype_name(ins[i].type),
                    sh, rel);
        }
        free(file);
        tb_free(&b);
        release();
    }
    return fclose(man) ? 1 : 0;
}

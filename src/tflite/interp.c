/* TFLite interpreter: plans one arena for the operators a chosen cut tensor depends on, and
 * runs them with the kernel table chosen once at init.
 *
 * Why it is built this way:
 *  - The model was validated by ecl_model_parse(); here every operator is additionally checked
 *    for the shapes its kernel will touch (the file's output shapes must equal what the op
 *    computes), so a hostile file cannot make a kernel read or write outside a tensor.
 *  - Planning needs per-tensor scratch (sizes, lifetimes, offsets). mem_size() must answer
 *    without memory from the caller, so the planner keeps that scratch in a thread-local
 *    static (struct plan, ~92 KB; too big for small thread stacks); init() recomputes the
 *    identical plan.
 *  - Everything init() keeps (tensor and op records, requantisation tables, LUTs, aligned
 *    copies of weights the file stores at odd addresses) is "persistent" and laid out first;
 *    the shared activation area and the kernels' scratch follow.
 */
#include <math.h>
#include <string.h>
#include "kernels/kernels.h"
#include "tflite/tfl.h"

#define ALIGN 64u

struct itensor {
    void *data;
    struct ecl_shape4 s;
    int32_t ndims;
    int32_t type;
    float scale;
    int32_t zp;
    uint32_t bytes;
    uint8_t is_const, is_act;
};

struct iop {
    int32_t code, index;
    int32_t n_in;
    int32_t in[ECL_MAX_OP_INPUTS];
    int32_t out;
    union {
        struct ecl_conv_params conv;
        struct ecl_fc_params fc;
        struct ecl_pool_params pool;
        struct ecl_binary_params bin;
    } p;
    int32_t mult, shift;
    int32_t pads[8];
    unsigned mask;
    int32_t axis;
    float beta;
    int8_t *lut;
    int32_t batch, in_dim, out_dim, outer, depth;
};

struct ecl_interp {
    struct ecl_kernels k;
    struct ecl_kctx kc;
    struct itensor *t;
    uint32_t n_t;
    struct iop *ops;
    uint32_t n_ops;
    int32_t input, cut;
    struct ecl_interp_stats st;
};

/* ------------------------------------------------------------------ bump allocation */
struct bump {
    uint8_t *base; /* NULL: dry run (sizes only) */
    size_t cap, used;
};

static void *bump_alloc(struct bump *b, size_t size) {
    size_t off = (b->used + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
    b->used = off + size;
    if (!b->base || b->used > b->cap) return NULL;
    return b->base + off;
}

/* ------------------------------------------------------------------ planning scratch */
struct plan {
    int16_t prod[ECL_MODEL_MAX_TENSORS]; /* position in the run order of the producer */
    int16_t first[ECL_MODEL_MAX_TENSORS], last[ECL_MODEL_MAX_TENSORS];
    uint32_t size[ECL_MODEL_MAX_TENSORS], off[ECL_MODEL_MAX_TENSORS];
    uint8_t need_t[ECL_MODEL_MAX_TENSORS];
    uint8_t avail[ECL_MODEL_MAX_TENSORS];
    uint8_t need_op[ECL_MODEL_MAX_OPS];
    uint16_t order[ECL_MODEL_MAX_TENSORS];
    uint16_t fold[ECL_MODEL_MAX_OPS]; /* conv op -> 1 + index of the PAD folded into it, or 0 */
    uint8_t cfold[ECL_MODEL_MAX_OPS]; /* DEQUANTIZE of a constant, computed once at init */
    uint8_t cconst[ECL_MODEL_MAX_TENSORS]; /* output of such an op: a constant from then on */
};

/* ------------------------------------------------------------------ helpers */
static struct ecl_shape4 shape4(const struct ecl_tensor_info *ti) {
    /* Right-align the dims; a rank above 4 folds its leading dims into the batch (found by
     * fuzz_model: rank 5 used to index d[-1]). */
    int32_t d[4] = {1, 1, 1, 1};
    int64_t lead = 1;
    for (int i = 0; i < ti->ndims; i++) {
        int j = 4 - ti->ndims + i;
        if (j >= 0)
            d[j] = ti->dims[i];
        else if ((lead *= ti->dims[i]) > INT32_MAX)
            lead = INT32_MAX;
    }
    if (ti->ndims > 4) {
        int64_t b = lead * d[0];
        d[0] = b > INT32_MAX ? INT32_MAX : (int32_t)b;
    }
    struct ecl_shape4 s = {d[0], d[1], d[2], d[3]};
    return s;
}

static int act_range_f32(int act, float *lo, float *hi) {
    switch (act) {
    case ACT_NONE:
        *lo = -INFINITY;
        *hi = INFINITY;
        return 1;
    case ACT_RELU:
        *lo = 0;
        *hi = INFINITY;
        return 1;
    case ACT_RELU_N1_TO_1:
        *lo = -1;
        *hi = 1;
        return 1;
    case ACT_RELU6:
        *lo = 0;
        *hi = 6;
        return 1;
    default:
        return 0;
    }
}

static int32_t quant1(float x, float scale, int32_t zp) {
    double q = round((double)x / scale) + zp;
    return q < -128 ? -128 : (q > 127 ? 127 : (int32_t)q);
}

static int act_range_q(int act, float scale, int32_t zp, int32_t *lo, int32_t *hi) {
    float flo, fhi;
    if (!act_range_f32(act, &flo, &fhi)) return 0;
    *lo = isinf(flo) ? -128 : quant1(flo, scale, zp);
    *hi = isinf(fhi) ? 127 : quant1(fhi, scale, zp);
    return 1;
}

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, f = h & 1023;
    float v;
    if (e == 0)
        v = ldexpf((float)f, -24);
    else if (e == 31)
        v = f ? NAN : INFINITY;
    else
        v = ldexpf((float)(f | 1024), (int)e - 25);
    return sign ? -v : v;
}

/* Output size of a windowed op (conv / pool) along one axis and the padding before it. */
static int window_out(int32_t in, int32_t k, int32_t stride, int32_t dil, int padding, int32_t *out,
                      int32_t *pad_before) {
    int64_t eff = (int64_t)(k - 1) * dil + 1;
    int64_t o;
    if (padding == PAD_SAME)
        o = (in + stride - 1) / stride;
    else if (padding == PAD_VALID)
        o = in >= eff ? (in - eff) / stride + 1 : 0;
    else
        return 0;
    int64_t total = (o - 1) * stride + eff - in;
    *out = (int32_t)o;
    *pad_before = padding == PAD_SAME && total > 0 ? (int32_t)(total / 2) : 0;
    return o > 0;
}

static int same_shape(struct ecl_shape4 a, struct ecl_shape4 b) {
    return a.n == b.n && a.h == b.h && a.w == b.w && a.c == b.c;
}

/* ------------------------------------------------------------------ op preparation */
struct prep {
    const struct ecl_model *m;
    struct ecl_interp *it;      /* NULL in a dry run */
    struct tfl_tensor *tt;      /* tensor records of this op's tensors, by slot */
    struct itensor *it_tensors; /* NULL in a dry run */
    struct bump *bump;
    struct msg *e;
    const struct ecl_kernels *k;
    int n_threads;
    size_t scratch;
    int32_t fold[4]; /* PAD folded into the next conv: top, bottom, left, right (else 0) */
};

#define FAIL(st, text)                                                                             \
    do {                                                                                           \
        ecl_msg_str(e, text);                                                                      \
        return st;                                                                                 \
    } while (0)

static enum ecl_status op_error(struct msg *e, enum ecl_status st, const struct tfl_op *op,
                                int32_t index, const char *what) {
    ecl_msg_op_name(e, op->builtin, op->custom);
    ecl_msg_str(e, " at operator ");
    ecl_msg_int(e, index);
    ecl_msg_str(e, ": ");
    ecl_msg_str(e, what);
    return st;
}

/* "unsupported op SQUARED_DIFFERENCE at operator 3", "unsupported op MyCustomOp at ...", or,
 * for a code beyond the table of names (a newer schema), "unknown op 201 at operator 3". */
static void unsupported_msg(struct msg *e, const struct tfl_op *op, int32_t index) {
    if (ecl_builtin_known(op->builtin)) ecl_msg_str(e, "unsupported op ");
    ecl_msg_op_name(e, op->builtin, op->custom);
    ecl_msg_str(e, " at operator ");
    ecl_msg_int(e, index);
}

static int32_t *alloc_i32(struct bump *b, size_t n) {
    return bump_alloc(b, n * sizeof(int32_t));
}

static float tensor_scale_at(const struct ecl_model *m, const struct tfl_tensor *t, uint32_t i) {
    struct fb_buf b = {m->buf, m->len};
    return t->scales.len > 1 ? fb_vec_f32(&b, &t->scales, i) : t->info.scale;
}

/* Per-channel requantisation tables for conv/fc: real = in_s * w_s[o] / out_s. */
static int make_mults(struct prep *pp, const struct tfl_tensor *in, const struct tfl_tensor *w,
                      const struct tfl_tensor *out, int32_t n, const int32_t **mults,
                      const int32_t **shifts) {
    int32_t *mu = alloc_i32(pp->bump, (size_t)n), *sh = alloc_i32(pp->bump, (size_t)n);
    if (w->scales.len != 1 && w->scales.len != (uint32_t)n) return 0;
    if (mu && sh)
        for (int32_t o = 0; o < n; o++) {
            double real =
                (double)in->info.scale * tensor_scale_at(pp->m, w, (uint32_t)o) / out->info.scale;
            ecl_quantize_multiplier(real, &mu[o], &sh[o]);
        }
    *mults = mu;
    *shifts = sh;
    return 1;
}

/* Checks for an int8 activation tensor. */
static int q8_ok(const struct tfl_tensor *t) {
    return t->info.type == ECL_DT_INT8 && t->info.n_scales >= 1 && t->info.zero_point >= -128 &&
           t->info.zero_point <= 127;
}

/* Bias sanity: int32 accumulation must not overflow (UB in C), so biases beyond +-2^30 are
 * clamped to +-2^30 in an arena copy. With |sum of products| < 2^30 (filter size capped
 * below) the accumulator stays in range. A bias that large saturates the int8 output for any
 * realistic requantisation multiplier, so the clamp does not change results in practice. */
static void fix_bias(struct prep *pp, const struct tfl_tensor *b, int32_t tensor) {
    size_t n = b->data_len / 4, bad = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t v;
        memcpy(&v, b->data + 4 * i, 4);
        if (v > (1 << 30) || v < -(1 << 30)) bad = 1;
    }
    if (!bad) return;
    int32_t *copy = alloc_i32(pp->bump, n);
    if (!copy || !pp->it_tensors) return;
    for (size_t i = 0; i < n; i++) {
        int32_t v;
        memcpy(&v, b->data + 4 * i, 4);
        copy[i] = v > (1 << 30) ? (1 << 30) : (v < -(1 << 30) ? -(1 << 30) : v);
    }
    pp->it_tensors[tensor].data = copy;
}

static enum ecl_status prep_conv(struct prep *pp, const struct tfl_op *op, int32_t index,
                                 struct iop *io, int depthwise) {
    struct msg *e = pp->e;
    struct tfl_tensor *in = &pp->tt[0], *w = &pp->tt[1], *bias = &pp->tt[2], *out = &pp->tt[3];
    struct fb_buf b = {pp->m->buf, pp->m->len};
    if (op->inputs.len < 2) return op_error(e, ECL_EFORMAT, op, index, "needs input and filter");
    if (!w->info.is_const || w->info.ndims != 4)
        return op_error(e, ECL_EUNSUPPORTED, op, index, "filter must be a constant 4-D tensor");
    int has_bias = op->inputs.len > 2 && fb_vec_i32(&b, &op->inputs, 2) >= 0;
    if (has_bias && !bias->info.is_const)
        return op_error(e, ECL_EUNSUPPORTED, op, index, "bias must be constant");
    struct ecl_shape4 is = shape4(&in->info), ws = shape4(&w->info), os = shape4(&out->info);
    if (in->info.ndims != 4 || out->info.ndims != 4)
        return op_error(e, ECL_EFORMAT, op, index, "input and output must be 4-D");
    int32_t oc = depthwise ? ws.c : ws.n;
    if (depthwise ? (ws.n != 1 || is.c == 0 || oc % is.c) : ws.c != is.c)
        return op_error(e, ECL_EFORMAT, op, index, "filter shape does not match the input");
    if (os.c != oc || os.n != is.n)
        return op_error(e, ECL_EFORMAT, op, index, "output channels do not match the filter");
    if (has_bias && (bias->info.ndims < 1 || shape4(&bias->info).c != oc ||
                     ecl_shape4_count(shape4(&bias->info)) != (size_t)oc))
        return op_error(e, ECL_EFORMAT, op, index, "bias size does not match the filter");
    if (ws.h > 4096 || ws.w > 4096) return op_error(e, ECL_ERANGE, op, index, "filter too large");
    if (!op->has_opts || op->opt_type != (depthwise ? BO_DWCONV2D : BO_CONV2D))
        return op_error(e, ECL_EFORMAT, op, index, "missing options");
    uint8_t padding, act;
    int32_t sw, sh, dw, dh, dm = 1;
    const struct fb_table *t = &op->opts;
    int ok = fb_u8(&b, t, 0, 0, &padding) && fb_i32(&b, t, 1, 0, &sw) && fb_i32(&b, t, 2, 0, &sh);
    if (depthwise)
        ok = ok && fb_i32(&b, t, 3, 0, &dm) && fb_u8(&b, t, 4, 0, &act) &&
             fb_i32(&b, t, 5, 1, &dw) && fb_i32(&b, t, 6, 1, &dh);
    else
        ok = ok && fb_u8(&b, t, 3, 0, &act) && fb_i32(&b, t, 4, 1, &dw) && fb_i32(&b, t, 5, 1, &dh);
    if (!ok) return op_error(e, ECL_EFORMAT, op, index, "malformed options");
    if (sw < 1 || sh < 1 || dw < 1 || dh < 1 || sw > 1024 || sh > 1024 || dw > 1024 || dh > 1024)
        return op_error(e, ECL_ERANGE, op, index, "stride or dilation out of range");
    struct ecl_conv_params *p = &io->p.conv;
    memset(p, 0, sizeof *p);
    int32_t oh, ow, *fp = pp->fold;
    /* A folded PAD (see fold_pads()) makes the conv see an input larger by fp[] on each side;
     * the kernels read the real input and treat the taps in the margin as zero. */
    if (!window_out(is.h + fp[0] + fp[1], ws.h, sh, dh, padding, &oh, &p->pad_top) ||
        !window_out(is.w + fp[2] + fp[3], ws.w, sw, dw, padding, &ow, &p->pad_left) || oh != os.h ||
        ow != os.w)
        return op_error(e, ECL_EFORMAT, op, index, "output size does not match the padding");
    p->pad_top += fp[0];
    p->pad_left += fp[2];
    p->stride_h = sh;
    p->stride_w = sw;
    p->dil_h = dh;
    p->dil_w = dw;
    p->depth_multiplier = depthwise ? oc / is.c : 1;
    (void)dm; /* TFLite derives the multiplier from the shapes, as we do */
    if (in->info.type == ECL_DT_FLOAT32) {
        if (w->info.type != ECL_DT_FLOAT32 || out->info.type != ECL_DT_FLOAT32 ||
            (has_bias && bias->info.type != ECL_DT_FLOAT32))
            return op_error(e, ECL_EUNSUPPORTED, op, index,
                            "mixed types (hybrid or float16 weights without DEQUANTIZE)");
        if (!act_range_f32(act, &p->act_min, &p->act_max))
            return op_error(e, ECL_EUNSUPPORTED, op, index, "unsupported fused activation");
    } else if (in->info.type == ECL_DT_INT8) {
        if (!q8_ok(in) || !q8_ok(out) || w->info.type != ECL_DT_INT8 ||
            (has_bias && bias->info.type != ECL_DT_INT32))
            return op_error(e, ECL_EUNSUPPORTED, op, index,
                            "int8 conv needs int8 input/filter/output and int32 bias");
        if ((int64_t)ws.h * ws.w * (depthwise ? 1 : ws.c) > 32768)
            return op_error(e, ECL_ERANGE, op, index, "filter too large for int32 accumulation");
        if (has_bias) fix_bias(pp, bias, fb_vec_i32(&b, &op->inputs, 2));
        p->in_zp = in->info.zero_point;
        p->out_zp = out->info.zero_point;
        if (!act_range_q(act, out->info.scale, p->out_zp, &p->act_min_q, &p->act_max_q))
            return op_error(e, ECL_EUNSUPPORTED, op, index, "unsupported fused activation");
        if (!make_mults(pp, in, w, out, oc, &p->out_mult, &p->out_shift))
            return op_error(e, ECL_EFORMAT, op, index, "filter scales do not match channels");
    } else {
        return op_error(e, ECL_EUNSUPPORTED, op, index, "input type must be float32 or int8");
    }
    if (!depthwise) {
        ecl_conv_scratch_fn f =
            in->info.type == ECL_DT_INT8 ? pp->k->conv2d_i8_scratch : pp->k->conv2d_f32_scratch;
        if (f) {
            size_t s = f(p, is, ws, os, pp->n_threads);
            if (s > pp->scratch) pp->scratch = s;
        }
    }
    return ECL_OK;
}

static enum ecl_status prep_pool(struct prep *pp, const struct tfl_op *op, int32_t index,
                                 struct iop *io) {
    struct msg *e = pp->e;
    struct tfl_tensor *in = &pp->tt[0], *out = &pp->tt[3];
    struct fb_buf b = {pp->m->buf, pp->m->len};
    if (in->info.ndims != 4 || out->info.ndims != 4)
        return op_error(e, ECL_EFORMAT, op, index, "input and output must be 4-D");
    if (!op->has_opts || op->opt_type != BO_POOL2D)
        return op_error(e, ECL_EFORMAT, op, index, "missing options");
    uint8_t padding, act;
    int32_t sw, sh, fw, fh;
    const struct fb_table *t = &op->opts;
    if (!(fb_u8(&b, t, 0, 0, &padding) && fb_i32(&b, t, 1, 0, &sw) && fb_i32(&b, t, 2, 0, &sh) &&
          fb_i32(&b, t, 3, 0, &fw) && fb_i32(&b, t, 4, 0, &fh) && fb_u8(&b, t, 5, 0, &act)))
        return op_error(e, ECL_EFORMAT, op, index, "malformed options");
    if (sw < 1 || sh < 1 || fw < 1 || fh < 1 || sw > 1024 || sh > 1024 || fw > 256 || fh > 256)
        return op_error(e, ECL_ERANGE, op, index, "stride or filter size out of range");
    struct ecl_shape4 is = shape4(&in->info), os = shape4(&out->info);
    struct ecl_pool_params *p = &io->p.pool;
    memset(p, 0, sizeof *p);
    int32_t oh, ow;
    if (!window_out(is.h, fh, sh, 1, padding, &oh, &p->pad_top) ||
        !window_out(is.w, fw, sw, 1, padding, &ow, &p->pad_left) || oh != os.h || ow != os.w ||
        os.n != is.n || os.c != is.c)
        return op_error(e, ECL_EFORMAT, op, index, "output shape does not match the pooling");
    p->stride_h = sh;
    p->stride_w = sw;
    p->filter_h = fh;
    p->filter_w = fw;
    if (in->info.type != out->info.type)
        return op_error(e, ECL_EUNSUPPORTED, op, index, "input and output types differ");
    if (in->info.type == ECL_DT_FLOAT32) {
        if (!act_range_f32(act, &p->act_min, &p->act_max))
            return op_error(e, ECL_EUNSUPPORTED, op, index, "unsupported fused activation");
    } else if (in->info.type == ECL_DT_INT8) {
        if (!q8_ok(in) || !q8_ok(out) || in->info.scale != out->info.scale ||
            in->info.zero_point != out->info.zero_point)
            return op_error(e, ECL_EUNSUPPORTED, op, index,
                            "int8 pooling needs equal input/output quantisation");
        if (!act_range_q(act, out->info.scale, out->info.zero_point, &p->act_min_q, &p->act_max_q))
            return op_error(e, ECL_EUNSUPPORTED, op, index, "unsupported fused activation");
    } else {
        return op_error(e, ECL_EUNSUPPORTED, op, index, "type must be float32 or int8");
    }
    return ECL_OK;
}

static int broadcast_ok(struct ecl_shape4 a, struct ecl_shape4 b, struct ecl_shape4 o) {
    int32_t ad[4] = {a.n, a.h, a.w, a.c}, bd[4] = {b.n, b.h, b.w, b.c},
            od[4] = {o.n, o.h, o.w, o.c};
    for (int i = 0; i < 4; i++) {
        if (ad[i] != od[i] && ad[i] != 1) return 0;
        if (bd[i] != od[i] && bd[i] != 1) return 0;
        if (od[i] != (ad[i] > bd[i] ? ad[i] : bd[i])) return 0;
    }
    return 1;
}

static enum ecl_status prep_binary(struct prep *pp, const struct tfl_op *op, int32_t index,
                                   struct iop *io) {
    struct msg *e = pp->e;
    struct tfl_tensor *a = &pp->tt[0], *bt = &pp->tt[1], *out = &pp->tt[3];
    struct fb_buf b = {pp->m->buf, pp->m->len};
    if (op->inputs.len != 2) return op_error(e, ECL_EFORMAT, op, index, "needs two inputs");
    if (a->info.ndims > 4 || bt->info.ndims > 4 || out->info.ndims > 4)
        return op_error(e, ECL_EUNSUPPORTED, op, index, "more than 4 dimensions");
    if (!broadcast_ok(shape4(&a->info), shape4(&bt->info), shape4(&out->info)))
        return op_error(e, ECL_EFORMAT, op, index, "shapes do not broadcast to the output");
    uint8_t act = 0;
    int want = op->builtin == OP_ADD ? BO_ADD : BO_MUL;
    if (op->has_opts && op->opt_type == want && !fb_u8(&b, &op->opts, 0, 0, &act))
        return op_error(e, ECL_EFORMAT, op, index, "malformed options");
    struct ecl_binary_params *p = &io->p.bin;
    memset(p, 0, sizeof *p);
    int32_t t = a->info.type;
    if (bt->info.type != t || out->info.type != t)
        return op_error(e, ECL_EUNSUPPORTED, op, index, "input/output types differ");
    if (t == ECL_DT_FLOAT32) {
        if (!act_range_f32(act, &p->act_min, &p->act_max))
            return op_error(e, ECL_EUNSUPPORTED, op, index, "unsupported fused activation");
    } else if (t == ECL_DT_INT8) {
        if (!q8_ok(a) || !q8_ok(bt) || !q8_ok(out) || a->info.n_scales != 1 ||
            bt->info.n_scales != 1 || out->info.n_scales != 1)
            return op_error(e, ECL_EUNSUPPORTED, op, index, "int8 needs per-tensor quantisation");
        p->a_zp = a->info.zero_point;
        p->b_zp = bt->info.zero_point;
        p->out_zp = out->info.zero_point;
        if (!act_range_q(act, out->info.scale, p->out_zp, &p->act_min_q, &p->act_max_q))
            return op_error(e, ECL_EUNSUPPORTED, op, index, "unsupported fused activation");
        double sa = a->info.scale, sb = bt->info.scale, so = out->info.scale;
        if (op->builtin == OP_ADD) {
            double twice_max = 2.0 * (sa > sb ? sa : sb);
            p->left_shift = 20;
            ecl_quantize_multiplier(sa / twice_max, &p->a_mult, &p->a_shift);
            ecl_quantize_multiplier(sb / twice_max, &p->b_mult, &p->b_shift);
            ecl_quantize_multiplier(twice_max / ((double)(1 << 20) * so), &p->out_mult,
                                    &p->out_shift);
        } else {
            ecl_quantize_multiplier(sa * sb / so, &p->out_mult, &p->out_shift);
        }
    } else {
        return op_error(e, ECL_EUNSUPPORTED, op, index, "type must be float32 or int8");
    }
    return ECL_OK;
}

static enum ecl_status prep_fc(struct prep *pp, const struct tfl_op *op, int32_t index,
                               struct iop *io) {
    struct msg *e = pp->e;
    struct tfl_tensor *in = &pp->tt[0], *w = &pp->tt[1], *bias = &pp->tt[2], *out = &pp->tt[3];
    struct fb_buf b = {pp->m->buf, pp->m->len};
    if (op->inputs.len < 2) return op_error(e, ECL_EFORMAT, op, index, "needs input and weights");
    if (!w->info.is_const || w->info.ndims != 2)
        return op_error(e, ECL_EUNSUPPORTED, op, index, "weights must be a constant 2-D tensor");
    int has_bias = op->inputs.len > 2 && fb_vec_i32(&b, &op->inputs, 2) >= 0;
    if (has_bias && !bias->info.is_const)
        return op_error(e, ECL_EUNSUPPORTED, op, index, "bias must be constant");
    int32_t od = w->info.dims[0], id = w->info.dims[1];
    size_t in_n = ecl_shape4_count(shape4(&in->info)), out_n = ecl_shape4_count(shape4(&out->info));
    if (id <= 0 || od <= 0 || in_n % (size_t)id)
        return op_error(e, ECL_EFORMAT, op, index, "input size is not a multiple of the weights");
    int32_t batch = (int32_t)(in_n / (size_t)id);
    if (out_n != (size_t)batch * od)
        return op_error(e, ECL_EFORMAT, op, index, "output size does not match the weights");
    if (has_bias && ecl_shape4_count(shape4(&bias->info)) != (size_t)od)
        return op_error(e, ECL_EFORMAT, op, index, "bias size does not match the weights");
    uint8_t act = 0;
    if (op->has_opts && op->opt_type == BO_FC && !fb_u8(&b, &op->opts, 0, 0, &act))
        return op_error(e, ECL_EFORMAT, op, index, "malformed options");
    struct ecl_fc_params *p = &io->p.fc;
    memset(p, 0, sizeof *p);
    io->batch = batch;
    io->in_dim = id;
    io->out_dim = od;
    if (in->info.type == ECL_DT_FLOAT32) {
        if (w->info.type != ECL_DT_FLOAT32 || out->info.type != ECL_DT_FLOAT32 ||
            (has_bias && bias->info.type != ECL_DT_FLOAT32))
            return op_error(e, ECL_EUNSUPPORTED, op, index, "mixed types (hybrid) not supported");
        if (!act_range_f32(act, &p->act_min, &p->act_max))
            return op_error(e, ECL_EUNSUPPORTED, op, index, "unsupported fused activation");
    } else if (in->info.type == ECL_DT_INT8) {
        if (!q8_ok(in) || !q8_ok(out) || w->info.type != ECL_DT_INT8 ||
            (has_bias && bias->info.type != ECL_DT_INT32))
            return op_error(e, ECL_EUNSUPPORTED, op, index,
                            "int8 FC needs int8 input/weights/output and int32 bias");
        if (id > 32768) return op_error(e, ECL_ERANGE, op, index, "input too long for int32");
        if (has_bias) fix_bias(pp, bias, fb_vec_i32(&b, &op->inputs, 2));
        p->in_zp = in->info.zero_point;
        p->out_zp = out->info.zero_point;
        p->per_channel = w->scales.len > 1;
        if (!act_range_q(act, out->info.scale, p->out_zp, &p->act_min_q, &p->act_max_q))
            return op_error(e, ECL_EUNSUPPORTED, op, index, "unsupported fused activation");
        if (!make_mults(pp, in, w, out, p->per_channel ? od : 1, &p->out_mult, &p->out_shift))
            return op_error(e, ECL_EFORMAT, op, index, "weight scales do not match outputs");
    } else {
        return op_error(e, ECL_EUNSUPPORTED, op, index, "input type must be float32 or int8");
    }
    return ECL_OK;
}

/* int8 LUT for a unary function between two quantisations. */
static float unary_f(int code, float x) {
    switch (code) {
    case OP_LOGISTIC:
        return 1.0f / (1.0f + expf(-x));
    case OP_HARD_SWISH: {
        float r = x + 3.0f;
        r = r < 0 ? 0 : (r > 6 ? 6 : r);
        return x * r / 6.0f;
    }
    case OP_RELU:
        return x > 0 ? x : 0;
    case OP_RELU6:
        return x < 0 ? 0 : (x > 6 ? 6 : x);
    default:
        return x;
    }
}

static enum ecl_status prep_unary(struct prep *pp, const struct tfl_op *op, int32_t index,
                                  struct iop *io) {
    struct msg *e = pp->e;
    struct tfl_tensor *in = &pp->tt[0], *out = &pp->tt[3];
    if (ecl_shape4_count(shape4(&in->info)) != ecl_shape4_count(shape4(&out->info)) ||
        in->info.ndims > 4)
        return op_error(e, ECL_EFORMAT, op, index, "input and output sizes differ");
    if (in->info.type != out->info.type)
        return op_error(e, ECL_EUNSUPPORTED, op, index, "input and output types differ");
    if (in->info.type == ECL_DT_INT8) {
        if (!q8_ok(in) || !q8_ok(out))
            return op_error(e, ECL_EUNSUPPORTED, op, index, "int8 needs quantisation params");
        int8_t *lut = bump_alloc(pp->bump, 256);
        if (lut)
            for (int q = -128; q < 128; q++) {
                float x = in->info.scale * (float)(q - in->info.zero_point);
                lut[q + 128] =
                    (int8_t)quant1(unary_f(op->builtin, x), out->info.scale, out->info.zero_point);
            }
        io->lut = lut;
    } else if (in->info.type != ECL_DT_FLOAT32) {
        return op_error(e, ECL_EUNSUPPORTED, op, index, "type must be float32 or int8");
    }
    return ECL_OK;
}

/* Axis list (const int32 tensor) -> mask over the right-aligned 4-D shape. */
static int axes_mask(const struct tfl_tensor *ax, int32_t ndims, unsigned *mask) {
    if (!ax->info.is_const || ax->info.type != ECL_DT_INT32) return 0;
    size_t n = ax->data_len / 4;
    *mask = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t a;
        memcpy(&a, ax->data + 4 * i, 4);
        if (a < 0) a += ndims;
        if (a < 0 || a >= ndims) return 0;
        *mask |= 1u << (4 - ndims + a);
    }
    return 1;
}

static enum ecl_status prep_mean(struct prep *pp, const struct tfl_op *op, int32_t index,
                                 struct iop *io) {
    struct msg *e = pp->e;
    struct tfl_tensor *in = &pp->tt[0], *ax = &pp->tt[1], *out = &pp->tt[3];
    if (op->inputs.len != 2 || in->info.ndims > 4)
        return op_error(e, ECL_EFORMAT, op, index, "needs a <= 4-D input and an axis tensor");
    if (!axes_mask(ax, in->info.ndims, &io->mask))
        return op_error(e, ECL_EUNSUPPORTED, op, index, "axes must be constant int32 in range");
    struct ecl_shape4 is = shape4(&in->info);
    size_t cnt = 1, in_n = ecl_shape4_count(is);
    int32_t d[4] = {is.n, is.h, is.w, is.c};
    for (int i = 0; i < 4; i++)
        if (io->mask & (1u << i)) cnt *= (size_t)d[i];
    if (!cnt || ecl_shape4_count(shape4(&out->info)) != in_n / cnt)
        return op_error(e, ECL_EFORMAT, op, index, "output size does not match the reduction");
    if (in->info.type != out->info.type)
        return op_error(e, ECL_EUNSUPPORTED, op, index, "input and output types differ");
    if (in->info.type == ECL_DT_INT8) {
        if (!q8_ok(in) || !q8_ok(out))
            return op_error(e, ECL_EUNSUPPORTED, op, index, "int8 needs quantisation params");
        if (cnt > (1u << 23)) return op_error(e, ECL_ERANGE, op, index, "reduction too large");
        ecl_quantize_multiplier((double)in->info.scale / ((double)out->info.scale * (double)cnt),
                                &io->mult, &io->shift);
    } else if (in->info.type != ECL_DT_FLOAT32) {
        return op_error(e, ECL_EUNSUPPORTED, op, index, "type must be float32 or int8");
    }
    return ECL_OK;
}

static enum ecl_status prep_pad(struct prep *pp, const struct tfl_op *op, int32_t index,
                                struct iop *io) {
    struct msg *e = pp->e;
    struct tfl_tensor *in = &pp->tt[0], *pt = &pp->tt[1], *out = &pp->tt[3];
    if (op->inputs.len != 2 || in->info.ndims > 4)
        return op_error(e, ECL_EFORMAT, op, index, "needs a <= 4-D input and paddings");
    if (!pt->info.is_const || pt->info.type != ECL_DT_INT32 || pt->info.ndims != 2 ||
        pt->info.dims[0] != in->info.ndims || pt->info.dims[1] != 2)
        return op_error(e, ECL_EUNSUPPORTED, op, index, "paddings must be constant int32 [n,2]");
    memset(io->pads, 0, sizeof io->pads);
    int off = 4 - in->info.ndims;
    for (int i = 0; i < in->info.ndims * 2; i++) {
        int32_t v;
        memcpy(&v, pt->data + 4 * i, 4);
        if (v < 0 || v > 4096) return op_error(e, ECL_ERANGE, op, index, "padding out of range");
        io->pads[2 * off + i] = v;
    }
    struct ecl_shape4 is = shape4(&in->info), os = shape4(&out->info);
    struct ecl_shape4 want = {is.n + io->pads[0] + io->pads[1], is.h + io->pads[2] + io->pads[3],
                              is.w + io->pads[4] + io->pads[5], is.c + io->pads[6] + io->pads[7]};
    if (!same_shape(os, want))
        return op_error(e, ECL_EFORMAT, op, index, "output shape does not match the paddings");
    if (in->info.type != out->info.type ||
        (in->info.type != ECL_DT_FLOAT32 && in->info.type != ECL_DT_INT8))
        return op_error(e, ECL_EUNSUPPORTED, op, index, "type must be float32 or int8");
    if (in->info.type == ECL_DT_INT8 &&
        (!q8_ok(in) || !q8_ok(out) || in->info.zero_point != out->info.zero_point ||
         in->info.scale != out->info.scale))
        return op_error(e, ECL_EUNSUPPORTED, op, index, "int8 PAD needs equal quantisation");
    return ECL_OK;
}

static enum ecl_status prep_concat(struct prep *pp, const struct tfl_op *op, int32_t index,
                                   struct iop *io, const struct ecl_model *m) {
    struct msg *e = pp->e;
    struct tfl_tensor *out = &pp->tt[3], t;
    struct fb_buf b = {m->buf, m->len};
    int32_t axis = 0;
    uint8_t act = 0;
    if (!op->has_opts || op->opt_type != BO_CONCAT || !fb_i32(&b, &op->opts, 0, 0, &axis) ||
        !fb_u8(&b, &op->opts, 1, 0, &act))
        return op_error(e, ECL_EFORMAT, op, index, "missing options");
    if (act != ACT_NONE)
        return op_error(e, ECL_EUNSUPPORTED, op, index, "fused activation on CONCATENATION");
    int32_t nd = out->info.ndims;
    if (nd < 1 || nd > 4) return op_error(e, ECL_EUNSUPPORTED, op, index, "needs 1..4 dims");
    if (axis < 0) axis += nd;
    if (axis < 0 || axis >= nd) return op_error(e, ECL_EFORMAT, op, index, "axis out of range");
    io->axis = axis + 4 - nd;
    struct ecl_shape4 os = shape4(&out->info);
    int32_t od[4] = {os.n, os.h, os.w, os.c};
    int64_t sum = 0;
    for (int32_t i = 0; i < io->n_in; i++) {
        if (!ecl_tfl_read_tensor(m, io->in[i], &t))
            return op_error(e, ECL_EFORMAT, op, index, "bad input");
        if (t.info.ndims != nd || t.info.type != out->info.type)
            return op_error(e, ECL_EFORMAT, op, index, "inputs differ in rank or type");
        if (t.info.type == ECL_DT_INT8 &&
            (t.info.scale != out->info.scale || t.info.zero_point != out->info.zero_point))
            return op_error(e, ECL_EUNSUPPORTED, op, index,
                            "int8 inputs with different quantisation");
        struct ecl_shape4 s = shape4(&t.info);
        int32_t d[4] = {s.n, s.h, s.w, s.c};
        for (int k = 0; k < 4; k++)
            if (k != io->axis && d[k] != od[k])
                return op_error(e, ECL_EFORMAT, op, index, "input shapes do not match");
        sum += d[io->axis];
    }
    if (sum != od[io->axis])
        return op_error(e, ECL_EFORMAT, op, index, "output size along the axis is wrong");
    if (out->info.type != ECL_DT_FLOAT32 && out->info.type != ECL_DT_INT8)
        return op_error(e, ECL_EUNSUPPORTED, op, index, "type must be float32 or int8");
    return ECL_OK;
}

static enum ecl_status prep_op(struct prep *pp, const struct tfl_op *op, int32_t index,
                               struct iop *io) {
    struct msg *e = pp->e;
    struct tfl_tensor *in = &pp->tt[0], *out = &pp->tt[3];
    struct fb_buf b = {pp->m->buf, pp->m->len};
    switch (op->builtin) {
    case OP_CONV_2D:
        return prep_conv(pp, op, index, io, 0);
    case OP_DEPTHWISE_CONV_2D:
        return prep_conv(pp, op, index, io, 1);
    case OP_AVERAGE_POOL_2D:
    case OP_MAX_POOL_2D:
        return prep_pool(pp, op, index, io);
    case OP_ADD:
    case OP_MUL:
        return prep_binary(pp, op, index, io);
    case OP_FULLY_CONNECTED:
        return prep_fc(pp, op, index, io);
    case OP_LOGISTIC:
    case OP_HARD_SWISH:
    case OP_RELU:
    case OP_RELU6:
        return prep_unary(pp, op, index, io);
    case OP_MEAN:
        return prep_mean(pp, op, index, io);
    case OP_PAD:
        return prep_pad(pp, op, index, io);
    case OP_CONCATENATION:
        return prep_concat(pp, op, index, io, pp->m);
    case OP_RESHAPE:
    case OP_SQUEEZE:
        if (in->info.type != out->info.type ||
            ecl_shape4_count(shape4(&in->info)) != ecl_shape4_count(shape4(&out->info)) ||
            in->info.ndims > 4)
            return op_error(e, ECL_EFORMAT, op, index, "output size or type differs from input");
        return ECL_OK;
    case OP_SOFTMAX: {
        if (in->info.ndims < 1 || in->info.ndims > 4 || in->info.type != out->info.type ||
            ecl_shape4_count(shape4(&in->info)) != ecl_shape4_count(shape4(&out->info)))
            return op_error(e, ECL_EFORMAT, op, index, "output differs from input");
        io->depth = in->info.dims[in->info.ndims - 1];
        if (io->depth < 1) return op_error(e, ECL_EFORMAT, op, index, "empty last dimension");
        io->outer = (int32_t)(ecl_shape4_count(shape4(&in->info)) / (size_t)io->depth);
        io->beta = 1.0f;
        if (op->has_opts && op->opt_type == BO_SOFTMAX &&
            !fb_f32(&b, &op->opts, 0, 0.0f, &io->beta))
            return op_error(e, ECL_EFORMAT, op, index, "malformed options");
        if (!isfinite(io->beta)) return op_error(e, ECL_ERANGE, op, index, "beta not finite");
        if (in->info.type == ECL_DT_INT8) {
            if (!q8_ok(in) || !q8_ok(out))
                return op_error(e, ECL_EUNSUPPORTED, op, index, "int8 needs quantisation");
        } else if (in->info.type != ECL_DT_FLOAT32) {
            return op_error(e, ECL_EUNSUPPORTED, op, index, "type must be float32 or int8");
        }
        return ECL_OK;
    }
    case OP_QUANTIZE:
        if (ecl_shape4_count(shape4(&in->info)) != ecl_shape4_count(shape4(&out->info)) ||
            !q8_ok(out) || out->info.n_scales != 1)
            return op_error(e, ECL_EUNSUPPORTED, op, index,
                            "QUANTIZE to per-tensor int8 of the same size only");
        if (in->info.type == ECL_DT_INT8) {
            if (!q8_ok(in)) return op_error(e, ECL_EUNSUPPORTED, op, index, "bad input quant");
            ecl_quantize_multiplier((double)in->info.scale / out->info.scale, &io->mult,
                                    &io->shift);
        } else if (in->info.type != ECL_DT_FLOAT32) {
            return op_error(e, ECL_EUNSUPPORTED, op, index, "input must be float32 or int8");
        }
        return ECL_OK;
    case OP_DEQUANTIZE:
        if (ecl_shape4_count(shape4(&in->info)) != ecl_shape4_count(shape4(&out->info)) ||
            out->info.type != ECL_DT_FLOAT32)
            return op_error(e, ECL_EFORMAT, op, index, "output must be float32 of the same size");
        if (in->info.type == ECL_DT_INT8) {
            if (!q8_ok(in) || in->info.n_scales != 1)
                return op_error(e, ECL_EUNSUPPORTED, op, index, "per-tensor int8 input only");
        } else if (in->info.type != ECL_DT_FLOAT16) {
            return op_error(e, ECL_EUNSUPPORTED, op, index, "input must be int8 or float16");
        }
        return ECL_OK;
    default:
        unsupported_msg(e, op, index);
        return ECL_EUNSUPPORTED;
    }
}

/* ------------------------------------------------------------------ build */
static void tensor_name_msg(struct msg *e, const struct ecl_model *m, int32_t t) {
    struct tfl_tensor tt;
    ecl_msg_str(e, "tensor ");
    ecl_msg_int(e, t);
    if (ecl_tfl_read_tensor(m, t, &tt) && tt.info.name[0]) {
        ecl_msg_str(e, " (");
        ecl_msg_str(e, tt.info.name);
        ecl_msg_str(e, ")");
    }
}

/* Input q of needed op i as the plan runs it: a conv with a folded PAD reads the PAD's input. */
static int32_t op_input(const struct ecl_model *m, const struct plan *pl, int32_t i,
                        const struct tfl_op *op, uint32_t q) {
    struct fb_buf b = {m->buf, m->len};
    struct tfl_op pad;
    if (q == 0 && pl->fold[i] && ecl_tfl_read_op(m, pl->fold[i] - 1, &pad))
        return fb_vec_i32(&b, &pad.inputs, 0);
    return fb_vec_i32(&b, &op->inputs, q);
}

/* Constant DEQUANTIZE. float16-quantised .tflite files store every weight and bias as a
 * float16 constant followed by a DEQUANTIZE to float32, and the conv / FC reads the
 * DEQUANTIZE's output as its filter. That output depends on nothing but file data, so it is
 * computed once at init into the persistent part of the arena and is a constant from then on
 * (the filter / bias checks see a constant; the op does not run). TFLite does the same. Not
 * for the cut itself (which must stay an activation) or a malformed op (the normal checks
 * report it). */
static int const_dequantize(const struct ecl_model *m, const struct tfl_op *op, int32_t input,
                            int32_t cut) {
    struct fb_buf b = {m->buf, m->len};
    struct tfl_tensor in, out;
    if (op->builtin != OP_DEQUANTIZE || op->inputs.len != 1 || op->outputs.len != 1) return 0;
    int32_t src = fb_vec_i32(&b, &op->inputs, 0), dst = fb_vec_i32(&b, &op->outputs, 0);
    if (src < 0 || dst == cut || dst == input || dst == src) return 0;
    if (!ecl_tfl_read_tensor(m, src, &in) || !ecl_tfl_read_tensor(m, dst, &out)) return 0;
    return in.info.is_const && !out.info.is_const;
}

/* Validates a constant DEQUANTIZE like any op, then computes its output into the arena. */
static enum ecl_status fold_dequantize(struct prep *pp, const struct tfl_op *op, int32_t index) {
    struct fb_buf b = {pp->m->buf, pp->m->len};
    struct tfl_tensor *in = &pp->tt[0], *out = &pp->tt[3];
    int32_t dst = fb_vec_i32(&b, &op->outputs, 0);
    struct iop io;
    memset(&io, 0, sizeof io);
    memset(pp->tt, 0, 4 * sizeof *pp->tt);
    ecl_tfl_read_tensor(pp->m, fb_vec_i32(&b, &op->inputs, 0), in);
    ecl_tfl_read_tensor(pp->m, dst, out);
    enum ecl_status st = prep_op(pp, op, index, &io);
    if (st != ECL_OK) return st;
    size_t n = ecl_shape4_count(shape4(&out->info)), es = ecl_tfl_dtype_size(in->info.type);
    if (n > 0x7fffffc0u / sizeof(float) || in->data_len < n * es)
        return op_error(pp->e, ECL_ERANGE, op, index, "constant too large");
    float *y = bump_alloc(pp->bump, n * sizeof(float));
    if (y) {
        for (size_t i = 0; i < n; i++) {
            if (in->info.type == ECL_DT_INT8) {
                y[i] = in->info.scale * (float)((int32_t)(int8_t)in->data[i] - in->info.zero_point);
            } else { /* float16 (prep_op allows nothing else); the file may misalign it */
                uint16_t h;
                memcpy(&h, in->data + 2 * i, 2);
                y[i] = half_to_float(h);
            }
        }
    }
    if (pp->it_tensors) pp->it_tensors[dst].data = y;
    return ECL_OK;
}

/* A folded DEQUANTIZE output as the ops reading it see it: a float32 constant. */
static void as_folded_const(struct tfl_tensor *t, const struct itensor *T, int32_t i) {
    t->info.is_const = 1;
    t->data = T ? T[i].data : NULL;
    t->data_len = ecl_shape4_count(shape4(&t->info)) * sizeof(float);
}

/* PAD folding. MobileNetV2 (Keras ZeroPadding2D) writes PAD -> CONV_2D/DEPTHWISE_CONV_2D
 * (VALID) before every stride-2 block; the PAD copies a whole feature map (up to 113x113x96)
 * only for the conv to read it once. PAD fills with 0 (float) or the zero point (int8, equal
 * in and out quantisation), exactly what the conv kernels assume for taps outside the image,
 * so the conv can read the PAD's input with explicit padding pad_top = before-H pad, pad_left =
 * before-W pad (the bottom/right pads follow from the output size). Folded only when the PAD
 * output is read by nothing else and is not the cut, only H/W are padded, and each pad is
 * smaller than the filter's extent (the range SAME padding produces, which the optimised
 * kernels are tested with). The PAD is still validated (prep_pad) at init; it just does not
 * run, and its output is never allocated. */
static void fold_pads(const struct ecl_model *m, struct plan *pl, int32_t input, int32_t cut) {
    struct fb_buf b = {m->buf, m->len};
    struct tfl_op op, c;
    struct tfl_tensor in, pt, w;
    for (uint32_t i = 0; i < m->n_ops; i++) {
        if (!pl->need_op[i] || !ecl_tfl_read_op(m, (int32_t)i, &op) || op.builtin != OP_PAD ||
            op.inputs.len != 2 || op.outputs.len != 1)
            continue;
        int32_t src = fb_vec_i32(&b, &op.inputs, 0), pads = fb_vec_i32(&b, &op.inputs, 1);
        int32_t ot = fb_vec_i32(&b, &op.outputs, 0);
        if (src < 0 || pads < 0 || ot == cut || ot == input || ot == src) continue;
        if (!ecl_tfl_read_tensor(m, src, &in) || !ecl_tfl_read_tensor(m, pads, &pt)) continue;
        if (in.info.ndims != 4 || !pt.info.is_const || pt.info.type != ECL_DT_INT32 ||
            pt.info.ndims != 2 || pt.info.dims[0] != 4 || pt.info.dims[1] != 2 || pt.data_len < 32)
            continue;
        int32_t pv[8];
        memcpy(pv, pt.data, sizeof pv);
        if (pv[0] || pv[1] || pv[6] || pv[7]) continue;
        /* the single reader */
        int32_t reader = -1, uses = 0;
        for (uint32_t j = 0; j < m->n_ops; j++) {
            if (!pl->need_op[j] || j == i || !ecl_tfl_read_op(m, (int32_t)j, &c)) continue;
            for (uint32_t q = 0; q < c.inputs.len; q++)
                if (fb_vec_i32(&b, &c.inputs, q) == ot) {
                    uses++;
                    reader = q == 0 ? (int32_t)j : -1;
                }
        }
        if (uses != 1 || reader < (int32_t)i || !ecl_tfl_read_op(m, reader, &c) || pl->fold[reader])
            continue;
        int dw = c.builtin == OP_DEPTHWISE_CONV_2D;
        if ((c.builtin != OP_CONV_2D && !dw) || !c.has_opts ||
            c.opt_type != (dw ? BO_DWCONV2D : BO_CONV2D) || c.inputs.len < 2)
            continue;
        uint8_t padding;
        int32_t dil_w, dil_h;
        if (!fb_u8(&b, &c.opts, 0, 0, &padding) || padding != PAD_VALID ||
            !fb_i32(&b, &c.opts, dw ? 5 : 4, 1, &dil_w) ||
            !fb_i32(&b, &c.opts, dw ? 6 : 5, 1, &dil_h) || dil_w < 1 || dil_h < 1 || dil_w > 1024 ||
            dil_h > 1024)
            continue;
        if (!ecl_tfl_read_tensor(m, fb_vec_i32(&b, &c.inputs, 1), &w) || w.info.ndims != 4)
            continue;
        int64_t eh = (int64_t)(w.info.dims[1] - 1) * dil_h + 1,
                ew = (int64_t)(w.info.dims[2] - 1) * dil_w + 1;
        if (pv[2] < 0 || pv[3] < 0 || pv[4] < 0 || pv[5] < 0 || pv[2] >= eh || pv[3] >= eh ||
            pv[4] >= ew || pv[5] >= ew)
            continue;
        pl->need_op[i] = 0;
        pl->need_t[ot] = 0;
        pl->fold[reader] = (uint16_t)(i + 1);
    }
}

static enum ecl_status build(const struct ecl_model *m, int32_t cut,
                             const struct ecl_interp_opts *o, void *arena, size_t bytes,
                             struct ecl_interp **out, size_t *need, char *err, size_t errlen) {
    struct msg em, *e = &em;
    ecl_msg_init(e, err, errlen);
    if (!m || !m->buf) FAIL(ECL_EINVAL, "no model");
    struct ecl_interp_opts opts = o ? *o : ecl_interp_default_opts();
    /* ~92 KB: too big for small thread stacks. Bare-metal targets (no TLS runtime, one thread)
     * build with -DECL_NO_TLS and get a plain static; planning is then not reentrant. */
#ifdef ECL_NO_TLS
    static struct plan plan_storage;
#else
    static _Thread_local struct plan plan_storage;
#endif
    struct plan *pl = &plan_storage;
    memset(pl, 0, sizeof *pl);
    struct fb_buf b = {m->buf, m->len};
    int32_t input = ecl_model_input(m);
    if (input < 0) FAIL(ECL_EFORMAT, "model has no input tensor");
    if (cut < 0) cut = ecl_model_output(m);
    if (cut < 0 || (uint32_t)cut >= m->n_tensors) FAIL(ECL_ENOTFOUND, "cut tensor out of range");
    uint32_t nt = m->n_tensors, no = m->n_ops;
    struct tfl_tensor tt;
    struct tfl_op op;
    /* A constant (weights, biases, shape vectors) is not a layer's output: "running" to it
     * would just hand back file data as if it were the image's features. Refuse it by name. */
    if (!ecl_tfl_read_tensor(m, cut, &tt)) FAIL(ECL_EFORMAT, "malformed cut tensor");
    if (tt.info.is_const) {
        ecl_msg_str(e, "cut tensor '");
        if (tt.info.name[0])
            ecl_msg_str(e, tt.info.name);
        else
            ecl_msg_int(e, cut);
        ecl_msg_str(e, "' is a constant, not an activation");
        return ECL_EINVAL;
    }

    /* 1. which ops does the cut depend on (ops are stored in execution order) */
    for (uint32_t i = 0; i < nt; i++)
        pl->prod[i] = -1;
    pl->need_t[cut] = 1;
    for (int32_t i = (int32_t)no - 1; i >= 0; i--) {
        if (!ecl_tfl_read_op(m, i, &op)) FAIL(ECL_EFORMAT, "malformed operator");
        int needed = 0;
        for (uint32_t k = 0; k < op.outputs.len; k++)
            if (pl->need_t[fb_vec_i32(&b, &op.outputs, k)]) needed = 1;
        if (!needed) continue;
        if (const_dequantize(m, &op, input, cut)) { /* folded: its input is not needed */
            pl->cfold[i] = 1;
            pl->cconst[fb_vec_i32(&b, &op.outputs, 0)] = 1;
            continue;
        }
        pl->need_op[i] = 1;
        for (uint32_t k = 0; k < op.inputs.len; k++) {
            int32_t t = fb_vec_i32(&b, &op.inputs, k);
            if (t >= 0 && t != input) pl->need_t[t] = 1;
        }
    }
    if (!opts.no_fold) fold_pads(m, pl, input, cut);
    /* 2. forward check: inputs available before use, each tensor written once */
    int32_t n_run = 0;
    pl->avail[input] = 1;
    for (uint32_t i = 0; i < nt; i++) {
        if (!ecl_tfl_read_tensor(m, (int32_t)i, &tt)) FAIL(ECL_EFORMAT, "malformed tensor");
        if (tt.info.is_const || pl->cconst[i]) pl->avail[i] = 1;
    }
    for (uint32_t i = 0; i < no; i++) {
        if (!pl->need_op[i]) continue;
        ecl_tfl_read_op(m, (int32_t)i, &op);
        if (!ecl_builtin_supported(op.builtin)) {
            unsupported_msg(e, &op, (int32_t)i);
            return ECL_EUNSUPPORTED;
        }
        if (op.outputs.len != 1 || op.inputs.len < 1 || op.inputs.len > ECL_MAX_OP_INPUTS) {
            ecl_msg_str(e, "operator ");
            ecl_msg_int(e, i);
            ecl_msg_str(e, " has an unsupported number of inputs/outputs");
            return ECL_EUNSUPPORTED;
        }
        for (uint32_t k = 0; k < op.inputs.len; k++) {
            int32_t t = op_input(m, pl, (int32_t)i, &op, k);
            if (t < 0 ? k == 0 : !pl->avail[t]) {
                ecl_msg_str(e, "operator ");
                ecl_msg_int(e, i);
                ecl_msg_str(e, " reads ");
                if (t < 0) {
                    ecl_msg_str(e, "a missing input");
                } else {
                    tensor_name_msg(e, m, t);
                    ecl_msg_str(e, " before it is computed (cycle or missing producer)");
                }
                return ECL_ECORRUPT;
            }
        }
        int32_t ot = fb_vec_i32(&b, &op.outputs, 0);
        if (pl->avail[ot]) {
            ecl_msg_str(e, "operator ");
            ecl_msg_int(e, i);
            ecl_msg_str(e, " overwrites ");
            tensor_name_msg(e, m, ot);
            return ECL_ECORRUPT;
        }
        pl->avail[ot] = 1;
        pl->prod[ot] = (int16_t)n_run;
        n_run++;
    }
    if (!pl->avail[cut]) {
        ecl_msg_str(e, "cut ");
        tensor_name_msg(e, m, cut);
        ecl_msg_str(e, " cannot be computed from the model input");
        return ECL_ECORRUPT;
    }

    /* 3. layout of the persistent part */
    struct bump bp = {(uint8_t *)arena, bytes, 0};
    if (arena) { /* align the base itself */
        uintptr_t a = (uintptr_t)arena, al = (a + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
        if (al - a > bytes) FAIL(ECL_ENOMEM, "arena too small");
        bp.base = (uint8_t *)al;
        bp.cap = bytes - (al - a);
    }
    struct ecl_interp *it = bump_alloc(&bp, sizeof *it);
    struct itensor *T = bump_alloc(&bp, sizeof(struct itensor) * nt);
    struct iop *O = bump_alloc(&bp, sizeof(struct iop) * (size_t)(n_run ? n_run : 1));
    struct ecl_kernels k = opts.force_ref ? ecl_kernels_ref() : ecl_kernels_best();
    struct tfl_tensor slot[4];
    struct prep pp = {m, it,          slot, T, &bp, e, &k, opts.n_threads > 0 ? opts.n_threads : 1,
                      0, {0, 0, 0, 0}};

    /* activation tensors: the input and every output of a needed op */
    size_t act_sum = 0;
    for (uint32_t i = 0; i < nt; i++) {
        int is_act = (int32_t)i == input || pl->prod[i] >= 0;
        if (!ecl_tfl_read_tensor(m, (int32_t)i, &tt)) FAIL(ECL_EFORMAT, "malformed tensor");
        if (is_act && (pl->need_t[i] || (int32_t)i == input)) {
            if (tt.info.ndims > 4) {
                tensor_name_msg(e, m, (int32_t)i);
                ecl_msg_str(e, " has more than 4 dimensions");
                return ECL_EUNSUPPORTED;
            }
            size_t n = ecl_shape4_count(shape4(&tt.info)), es = ecl_tfl_dtype_size(tt.info.type);
            if (!n) {
                tensor_name_msg(e, m, (int32_t)i);
                ecl_msg_str(e, " is empty");
                return ECL_ERANGE;
            }
            if (n * es > 0x7fffffc0u) FAIL(ECL_ERANGE, "activation tensor too large");
            pl->size[i] = (uint32_t)((n * es + ALIGN - 1) & ~(size_t)(ALIGN - 1));
            act_sum += pl->size[i];
        }
        if (T) {
            memset(&T[i], 0, sizeof T[i]);
            T[i].s = shape4(&tt.info);
            T[i].ndims = tt.info.ndims;
            T[i].type = tt.info.type;
            T[i].scale = tt.info.scale;
            T[i].zp = tt.info.zero_point;
            T[i].bytes = (uint32_t)(ecl_shape4_count(T[i].s) * ecl_tfl_dtype_size(tt.info.type));
            T[i].is_const = (uint8_t)(tt.info.is_const || pl->cconst[i]);
            T[i].is_act = (uint8_t)(pl->size[i] != 0);
        }
        /* constants: used in place if aligned for their element type, else copied */
        if (tt.info.is_const && pl->need_t[i]) {
            size_t es = ecl_tfl_dtype_size(tt.info.type);
            if (((uintptr_t)tt.data % es) != 0) {
                void *copy = bump_alloc(&bp, tt.data_len);
                if (copy) memcpy(copy, tt.data, tt.data_len);
                if (T) T[i].data = copy;
            } else if (T) {
                T[i].data = (void *)tt.data;
            }
        }
    }
    /* constants computed once: DEQUANTIZE of constant float16 / int8 weights */
    for (uint32_t i = 0; i < no; i++) {
        if (!pl->cfold[i]) continue;
        ecl_tfl_read_op(m, (int32_t)i, &op);
        enum ecl_status st = fold_dequantize(&pp, &op, (int32_t)i);
        if (st != ECL_OK) return st;
    }
    int32_t r = 0;
    for (uint32_t i = 0; i < no; i++) {
        if (!pl->need_op[i]) continue;
        ecl_tfl_read_op(m, (int32_t)i, &op);
        struct iop tmp, *io = O ? &O[r] : &tmp;
        memset(io, 0, sizeof *io);
        io->code = op.builtin;
        io->index = (int32_t)i;
        io->n_in = (int32_t)op.inputs.len;
        memset(pp.fold, 0, sizeof pp.fold);
        if (pl->fold[i]) { /* validate the folded PAD as if it ran; take its paddings */
            struct tfl_op pop;
            struct iop pio;
            int32_t pi = pl->fold[i] - 1;
            ecl_tfl_read_op(m, pi, &pop);
            memset(&pio, 0, sizeof pio);
            memset(slot, 0, sizeof slot);
            ecl_tfl_read_tensor(m, fb_vec_i32(&b, &pop.inputs, 0), &slot[0]);
            ecl_tfl_read_tensor(m, fb_vec_i32(&b, &pop.inputs, 1), &slot[1]);
            ecl_tfl_read_tensor(m, fb_vec_i32(&b, &pop.outputs, 0), &slot[3]);
            enum ecl_status st = prep_op(&pp, &pop, pi, &pio);
            if (st != ECL_OK) return st;
            pp.fold[0] = pio.pads[2];
            pp.fold[1] = pio.pads[3];
            pp.fold[2] = pio.pads[4];
            pp.fold[3] = pio.pads[5];
        }
        for (uint32_t q = 0; q < op.inputs.len; q++) {
            io->in[q] = op_input(m, pl, (int32_t)i, &op, q);
            /* -1 marks an omitted optional input; only a conv/FC bias (input 2) may be one */
            int optional =
                q == 2 && (op.builtin == OP_CONV_2D || op.builtin == OP_DEPTHWISE_CONV_2D ||
                           op.builtin == OP_FULLY_CONNECTED);
            if (io->in[q] < 0 && !optional) {
                op_error(pp.e, ECL_EFORMAT, &op, (int32_t)i, "required input ");
                ecl_msg_int(pp.e, (int32_t)q);
                ecl_msg_str(pp.e, " is missing (tensor index -1)");
                return ECL_EFORMAT;
            }
        }
        io->out = fb_vec_i32(&b, &op.outputs, 0);
        memset(slot, 0, sizeof slot);
        for (int q = 0; q < 3 && q < io->n_in; q++)
            if (io->in[q] >= 0) {
                ecl_tfl_read_tensor(m, io->in[q], &slot[q]);
                if (pl->cconst[io->in[q]]) as_folded_const(&slot[q], T, io->in[q]);
            }
        ecl_tfl_read_tensor(m, io->out, &slot[3]);
        enum ecl_status st = prep_op(&pp, &op, (int32_t)i, io);
        memset(pp.fold, 0, sizeof pp.fold);
        if (st != ECL_OK) return st;
        r++;
    }
    size_t persistent = bp.used;

    /* 4. lifetimes: [producer position, last reader position]; the cut lives to the end */
    for (uint32_t i = 0; i < nt; i++) {
        pl->first[i] = pl->prod[i] >= 0 ? pl->prod[i] : 0;
        pl->last[i] = pl->first[i];
    }
    r = 0;
    for (uint32_t i = 0; i < no; i++) {
        if (!pl->need_op[i]) continue;
        ecl_tfl_read_op(m, (int32_t)i, &op);
        for (uint32_t q = 0; q < op.inputs.len; q++) {
            int32_t t = op_input(m, pl, (int32_t)i, &op, q);
            if (t >= 0 && pl->size[t] && pl->last[t] < r) pl->last[t] = (int16_t)r;
        }
        r++;
    }
    pl->last[cut] = (int16_t)n_run;

    /* 5. greedy by size: largest first, lowest offset free during its lifetime */
    uint32_t na = 0;
    for (uint32_t i = 0; i < nt; i++)
        if (pl->size[i]) pl->order[na++] = (uint16_t)i;
    for (uint32_t i = 1; i < na; i++) { /* insertion sort, size descending, stable */
        uint16_t v = pl->order[i];
        uint32_t j = i;
        while (j > 0 && pl->size[pl->order[j - 1]] < pl->size[v]) {
            pl->order[j] = pl->order[j - 1];
            j--;
        }
        pl->order[j] = v;
    }
    size_t act_bytes = 0;
    for (uint32_t i = 0; i < na; i++) {
        uint16_t t = pl->order[i];
        uint64_t off = 0;
        for (int moved = 1; moved;) {
            moved = 0;
            for (uint32_t j = 0; j < i; j++) {
                uint16_t u = pl->order[j];
                if (pl->first[u] > pl->last[t] || pl->first[t] > pl->last[u]) continue;
                if (off < (uint64_t)pl->off[u] + pl->size[u] && pl->off[u] < off + pl->size[t]) {
                    off = (uint64_t)pl->off[u] + pl->size[u];
                    moved = 1;
                }
            }
        }
        if (off + pl->size[t] > 0xffffffffu) FAIL(ECL_ERANGE, "activations too large");
        pl->off[t] = (uint32_t)off;
        if (off + pl->size[t] > act_bytes) act_bytes = (size_t)(off + pl->size[t]);
    }
    uint8_t *act = bump_alloc(&bp, act_bytes);
    void *scratch = pp.scratch ? bump_alloc(&bp, pp.scratch) : NULL;
    size_t total = bp.used + ALIGN; /* + slack for aligning an unaligned arena */
    if (need) *need = total;
    if (!arena) return ECL_OK;
    if (bp.used > bp.cap) {
        ecl_msg_str(e, "arena too small: need ");
        ecl_msg_int(e, (int64_t)total);
        ecl_msg_str(e, " bytes");
        return ECL_ENOMEM;
    }
    for (uint32_t i = 0; i < nt; i++)
        if (pl->size[i]) T[i].data = act + pl->off[i];
    memset(it, 0, sizeof *it);
    it->k = k;
    it->kc.parallel_for = opts.parallel_for;
    it->kc.pf_user = opts.pf_user;
    it->kc.n_threads = opts.n_threads > 0 ? opts.n_threads : 1;
    it->kc.scratch = scratch;
    it->kc.scratch_bytes = pp.scratch;
    it->t = T;
    it->n_t = nt;
    it->ops = O;
    it->n_ops = (uint32_t)n_run;
    it->input = input;
    it->cut = cut;
    it->st.arena_used = bp.used + (size_t)(bp.base - (uint8_t *)arena);
    it->st.activation_bytes = act_bytes;
    it->st.activation_sum = act_sum;
    it->st.persistent_bytes = persistent;
    it->st.n_ops_run = n_run;
    it->st.kernels = k.name;
    if (T[input].type != ECL_DT_FLOAT32 && T[input].type != ECL_DT_INT8)
        FAIL(ECL_EUNSUPPORTED, "model input must be float32 or int8");
    if (T[cut].type != ECL_DT_FLOAT32 && T[cut].type != ECL_DT_INT8)
        FAIL(ECL_EUNSUPPORTED, "cut tensor must be float32 or int8");
    *out = it;
    return ECL_OK;
}

struct ecl_interp_opts ecl_interp_default_opts(void) {
    struct ecl_interp_opts o = {0, NULL, NULL, 1, 0};
    return o;
}

enum ecl_status ecl_interp_mem_size(const struct ecl_model *m, int32_t cut,
                                    const struct ecl_interp_opts *o, size_t *bytes, char *err,
                                    size_t errlen) {
    if (!bytes) return ECL_EINVAL;
    return build(m, cut, o, NULL, 0, NULL, bytes, err, errlen);
}

enum ecl_status ecl_interp_init(const struct ecl_model *m, int32_t cut,
                                const struct ecl_interp_opts *o, void *arena, size_t bytes,
                                struct ecl_interp **out, char *err, size_t errlen) {
    if (!arena || !out) {
        struct msg e;
        ecl_msg_init(&e, err, errlen);
        ecl_msg_str(&e, "NULL arena or output pointer");
        return ECL_EINVAL;
    }
    return build(m, cut, o, arena, bytes, out, NULL, err, errlen);
}

/* ------------------------------------------------------------------ run */
static void run_op(struct ecl_interp *it, const struct iop *io) {
    const struct ecl_kernels *k = &it->k;
    const struct ecl_kctx *kc = &it->kc;
    struct itensor *T = it->t, *in = &T[io->in[0]], *out = &T[io->out];
    struct itensor *in1 = io->n_in > 1 && io->in[1] >= 0 ? &T[io->in[1]] : NULL;
    struct itensor *in2 = io->n_in > 2 && io->in[2] >= 0 ? &T[io->in[2]] : NULL;
    size_t n = ecl_shape4_count(in->s);
    int q = in->type == ECL_DT_INT8;
    switch (io->code) {
    case OP_CONV_2D:
        if (q)
            k->conv2d_i8(kc, &io->p.conv, in->data, in->s, in1->data, in1->s,
                         in2 ? in2->data : NULL, out->data, out->s);
        else
            k->conv2d_f32(kc, &io->p.conv, in->data, in->s, in1->data, in1->s,
                          in2 ? in2->data : NULL, out->data, out->s);
        break;
    case OP_DEPTHWISE_CONV_2D:
        if (q)
            k->dwconv_i8(kc, &io->p.conv, in->data, in->s, in1->data, in1->s,
                         in2 ? in2->data : NULL, out->data, out->s);
        else
            k->dwconv_f32(kc, &io->p.conv, in->data, in->s, in1->data, in1->s,
                          in2 ? in2->data : NULL, out->data, out->s);
        break;
    case OP_FULLY_CONNECTED:
        if (q)
            k->fc_i8(kc, &io->p.fc, in->data, io->batch, io->in_dim, in1->data,
                     in2 ? in2->data : NULL, out->data, io->out_dim);
        else
            k->fc_f32(kc, &io->p.fc, in->data, io->batch, io->in_dim, in1->data,
                      in2 ? in2->data : NULL, out->data, io->out_dim);
        break;
    case OP_AVERAGE_POOL_2D:
        (q ? (void)k->avgpool_i8(kc, &io->p.pool, in->data, in->s, out->data, out->s)
           : k->avgpool_f32(kc, &io->p.pool, in->data, in->s, out->data, out->s));
        break;
    case OP_MAX_POOL_2D:
        (q ? (void)k->maxpool_i8(kc, &io->p.pool, in->data, in->s, out->data, out->s)
           : k->maxpool_f32(kc, &io->p.pool, in->data, in->s, out->data, out->s));
        break;
    case OP_ADD:
        (q ? (void)k->add_i8(kc, &io->p.bin, in->data, in->s, in1->data, in1->s, out->data, out->s)
           : k->add_f32(kc, &io->p.bin, in->data, in->s, in1->data, in1->s, out->data, out->s));
        break;
    case OP_MUL:
        (q ? (void)k->mul_i8(kc, &io->p.bin, in->data, in->s, in1->data, in1->s, out->data, out->s)
           : k->mul_f32(kc, &io->p.bin, in->data, in->s, in1->data, in1->s, out->data, out->s));
        break;
    case OP_LOGISTIC:
    case OP_HARD_SWISH:
    case OP_RELU:
    case OP_RELU6:
        if (q) {
            ecl_ref_lut_i8(in->data, out->data, n, io->lut);
        } else if (io->code == OP_LOGISTIC) {
            k->logistic_f32(in->data, out->data, n);
        } else if (io->code == OP_HARD_SWISH) {
            k->hard_swish_f32(in->data, out->data, n);
        } else {
            const float *x = in->data;
            float *y = out->data, hi = io->code == OP_RELU6 ? 6.0f : INFINITY;
            for (size_t i = 0; i < n; i++)
                y[i] = x[i] < 0 ? 0 : (x[i] > hi ? hi : x[i]);
        }
        break;
    case OP_MEAN:
        if (q)
            ecl_ref_mean_i8(in->data, in->s, io->mask, in->zp, out->zp, io->mult, io->shift,
                            out->data);
        else if (io->mask == 6u)
            k->mean_hw_f32(kc, in->data, in->s, out->data);
        else
            ecl_ref_mean_f32(in->data, in->s, io->mask, out->data);
        break;
    case OP_PAD: {
        float zf = 0.0f;
        int8_t zq = (int8_t)out->zp;
        ecl_ref_pad(in->data, in->s, io->pads, out->data, q ? 1 : 4, q ? (void *)&zq : (void *)&zf);
        break;
    }
    case OP_CONCATENATION: {
        const void *ins[ECL_MAX_OP_INPUTS];
        struct ecl_shape4 shapes[ECL_MAX_OP_INPUTS];
        for (int32_t i = 0; i < io->n_in; i++) {
            ins[i] = T[io->in[i]].data;
            shapes[i] = T[io->in[i]].s;
        }
        ecl_ref_concat(ins, shapes, io->n_in, io->axis, out->data, q ? 1 : 4);
        break;
    }
    case OP_RESHAPE:
    case OP_SQUEEZE:
        memcpy(out->data, in->data, out->bytes);
        break;
    case OP_SOFTMAX:
        if (q)
            ecl_ref_softmax_i8(in->data, out->data, io->outer, io->depth, io->beta, in->scale,
                               out->scale, out->zp);
        else
            k->softmax_f32(in->data, out->data, io->outer, io->depth, io->beta);
        break;
    case OP_QUANTIZE:
        if (q)
            ecl_ref_requantize_i8(in->data, out->data, n, in->zp, out->zp, io->mult, io->shift);
        else
            ecl_ref_quantize_f32_i8(in->data, out->data, n, out->scale, out->zp);
        break;
    case OP_DEQUANTIZE:
        if (q) {
            ecl_ref_dequantize_i8_f32(in->data, out->data, n, in->scale, in->zp);
        } else {
            const uint16_t *h = in->data;
            float *y = out->data;
            for (size_t i = 0; i < n; i++)
                y[i] = half_to_float(h[i]);
        }
        break;
    }
}

enum ecl_status ecl_interp_run(struct ecl_interp *it, const float *input, float *out) {
    if (!it || !input || !out) return ECL_EINVAL;
    struct itensor *in = &it->t[it->input], *ct = &it->t[it->cut];
    size_t n = ecl_shape4_count(in->s);
    if (in->type == ECL_DT_INT8)
        ecl_ref_quantize_f32_i8(input, in->data, n, in->scale, in->zp);
    else
        memcpy(in->data, input, n * sizeof(float));
    for (uint32_t i = 0; i < it->n_ops; i++)
        run_op(it, &it->ops[i]);
    size_t m = ecl_shape4_count(ct->s);
    if (ct->type == ECL_DT_INT8)
        ecl_ref_dequantize_i8_f32(ct->data, out, m, ct->scale, ct->zp);
    else
        memcpy(out, ct->data, m * sizeof(float));
    return ECL_OK;
}

size_t ecl_interp_input_count(const struct ecl_interp *it) {
    return ecl_shape4_count(it->t[it->input].s);
}

size_t ecl_interp_output_count(const struct ecl_interp *it) {
    return ecl_shape4_count(it->t[it->cut].s);
}

static void dims4(struct ecl_shape4 s, int32_t d[4]) {
    d[0] = s.n;
    d[1] = s.h;
    d[2] = s.w;
    d[3] = s.c;
}

void ecl_interp_input_dims(const struct ecl_interp *it, int32_t dims[4]) {
    dims4(it->t[it->input].s, dims);
}

void ecl_interp_output_dims(const struct ecl_interp *it, int32_t dims[4]) {
    dims4(it->t[it->cut].s, dims);
}

int32_t ecl_interp_output_ndims(const struct ecl_interp *it) {
    return it->t[it->cut].ndims;
}

void ecl_interp_get_stats(const struct ecl_interp *it, struct ecl_interp_stats *s) {
    *s = it->st;
}

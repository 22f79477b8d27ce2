/* CONV_2D and DEPTHWISE_CONV_2D: float32, int8 (per-channel or per-tensor filters, lowered
 * uint8 included: filter zero point), and hybrid (float input, int8 filter: TFLite's dynamic-
 * range arithmetic, or float after ECL_HYBRID_DEQUANT turned the filter into float32).
 * Options: padding, strides, dilations, fused activation (depthwise: depth_multiplier, which
 * TFLite derives from the shapes, as we do). */
#include "tflite/ops/ops.h"

static enum ecl_status conv_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_conv_data *d = n->data;
    const struct ecl_tensor *b = n->n_in > 2 ? ecl_in(x, n, 2) : NULL;
    x->k->conv2d_f32(x->kc, &d->p, ecl_in(x, n, 0)->data, d->is, ecl_in(x, n, 1)->data, d->ws,
                     b ? b->data : NULL, ecl_out(x, n, 0)->data, d->os);
    return ECL_OK;
}

static enum ecl_status dw_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_conv_data *d = n->data;
    const struct ecl_tensor *b = n->n_in > 2 ? ecl_in(x, n, 2) : NULL;
    x->k->dwconv_f32(x->kc, &d->p, ecl_in(x, n, 0)->data, d->is, ecl_in(x, n, 1)->data, d->ws,
                     b ? b->data : NULL, ecl_out(x, n, 0)->data, d->os);
    return ECL_OK;
}

/* The reference float kernels whatever the table holds (a model with hybrid ops, see
 * ecl_pass_hybrid): they sum in TFLite's runtime order. */
static enum ecl_status conv_f32_exact(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_conv_data *d = n->data;
    const struct ecl_tensor *b = n->n_in > 2 ? ecl_in(x, n, 2) : NULL;
    ecl_ref_conv2d_f32(x->kc, &d->p, ecl_in(x, n, 0)->data, d->is, ecl_in(x, n, 1)->data, d->ws,
                       b ? b->data : NULL, ecl_out(x, n, 0)->data, d->os);
    return ECL_OK;
}

static enum ecl_status dw_f32_exact(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_conv_data *d = n->data;
    const struct ecl_tensor *b = n->n_in > 2 ? ecl_in(x, n, 2) : NULL;
    ecl_ref_dwconv_f32(x->kc, &d->p, ecl_in(x, n, 0)->data, d->is, ecl_in(x, n, 1)->data, d->ws,
                       b ? b->data : NULL, ecl_out(x, n, 0)->data, d->os);
    return ECL_OK;
}

static enum ecl_status conv_i8(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_conv_data *d = n->data;
    const struct ecl_tensor *b = n->n_in > 2 ? ecl_in(x, n, 2) : NULL;
    x->k->conv2d_i8(x->kc, &d->p, ecl_in(x, n, 0)->data, d->is, ecl_in(x, n, 1)->data, d->ws,
                    b ? b->data : NULL, ecl_out(x, n, 0)->data, d->os);
    return ECL_OK;
}

static enum ecl_status dw_i8(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_conv_data *d = n->data;
    const struct ecl_tensor *b = n->n_in > 2 ? ecl_in(x, n, 2) : NULL;
    x->k->dwconv_i8(x->kc, &d->p, ecl_in(x, n, 0)->data, d->is, ecl_in(x, n, 1)->data, d->ws,
                    b ? b->data : NULL, ecl_out(x, n, 0)->data, d->os);
    return ECL_OK;
}

static enum ecl_status conv_hybrid(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_conv_data *d = n->data;
    const struct ecl_tensor *b = n->n_in > 2 ? ecl_in(x, n, 2) : NULL;
    struct ecl_hybrid_params h = {d->w_scales, d->hybrid_per_channel, d->asymmetric};
    ecl_ref_conv2d_hybrid(x->kc, &d->p, &h, ecl_in(x, n, 0)->data, d->is, ecl_in(x, n, 1)->data,
                          d->ws, b ? b->data : NULL, ecl_out(x, n, 0)->data, d->os);
    return ECL_OK;
}

static enum ecl_status dw_hybrid(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_conv_data *d = n->data;
    const struct ecl_tensor *b = n->n_in > 2 ? ecl_in(x, n, 2) : NULL;
    struct ecl_hybrid_params h = {d->w_scales, d->hybrid_per_channel, d->asymmetric};
    ecl_ref_dwconv_hybrid(x->kc, &d->p, &h, ecl_in(x, n, 0)->data, d->is, ecl_in(x, n, 1)->data,
                          d->ws, b ? b->data : NULL, ecl_out(x, n, 0)->data, d->os);
    return ECL_OK;
}

/* Per-channel requantisation: real = in_scale * w_scale[o] / out_scale, as TFLite computes it:
 * in double for int8 (PopulateConvolutionQuantizationParams); for uint8 the product of the two
 * scales is formed in float first (GetQuantizedConvolutionMultipler), which can change the last
 * bit of the multiplier. Legacy uint8 files have one filter scale. */
static enum ecl_status make_mults(struct ecl_prep *p, const struct ecl_tensor *in,
                                  const struct ecl_tensor *w, const struct ecl_tensor *out,
                                  int32_t n, int32_t **mults, int32_t **shifts) {
    if (w->n_scales != 1 && w->n_scales != n)
        return ecl_prep_fail(p, ECL_EFORMAT, "filter scales do not match the output channels");
    int32_t *mu = ecl_prep_alloc(p, (size_t)n * 4), *sh = ecl_prep_alloc(p, (size_t)n * 4);
    if (mu && sh)
        for (int32_t o = 0; o < n; o++) {
            float ws = ecl_prep_scale(p, w, o);
            double prod = w->lowered ? (double)(in->scale * ws) : (double)in->scale * (double)ws;
            double real = prod / (double)out->scale;
            ecl_quantize_multiplier(real, &mu[o], &sh[o]);
        }
    *mults = mu;
    *shifts = sh;
    return ECL_OK;
}

static enum ecl_status check_shapes(struct ecl_prep *p, struct ecl_conv_data *d, int dw) {
    struct ecl_tensor *in = p->in[0], *w = p->in[1], *bias = p->n_in > 2 ? p->in[2] : NULL;
    struct ecl_tensor *out = p->out[0];
    if (!w->is_const || w->ndims != 4)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "filter must be a constant 4-D tensor");
    if (bias && !bias->is_const) return ecl_prep_fail(p, ECL_EUNSUPPORTED, "bias must be constant");
    if (in->ndims != 4 || out->ndims != 4)
        return ecl_prep_fail(p, ECL_EFORMAT, "input and output must be 4-D");
    d->is = ecl_tensor_shape4(in);
    d->ws = ecl_tensor_shape4(w);
    d->os = ecl_tensor_shape4(out);
    int32_t oc = dw ? d->ws.c : d->ws.n;
    if (dw ? (d->ws.n != 1 || d->is.c == 0 || oc % d->is.c) : d->ws.c != d->is.c)
        return ecl_prep_fail(p, ECL_EFORMAT, "filter shape does not match the input");
    if (d->os.c != oc || d->os.n != d->is.n)
        return ecl_prep_fail(p, ECL_EFORMAT, "output channels do not match the filter");
    if (bias && bias->count != (uint32_t)oc)
        return ecl_prep_fail(p, ECL_EFORMAT, "bias size does not match the filter");
    if (d->ws.h > 4096 || d->ws.w > 4096) return ecl_prep_fail(p, ECL_ERANGE, "filter too large");
    return ECL_OK;
}

static enum ecl_status read_options(struct ecl_prep *p, struct ecl_conv_data *d, int dw, int *act) {
    int padding = ecl_opt_u8(p, 0, 0);
    int32_t sw = ecl_opt_i32(p, 1, 0), sh = ecl_opt_i32(p, 2, 0);
    int32_t dm = dw ? ecl_opt_i32(p, 3, 0) : 1;
    *act = ecl_opt_u8(p, dw ? 4 : 3, 0);
    int32_t dlw = ecl_opt_i32(p, dw ? 5 : 4, 1), dlh = ecl_opt_i32(p, dw ? 6 : 5, 1);
    (void)dm; /* TFLite derives the multiplier from the shapes, as we do */
    if (!p->op || !p->op->has_opts) return ecl_prep_fail(p, ECL_EFORMAT, "missing options");
    if (sw < 1 || sh < 1 || dlw < 1 || dlh < 1 || sw > 1024 || sh > 1024 || dlw > 1024 ||
        dlh > 1024)
        return ecl_prep_fail(p, ECL_ERANGE, "stride or dilation out of range");
    struct ecl_conv_params *c = &d->p;
    int32_t oh, ow, *f = p->fold;
    /* A folded PAD makes the conv see an input larger by f[] on each side; the kernels read the
     * real input and treat the taps in the margin as zero. */
    if (!ecl_window_out(d->is.h + f[0] + f[1], d->ws.h, sh, dlh, padding, &oh, &c->pad_top) ||
        !ecl_window_out(d->is.w + f[2] + f[3], d->ws.w, sw, dlw, padding, &ow, &c->pad_left) ||
        oh != d->os.h || ow != d->os.w)
        return ecl_prep_fail(p, ECL_EFORMAT, "output size does not match the padding");
    c->pad_top += f[0];
    c->pad_left += f[2];
    c->stride_h = sh;
    c->stride_w = sw;
    c->dil_h = dlh;
    c->dil_w = dlw;
    c->depth_multiplier = dw ? d->os.c / d->is.c : 1;
    return ECL_OK;
}

/* What the fusion pass may do with this conv (enum ecl_fuse_kind; scratch: the per-call
 * scratch bytes it asked for). */
static void mark_fusable(struct ecl_prep *p, const struct ecl_conv_data *d, int dw, int i8,
                         size_t scratch) {
    const struct ecl_conv_params *c = &d->p;
    if (d->is.n != 1 || c->dil_h != 1 || c->dil_w != 1) return;
    /* every output row of a fused band reads at least one real input row (a folded PAD can make
     * rows of padding only: those run unfused) */
    int rows_real =
        c->pad_top < d->ws.h && (int64_t)(d->os.h - 1) * c->stride_h - c->pad_top < d->is.h;
    if (dw && c->depth_multiplier == 1 && c->stride_h <= 2 && d->ws.h <= 5 && rows_real)
        ecl_prep_fusable(p, i8 ? ECL_FUSE_DW_I8 : ECL_FUSE_DW_F32);
    else if (!dw && !scratch && d->ws.h == 1 && d->ws.w == 1 && c->stride_h == 1 &&
             c->stride_w == 1 && c->pad_top == 0 && c->pad_left == 0)
        ecl_prep_fusable(p, i8 ? ECL_FUSE_PW_I8 : ECL_FUSE_PW_F32);
}

/* Weights packed once for the table's CONV_2D kernel, when it offers that (kernels.h):
 * persistent arena bytes, filled in the real pass (the sizing pass only counts them). The
 * prepack_* functions return 1 when they asked for them: the kernel then needs no per-call
 * scratch (the same answer in both passes; should the packing still not happen, the kernel finds
 * no scratch and runs its unpacked code: slower, same result). prepack_dst: the memory to fill
 * now, or NULL (none asked, the sizing pass, or constants without data). */
static void *prepack_dst(struct ecl_prep *p, size_t bytes, int *asked) {
    const struct ecl_tensor *w = p->in[1], *bias = p->n_in > 2 ? p->in[2] : NULL;
    *asked = bytes != 0;
    void *dst = bytes ? ecl_prep_alloc(p, bytes) : NULL;
    return !dst || ecl_prep_sizing(p) || !w->data || (bias && !bias->data) ? NULL : dst;
}

static int prepack_i8(struct ecl_prep *p, struct ecl_conv_data *d) {
    const struct ecl_kernels *k = ecl_prep_kernels(p);
    const struct ecl_tensor *bias = p->n_in > 2 ? p->in[2] : NULL;
    int asked = 0;
    d->p.w_packed = NULL;
    if (!k->conv2d_i8_prepack_bytes || !k->conv2d_i8_prepack) return 0;
    void *dst = prepack_dst(p, k->conv2d_i8_prepack_bytes(&d->p, d->is, d->ws, d->os), &asked);
    if (dst) {
        k->conv2d_i8_prepack(&d->p, d->is, p->in[1]->data, d->ws, bias ? bias->data : NULL, d->os,
                             dst);
        d->p.w_packed = dst;
    }
    return asked;
}

static int prepack_f32(struct ecl_prep *p, struct ecl_conv_data *d) {
    const struct ecl_kernels *k = ecl_prep_kernels(p);
    const struct ecl_tensor *bias = p->n_in > 2 ? p->in[2] : NULL;
    int asked = 0;
    d->p.w_packed = NULL;
    if (!k->conv2d_f32_prepack_bytes || !k->conv2d_f32_prepack) return 0;
    void *dst = prepack_dst(p, k->conv2d_f32_prepack_bytes(&d->p, d->is, d->ws, d->os), &asked);
    if (dst) {
        k->conv2d_f32_prepack(&d->p, d->is, p->in[1]->data, d->ws, bias ? bias->data : NULL, d->os,
                              dst);
        d->p.w_packed = dst;
    }
    return asked;
}

static enum ecl_status prep_float(struct ecl_prep *p, struct ecl_conv_data *d, int dw, int act) {
    struct ecl_tensor *w = p->in[1], *bias = p->n_in > 2 ? p->in[2] : NULL, *out = p->out[0];
    if (out->type != ECL_DT_FLOAT32 || (bias && bias->type != ECL_DT_FLOAT32))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "float conv needs float32 output and bias");
    if (!ecl_act_f32(act, &d->p.act_min, &d->p.act_max))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "unsupported fused activation");
    if (w->type == ECL_DT_FLOAT32) {
        /* the reference float CONV_2D sums as TFLite's runtime does (kernels.h); its
         * DEPTHWISE_CONV_2D already does (bias first, then ky, kx in order) */
        d->p.f32_order =
            ecl_prep_opts(p)->arith != ECL_ARITH_REFERENCE ? ECL_F32_EIGEN : ECL_F32_SEQ;
        if (ecl_prep_f32_exact(p)) {
            p->eval =
                dw ? dw_f32_exact : conv_f32_exact; /* the reference kernels need no scratch */
            return ECL_OK;
        }
        p->eval = dw ? dw_f32 : conv_f32;
        size_t scratch = 0;
        if (!dw && !prepack_f32(p, d) && ecl_prep_kernels(p)->conv2d_f32_scratch)
            scratch = ecl_prep_kernels(p)->conv2d_f32_scratch(&d->p, d->is, d->ws, d->os,
                                                              ecl_prep_opts(p)->n_threads);
        ecl_prep_scratch(p, scratch);
        /* the reference CONV_2D's runtime order depends on the pixel's place in the map */
        if (ecl_prep_kernels(p)->conv2d_f32 != ecl_ref_conv2d_f32)
            mark_fusable(p, d, dw, 0, scratch);
        return ECL_OK;
    }
    if (w->type != ECL_DT_INT8 || w->n_scales < 1)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED,
                             "float input needs a float32 or quantised int8 filter");
    /* hybrid: TFLite computes per-channel (asymmetric input quantisation) when the filter scales
     * differ, else per-tensor (symmetric); depthwise is always per-channel */
    int32_t oc = d->os.c;
    if (w->n_scales != 1 && w->n_scales != oc)
        return ecl_prep_fail(p, ECL_EFORMAT, "filter scales do not match the output channels");
    if (ecl_prep_zp(p, w, 0) != 0)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "hybrid filter with a non-zero zero point");
    if (!dw && (d->p.dil_h != 1 || d->p.dil_w != 1))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "hybrid CONV_2D with dilation");
    if (dw && w->n_scales != oc)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "hybrid depthwise needs per-channel scales");
    float *sc = ecl_prep_alloc(p, (size_t)oc * sizeof(float));
    int differ = 0;
    for (int32_t o = 0; o < oc; o++) {
        float s = ecl_prep_scale(p, w, o);
        if (s != ecl_prep_scale(p, w, 0)) differ = 1;
        if (sc) sc[o] = s;
    }
    d->w_scales = sc;
    d->hybrid_per_channel = dw || differ;
    d->asymmetric = d->hybrid_per_channel;
    ecl_prep_scratch(p, ecl_hybrid_scratch(p->in[0]->count, d->is.n));
    p->eval = dw ? dw_hybrid : conv_hybrid;
    return ECL_OK;
}

static enum ecl_status prep_int8(struct ecl_prep *p, struct ecl_conv_data *d, int dw, int act) {
    struct ecl_tensor *in = p->in[0], *w = p->in[1], *bias = p->n_in > 2 ? p->in[2] : NULL;
    struct ecl_tensor *out = p->out[0];
    if (!ecl_is_q8(in) || !ecl_is_q8(out) || w->type != ECL_DT_INT8 || w->n_scales < 1 ||
        (bias && bias->type != ECL_DT_INT32))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED,
                             "int8 conv needs int8 input/filter/output and int32 bias");
    if (in->lowered != w->lowered)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "uint8 and int8 tensors mixed");
    /* int8 filters are symmetric (TFLite requires zero points 0); uint8 ones have one zero point */
    d->p.w_zp = w->lowered ? ecl_prep_zp(p, w, 0) : 0;
    if (!w->lowered)
        for (int32_t o = 0; o < w->n_scales; o++)
            if (ecl_prep_zp(p, w, o) != 0)
                return ecl_prep_fail(p, ECL_EUNSUPPORTED, "int8 filter with a non-zero zero point");
    if (w->lowered && w->n_scales != 1)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "uint8 filter with per-channel quantisation");
    if ((int64_t)d->ws.h * d->ws.w * (dw ? 1 : d->ws.c) > 32768)
        return ecl_prep_fail(p, ECL_ERANGE, "filter too large for int32 accumulation");
    if (bias) ecl_clamp_bias(p, bias);
    d->p.in_zp = in->zp;
    d->p.out_zp = out->zp;
    if (!ecl_act_q(act, out, &d->p.act_min_q, &d->p.act_max_q))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "unsupported fused activation");
    int32_t *mu = NULL, *sh = NULL;
    enum ecl_status st = make_mults(p, in, w, out, d->os.c, &mu, &sh);
    if (st != ECL_OK) return st;
    d->p.out_mult = mu;
    d->p.out_shift = sh;
    /* TFLite's runtime runs an int8 CONV_2D as a per-channel gemm, which ruy requantises with
     * a single rounding; its uint8 CONV_2D (per-tensor, gemmlowp) and every DEPTHWISE_CONV_2D
     * round twice, as its reference kernels do (docs/models.md) */
    int runtime = ecl_prep_opts(p)->arith != ECL_ARITH_REFERENCE;
    d->p.rounding = runtime && !dw && !w->lowered ? ECL_ROUND_SINGLE : ECL_ROUND_DOUBLE;
    size_t scratch = 0;
    if (!dw && !prepack_i8(p, d) && ecl_prep_kernels(p)->conv2d_i8_scratch)
        scratch = ecl_prep_kernels(p)->conv2d_i8_scratch(&d->p, d->is, d->ws, d->os,
                                                         ecl_prep_opts(p)->n_threads);
    ecl_prep_scratch(p, scratch);
    mark_fusable(p, d, dw, 1, scratch);
    p->eval = dw ? dw_i8 : conv_i8;
    return ECL_OK;
}

enum ecl_status ecl_prep_conv(struct ecl_prep *p) {
    struct ecl_conv_data *d = p->data;
    int dw = p->builtin == ECL_OP_DEPTHWISE_CONV_2D, act = 0;
    enum ecl_status st = check_shapes(p, d, dw);
    if (st == ECL_OK) st = read_options(p, d, dw, &act);
    if (st != ECL_OK) return st;
    return p->in[0]->type == ECL_DT_FLOAT32 ? prep_float(p, d, dw, act) : prep_int8(p, d, dw, act);
}

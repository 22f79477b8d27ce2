/* FULLY_CONNECTED: float32, int8 (per-tensor or per-channel weights; lowered uint8 with a
 * weight zero point), hybrid (float input, int8 weights; symmetric or, with the option
 * asymmetric_quantize_inputs, asymmetric input quantisation). Input of any rank: batch =
 * elements / input size (keep_num_dims only changes the output's declared shape). float32
 * weights may be a graph tensor rather than a constant. */
#include "tflite/ops/ops.h"

static enum ecl_status fc_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_fc_data *d = n->data;
    const struct ecl_tensor *b = n->n_in > 2 ? ecl_in(x, n, 2) : NULL;
    x->k->fc_f32(x->kc, &d->p, ecl_in(x, n, 0)->data, d->batch, d->in_dim, ecl_in(x, n, 1)->data,
                 b ? b->data : NULL, ecl_out(x, n, 0)->data, d->out_dim);
    return ECL_OK;
}

static enum ecl_status fc_i8(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_fc_data *d = n->data;
    const struct ecl_tensor *b = n->n_in > 2 ? ecl_in(x, n, 2) : NULL;
    x->k->fc_i8(x->kc, &d->p, ecl_in(x, n, 0)->data, d->batch, d->in_dim, ecl_in(x, n, 1)->data,
                b ? b->data : NULL, ecl_out(x, n, 0)->data, d->out_dim);
    return ECL_OK;
}

static enum ecl_status fc_hybrid(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_fc_data *d = n->data;
    const struct ecl_tensor *b = n->n_in > 2 ? ecl_in(x, n, 2) : NULL;
    struct ecl_hybrid_params h = {d->w_scales, d->p.per_channel, d->asymmetric};
    ecl_ref_fc_hybrid(x->kc, &d->p, &h, ecl_in(x, n, 0)->data, d->batch, d->in_dim,
                      ecl_in(x, n, 1)->data, b ? b->data : NULL, ecl_out(x, n, 0)->data,
                      d->out_dim);
    return ECL_OK;
}

static enum ecl_status prep_q(struct ecl_prep *p, struct ecl_fc_data *d, int act) {
    struct ecl_tensor *in = p->in[0], *w = p->in[1], *bias = p->n_in > 2 ? p->in[2] : NULL;
    struct ecl_tensor *out = p->out[0];
    if (!ecl_is_q8(in) || !ecl_is_q8(out) || w->type != ECL_DT_INT8 || w->n_scales < 1 ||
        (bias && bias->type != ECL_DT_INT32))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED,
                             "int8 FC needs int8 input/weights/output and int32 bias");
    if (in->lowered != w->lowered)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "uint8 and int8 tensors mixed");
    if (d->in_dim > 32768) return ecl_prep_fail(p, ECL_ERANGE, "input too long for int32");
    if (w->n_scales != 1 && w->n_scales != d->out_dim)
        return ecl_prep_fail(p, ECL_EFORMAT, "weight scales do not match the outputs");
    d->p.w_zp = w->lowered ? ecl_prep_zp(p, w, 0) : 0;
    if (!w->lowered && ecl_prep_zp(p, w, 0) != 0)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "int8 weights with a non-zero zero point");
    if (bias) ecl_clamp_bias(p, bias);
    d->p.in_zp = in->zp;
    d->p.out_zp = out->zp;
    d->p.per_channel = w->n_scales > 1;
    if (!ecl_act_q(act, out, &d->p.act_min_q, &d->p.act_max_q))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "unsupported fused activation");
    int32_t nm = d->p.per_channel ? d->out_dim : 1;
    int32_t *mu = ecl_prep_alloc(p, (size_t)nm * 4), *sh = ecl_prep_alloc(p, (size_t)nm * 4);
    if (mu && sh)
        for (int32_t o = 0; o < nm; o++) {
            /* TFLite: per tensor via GetQuantizedConvolutionMultipler (scales multiplied in
             * float), per channel via PopulateConvolutionQuantizationParams (in double) */
            float ws = ecl_prep_scale(p, w, o);
            double prod =
                d->p.per_channel ? (double)in->scale * (double)ws : (double)(in->scale * ws);
            ecl_quantize_multiplier(prod / (double)out->scale, &mu[o], &sh[o]);
        }
    d->p.out_mult = mu;
    d->p.out_shift = sh;
    p->eval = fc_i8;
    return ECL_OK;
}

static enum ecl_status prep_hybrid(struct ecl_prep *p, struct ecl_fc_data *d) {
    struct ecl_tensor *w = p->in[1];
    if (w->type != ECL_DT_INT8 || w->n_scales < 1 || ecl_prep_zp(p, w, 0) != 0)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "hybrid FC needs symmetric int8 weights");
    if (w->n_scales != 1 && w->n_scales != d->out_dim)
        return ecl_prep_fail(p, ECL_EFORMAT, "weight scales do not match the outputs");
    float *sc = ecl_prep_alloc(p, (size_t)w->n_scales * sizeof(float));
    if (sc)
        for (int32_t o = 0; o < w->n_scales; o++)
            sc[o] = ecl_prep_scale(p, w, o);
    d->w_scales = sc;
    d->p.per_channel = w->n_scales > 1;
    d->asymmetric = ecl_opt_u8(p, 3, 0) != 0;
    ecl_prep_scratch(p, ecl_hybrid_scratch(p->in[0]->count, d->batch));
    p->eval = fc_hybrid;
    return ECL_OK;
}

enum ecl_status ecl_prep_fc(struct ecl_prep *p) {
    struct ecl_fc_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *w = p->in[1], *bias = p->n_in > 2 ? p->in[2] : NULL;
    struct ecl_tensor *out = p->out[0];
    if (w->ndims != 2) return ecl_prep_fail(p, ECL_EFORMAT, "weights must be 2-D");
    /* float weights may be computed by the graph (the paper's head graphs transpose theirs);
     * quantised and hybrid weights are read at prepare, so they must be constant */
    if (!w->is_const && w->type != ECL_DT_FLOAT32)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "quantised weights must be constant");
    if (bias && !bias->is_const) return ecl_prep_fail(p, ECL_EUNSUPPORTED, "bias must be constant");
    int32_t od = w->dims[0], id = w->dims[1];
    if (id <= 0 || od <= 0 || in->count % (uint32_t)id)
        return ecl_prep_fail(p, ECL_EFORMAT, "input size is not a multiple of the weights");
    d->batch = (int32_t)(in->count / (uint32_t)id);
    d->in_dim = id;
    d->out_dim = od;
    if (out->count != (uint32_t)d->batch * (uint32_t)od)
        return ecl_prep_fail(p, ECL_EFORMAT, "output size does not match the weights");
    if (bias && bias->count != (uint32_t)od)
        return ecl_prep_fail(p, ECL_EFORMAT, "bias size does not match the weights");
    int act = ecl_opt_u8(p, 0, 0);
    if (ecl_opt_u8(p, 1, 0) != 0)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "shuffled weights format");
    if (in->type == ECL_DT_INT8) return prep_q(p, d, act);
    if (out->type != ECL_DT_FLOAT32 || (bias && bias->type != ECL_DT_FLOAT32))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "float FC needs float32 output and bias");
    if (!ecl_act_f32(act, &d->p.act_min, &d->p.act_max))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "unsupported fused activation");
    if (w->type == ECL_DT_FLOAT32) {
        p->eval = fc_f32;
        return ECL_OK;
    }
    return prep_hybrid(p, d);
}

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
    /* TFLite's runtime runs int8 FULLY_CONNECTED through ruy (single rounding), uint8 through
     * gemmlowp (double), as for CONV_2D (single-op goldens fc_i8_4d_ties, fc_u8_4d_ties) */
    int runtime = ecl_prep_opts(p)->arith != ECL_ARITH_REFERENCE;
    d->p.rounding = runtime && !w->lowered ? ECL_ROUND_SINGLE : ECL_ROUND_DOUBLE;
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

/* ------------------------------------------------------------------ BATCH_MATMUL */
/* BATCH_MATMUL: lhs [..., M, K] (adj_x: [..., K, M]) times rhs [..., K, N] (adj_y: [..., N, K]),
 * batch dims broadcast (rank <= 6 here, 5 in TFLite), either operand constant or not. float32:
 * each dot product summed in k order. int8: TFLite's reference, the int32 sum of
 * (l - z_l) * (r - z_r) requantised by s_l * s_r / s_out (the scale product in float, as
 * GetQuantizedConvolutionMultipler), clamped to int8. */
/* Runs body for each output batch b in order, with lo and ro the lhs and rhs matrix offsets. */
#define BMM_BATCHES(d, body)                                                                       \
    do {                                                                                           \
        int32_t idx_[ECL_MAX_DIMS] = {0};                                                          \
        int64_t total_ = 1;                                                                        \
        for (int i_ = 0; i_ < (d)->nb; i_++)                                                       \
            total_ *= (d)->od[i_];                                                                 \
        for (int64_t b = 0; b < total_; b++) {                                                     \
            int64_t lo = 0, ro = 0;                                                                \
            for (int i_ = 0; i_ < (d)->nb; i_++) {                                                 \
                lo += idx_[i_] * (d)->ls[i_];                                                      \
                ro += idx_[i_] * (d)->rs[i_];                                                      \
            }                                                                                      \
            body;                                                                                  \
            for (int i_ = (d)->nb - 1; i_ >= 0 && ++idx_[i_] == (d)->od[i_]; i_--)                 \
                idx_[i_] = 0;                                                                      \
        }                                                                                          \
    } while (0)

static enum ecl_status bmm_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_bmm_data *d = n->data;
    const float *l = ecl_in(x, n, 0)->data, *r = ecl_in(x, n, 1)->data;
    float *y = ecl_out(x, n, 0)->data;
    /* element (i, k) of lhs and (k, j) of rhs, whatever the adjoint flags */
    int64_t li = d->adj_x ? 1 : d->k, lk = d->adj_x ? d->m : 1;
    int64_t rk = d->adj_y ? 1 : d->n, rj = d->adj_y ? d->k : 1;
    BMM_BATCHES(d, {
        float *yb = y + b * (int64_t)d->m * d->n;
        for (int32_t i = 0; i < d->m; i++)
            for (int32_t j = 0; j < d->n; j++) {
                float s = 0;
                for (int32_t k = 0; k < d->k; k++)
                    s += l[lo + i * li + k * lk] * r[ro + k * rk + j * rj];
                yb[(int64_t)i * d->n + j] = s;
            }
    });
    return ECL_OK;
}

static enum ecl_status bmm_i8(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_bmm_data *d = n->data;
    const int8_t *l = ecl_in(x, n, 0)->data, *r = ecl_in(x, n, 1)->data;
    int8_t *y = ecl_out(x, n, 0)->data;
    int64_t li = d->adj_x ? 1 : d->k, lk = d->adj_x ? d->m : 1;
    int64_t rk = d->adj_y ? 1 : d->n, rj = d->adj_y ? d->k : 1;
    BMM_BATCHES(d, {
        int8_t *yb = y + b * (int64_t)d->m * d->n;
        for (int32_t i = 0; i < d->m; i++)
            for (int32_t j = 0; j < d->n; j++) {
                int32_t s = 0;
                for (int32_t k = 0; k < d->k; k++)
                    s += (l[lo + i * li + k * lk] - d->lhs_zp) *
                         (r[ro + k * rk + j * rj] - d->rhs_zp);
                yb[(int64_t)i * d->n + j] =
                    (int8_t)ecl_requant_out(s, d->mult, d->shift, d->out_zp, -128, 127);
            }
    });
    return ECL_OK;
}

/* Batch dims: right-aligned broadcast of lhs and rhs batch dims to the output's. */
static int bmm_batches(struct ecl_bmm_data *d, const struct ecl_tensor *l,
                       const struct ecl_tensor *r, const struct ecl_tensor *o) {
    d->nb = o->ndims - 2;
    int64_t sl = (int64_t)d->m * d->k, sr = (int64_t)d->k * d->n;
    for (int i = d->nb - 1; i >= 0; i--) {
        int il = i - (o->ndims - l->ndims), ir = i - (o->ndims - r->ndims);
        int32_t dl = il >= 0 ? l->dims[il] : 1, dr = ir >= 0 ? r->dims[ir] : 1, dd = o->dims[i];
        if ((dl != dd && dl != 1) || (dr != dd && dr != 1) || dd != (dl > dr ? dl : dr)) return 0;
        d->od[i] = dd;
        d->ls[i] = dl == 1 ? 0 : sl;
        d->rs[i] = dr == 1 ? 0 : sr;
        sl *= dl;
        sr *= dr;
    }
    return 1;
}

enum ecl_status ecl_prep_batch_matmul(struct ecl_prep *p) {
    struct ecl_bmm_data *d = p->data;
    struct ecl_tensor *l = p->in[0], *r = p->in[1], *o = p->out[0];
    d->adj_x = ecl_opt_u8(p, 0, 0) != 0;
    d->adj_y = ecl_opt_u8(p, 1, 0) != 0;
    if (l->ndims < 2 || r->ndims < 2 || o->ndims < 2 || o->ndims < l->ndims || o->ndims < r->ndims)
        return ecl_prep_fail(p, ECL_EFORMAT, "operands must have rank >= 2, output the largest");
    int32_t lr = l->dims[l->ndims - 2], lc = l->dims[l->ndims - 1];
    int32_t rr = r->dims[r->ndims - 2], rc = r->dims[r->ndims - 1];
    d->m = d->adj_x ? lc : lr;
    d->k = d->adj_x ? lr : lc;
    int32_t rk = d->adj_y ? rc : rr;
    d->n = d->adj_y ? rr : rc;
    if (rk != d->k) return ecl_prep_fail(p, ECL_EFORMAT, "inner dimensions differ");
    if (o->dims[o->ndims - 2] != d->m || o->dims[o->ndims - 1] != d->n)
        return ecl_prep_fail(p, ECL_EFORMAT, "output is not M x N");
    if (!bmm_batches(d, l, r, o))
        return ecl_prep_fail(p, ECL_EFORMAT, "batch dimensions do not broadcast to the output");
    if (r->type != l->type || o->type != l->type)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED,
                             "operand/output types differ (hybrid not supported)");
    if (l->type == ECL_DT_FLOAT32) {
        p->eval = bmm_f32;
        return ECL_OK;
    }
    if (!ecl_is_q8(l) || !ecl_is_q8(r) || !ecl_is_q8(o) || l->n_scales != 1 || r->n_scales != 1 ||
        o->n_scales != 1)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "int8 needs per-tensor quantisation");
    if (l->lowered || r->lowered || o->lowered)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "uint8 BATCH_MATMUL (TFLite has none)");
    if (d->k > 32768) return ecl_prep_fail(p, ECL_ERANGE, "inner dimension too long for int32");
    d->lhs_zp = l->zp;
    d->rhs_zp = r->zp;
    d->out_zp = o->zp;
    ecl_quantize_multiplier((double)(l->scale * r->scale) / (double)o->scale, &d->mult, &d->shift);
    p->eval = bmm_i8;
    return ECL_OK;
}

/* SOFTMAX over the last dimension (options: beta): float32 through the kernel table; int8
 * (lowered uint8 included) computed in float and quantised (a documented deviation from TFLite's
 * fixed-point exp, <= 1 LSB; see ecl_ref_softmax_i8). LOG_SOFTMAX (float32; int8 and uint8 with
 * TFLite's fixed point, in log_softmax_q.c) and L2_NORMALIZATION (float32, int8, uint8) below. */
#include "tflite/ops/ops.h"

static enum ecl_status softmax_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_softmax_data *d = n->data;
    x->k->softmax_f32(ecl_in(x, n, 0)->data, ecl_out(x, n, 0)->data, d->outer, d->depth, d->beta);
    return ECL_OK;
}

static enum ecl_status softmax_i8(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_softmax_data *d = n->data;
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    ecl_ref_softmax_i8(in->data, out->data, d->outer, d->depth, d->beta, in->scale, out->scale,
                       out->zp);
    return ECL_OK;
}

enum ecl_status ecl_prep_softmax(struct ecl_prep *p) {
    struct ecl_softmax_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    if (in->ndims < 1 || in->type != out->type || in->count != out->count)
        return ecl_prep_fail(p, ECL_EFORMAT, "output differs from input");
    d->depth = in->dims[in->ndims - 1];
    if (d->depth < 1) return ecl_prep_fail(p, ECL_EFORMAT, "empty last dimension");
    d->outer = (int32_t)(in->count / (uint32_t)d->depth);
    d->beta = ecl_opt_f32(p, 0, p->op && p->op->has_opts ? 0.0f : 1.0f);
    if (!isfinite(d->beta)) return ecl_prep_fail(p, ECL_ERANGE, "beta not finite");
    if (in->type == ECL_DT_FLOAT32) {
        p->eval = softmax_f32;
        return ECL_OK;
    }
    if (!ecl_is_q8(in) || !ecl_is_q8(out))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "int8 needs quantisation");
    p->eval = softmax_i8;
    return ECL_OK;
}

/* ------------------------------------------------------------------ LOG_SOFTMAX */
/* float32 as TFLite's reference: x - max - log(sum exp(x - max)), sums in float. */
static enum ecl_status log_softmax_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_softmax_data *d = n->data;
    const float *a = ecl_in(x, n, 0)->data;
    float *y = ecl_out(x, n, 0)->data;
    for (int32_t o = 0; o < d->outer; o++) {
        const float *r = a + (size_t)o * (size_t)d->depth;
        float *w = y + (size_t)o * (size_t)d->depth;
        float mx = r[0], sum = 0;
        for (int32_t c = 1; c < d->depth; c++)
            mx = r[c] > mx ? r[c] : mx;
        for (int32_t c = 0; c < d->depth; c++)
            sum += expf(r[c] - mx);
        float log_sum = logf(sum);
        for (int32_t c = 0; c < d->depth; c++)
            w[c] = r[c] - mx - log_sum;
    }
    return ECL_OK;
}

/* outer x depth over the last dimension, output the same size and type. */
static enum ecl_status prep_rows(struct ecl_prep *p, struct ecl_softmax_data *d) {
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    if (in->ndims < 1 || in->type != out->type || !ecl_same_dims(in, out))
        return ecl_prep_fail(p, ECL_EFORMAT, "output differs from input");
    d->depth = in->dims[in->ndims - 1];
    if (d->depth < 1) return ecl_prep_fail(p, ECL_EFORMAT, "empty last dimension");
    d->outer = (int32_t)(in->count / (uint32_t)d->depth);
    return ECL_OK;
}

enum ecl_status ecl_prep_log_softmax(struct ecl_prep *p) {
    struct ecl_softmax_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    enum ecl_status st = prep_rows(p, d);
    if (st != ECL_OK) return st;
    if (in->type == ECL_DT_FLOAT32) {
        p->eval = log_softmax_f32;
        return ECL_OK;
    }
    if (!ecl_is_q8(in) || !ecl_is_q8(out) || in->lowered != out->lowered)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "int8 needs per-tensor quantisation");
    /* TFLite: scale 16/256, zero point 127 (int8) or 255 (uint8, held as 127) */
    if (out->scale != 16.0f / 256.0f || out->zp != 127)
        return ecl_prep_fail(p, ECL_EFORMAT,
                             "output must be quantised with scale 16/256 and zero point 127 "
                             "(255 for uint8)");
    if (!ecl_log_softmax_q_prepare(&d->lsq, in->scale, &p->eval))
        return ecl_prep_fail(p, ECL_ERANGE, "input scale out of range");
    return ECL_OK;
}

/* ------------------------------------------------------------------ L2_NORMALIZATION */
/* float32: x / max(sqrt(sum x^2), 1e-6). Quantised (output scale 1/128, zero point 0 for int8,
 * 128 for uint8, as TFLite requires): the integer sum of (q - z)^2, its inverse square root as
 * a fixed-point multiplier (TFLite's GetInvSqrtQuantizedMultiplierExp, a Newton-Raphson
 * iteration in gemmlowp's Q3 arithmetic), then TFLite's int8 or uint8 rescaling, which round
 * differently. */
static enum ecl_status l2norm_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_softmax_data *d = n->data;
    const float *a = ecl_in(x, n, 0)->data;
    float *y = ecl_out(x, n, 0)->data;
    for (int32_t o = 0; o < d->outer; o++) {
        const float *r = a + (size_t)o * (size_t)d->depth;
        float *w = y + (size_t)o * (size_t)d->depth, sq = 0;
        for (int32_t c = 0; c < d->depth; c++)
            sq += r[c] * r[c];
        float norm = sqrtf(sq);
        norm = norm > 1e-6f ? norm : 1e-6f;
        for (int32_t c = 0; c < d->depth; c++)
            w[c] = r[c] / norm;
    }
    return ECL_OK;
}

/* gemmlowp's SaturatingRoundingMultiplyByPOT with a positive exponent. */
static int32_t sat_shl(int32_t a, int e) {
    int32_t thr = (int32_t)((1u << (31 - e)) - 1);
    if (a > thr) return INT32_MAX;
    if (a < -thr) return INT32_MIN;
    return (int32_t)((uint32_t)a << e);
}

/* 1/sqrt(v) as multiplier * 2^shift (shift <= 0: a right shift), TFLite's formula. */
static void inv_sqrt_multiplier(int32_t v, int32_t *mult, int32_t *shift) {
    if (v <= 1) {
        *mult = INT32_MAX;
        *shift = 0;
        return;
    }
    int32_t sh = 11;
    while (v >= (1 << 29)) {
        v /= 4;
        sh++;
    }
    int lz = 0;
    for (uint32_t u = (uint32_t)v; u < 0x80000000u; u <<= 1)
        lz++;
    int pairs = (lz - 1) / 2 - 1;
    sh -= pairs;
    v <<= 2 * pairs;
    /* Q3 (3 integer bits): one = 2^28; a product of Qa and Qb is Q(a+b) via srdhm */
    int32_t in = v >> 1, half_in = ecl_rdbpot(in, 1), half_three = (1 << 28) + (1 << 27);
    int32_t xq = 1 << 28;
    for (int i = 0; i < 5; i++) {
        int32_t x3 = sat_shl(ecl_srdhm(ecl_srdhm(xq, xq), xq), 6); /* Q9 -> Q3 */
        int32_t t =
            (int32_t)((uint32_t)ecl_srdhm(half_three, xq) - (uint32_t)ecl_srdhm(half_in, x3));
        xq = sat_shl(t, 3); /* Q6 -> Q3 */
    }
    xq = ecl_srdhm(xq, 1518500250); /* * sqrt(2)/2 in Q0 */
    if (sh < 0) {
        xq = (int32_t)((uint32_t)xq << -sh);
        sh = 0;
    }
    *mult = xq;
    *shift = -sh;
}

static enum ecl_status l2norm_q(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_softmax_data *d = n->data;
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    const int8_t *a = in->data;
    int8_t *y = out->data;
    for (int32_t o = 0; o < d->outer; o++) {
        const int8_t *r = a + (size_t)o * (size_t)d->depth;
        int8_t *w = y + (size_t)o * (size_t)d->depth;
        int32_t acc = 0, mult, shift;
        for (int32_t c = 0; c < d->depth; c++)
            acc += (r[c] - d->in_zp) * (r[c] - d->in_zp);
        inv_sqrt_multiplier(acc, &mult, &shift);
        for (int32_t c = 0; c < d->depth; c++) {
            int32_t v = r[c] - d->in_zp, q;
            if (in->lowered) { /* uint8: 128 + srdhm(128 v) / 2^-shift, in 0..255 */
                q = 128 + ecl_rdbpot(ecl_srdhm(128 * v, mult), -shift);
                q = (q < 0 ? 0 : (q > 255 ? 255 : q)) - 128;
            } else { /* int8: requantised with shift + 7 (the 1/128 output scale) */
                q = ecl_requant(v, mult, shift + 7);
                q = q < -128 ? -128 : (q > 127 ? 127 : q);
            }
            w[c] = (int8_t)q;
        }
    }
    return ECL_OK;
}

enum ecl_status ecl_prep_l2norm(struct ecl_prep *p) {
    struct ecl_softmax_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    enum ecl_status st = prep_rows(p, d);
    if (st != ECL_OK) return st;
    if (ecl_opt_u8(p, 0, 0) != ACT_NONE)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "fused activation (TFLite has none either)");
    if (in->type == ECL_DT_FLOAT32) {
        p->eval = l2norm_f32;
        return ECL_OK;
    }
    if (!ecl_is_q8(in) || !ecl_is_q8(out) || in->lowered != out->lowered)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "int8 needs per-tensor quantisation");
    /* the lowered uint8 zero point 128 is held as 0 */
    if (out->scale != 1.0f / 128.0f || out->zp != 0)
        return ecl_prep_fail(p, ECL_EFORMAT,
                             "output must be quantised with scale 1/128 and zero point 0 "
                             "(128 for uint8)");
    if (d->depth > 32768) return ecl_prep_fail(p, ECL_ERANGE, "last dimension too long for int32");
    d->in_zp = in->zp;
    p->eval = l2norm_q;
    return ECL_OK;
}

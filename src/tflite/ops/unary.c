/* Element-wise unary ops: activations (RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, LOGISTIC, TANH,
 * HARD_SWISH) and math (EXP, LOG, SQRT, RSQRT, NEG, ABS, and friends). One table row per op:
 * its float function, and how int8 (lowered uint8 included) is computed:
 *   LUT_FLOAT  a 256-entry table from the float function, as TFLite's PopulateLookupTable:
 *              q_out = clamp(round(f(s_in * (q - z_in)) * (1 / s_out)) + z_out), in float;
 *   LUT_CLAMP  a table from TFLite's fixed-point requantisation (its quantized ReluX):
 *              q_out = clamp(z_out + requant(q - z_in, s_in / s_out), act range);
 *   NO_INT8    float only (TFLite has no int8 kernel for it). */
#include "tflite/ops/ops.h"

enum { LUT_FLOAT, LUT_CLAMP, NO_INT8 };

static float u_relu(float x) {
    return x > 0 ? x : 0;
}
static float u_relu6(float x) {
    return x < 0 ? 0 : (x > 6 ? 6 : x);
}
static float u_relu1(float x) {
    return x < -1 ? -1 : (x > 1 ? 1 : x);
}
static float u_logistic(float x) {
    return 1.0f / (1.0f + expf(-x));
}
static float u_tanh(float x) {
    return tanhf(x);
}
static float u_hard_swish(float x) {
    float r = x + 3.0f;
    r = r < 0 ? 0 : (r > 6 ? 6 : r);
    return x * r / 6.0f;
}
static float u_exp(float x) {
    return expf(x);
}
static float u_log(float x) {
    return logf(x);
}
static float u_sqrt(float x) {
    return sqrtf(x);
}
static float u_rsqrt(float x) {
    return 1.0f / sqrtf(x);
}
static float u_neg(float x) {
    return -x;
}
static float u_abs(float x) {
    return fabsf(x);
}
static float u_square(float x) {
    return x * x;
}
static float u_floor(float x) {
    return floorf(x);
}
static float u_ceil(float x) {
    return ceilf(x);
}
static float u_round(float x) { /* TFLite ROUND: half to even */
    return nearbyintf(x);
}
static float u_sin(float x) {
    return sinf(x);
}
static float u_cos(float x) {
    return cosf(x);
}
static float u_elu(float x) {
    return x < 0 ? expm1f(x) : x;
}

struct urow {
    int32_t code;
    float (*f)(float);
    int int8;
    float lo, hi; /* LUT_CLAMP: the activation's range */
};

static const struct urow ROWS[] = {
    {ECL_OP_RELU, u_relu, LUT_CLAMP, 0.0f, INFINITY},
    {ECL_OP_RELU6, u_relu6, LUT_CLAMP, 0.0f, 6.0f},
    {ECL_OP_RELU_N1_TO_1, u_relu1, LUT_CLAMP, -1.0f, 1.0f},
    {ECL_OP_LOGISTIC, u_logistic, LUT_FLOAT, 0, 0},
    {ECL_OP_TANH, u_tanh, LUT_FLOAT, 0, 0},
    {ECL_OP_HARD_SWISH, u_hard_swish, LUT_FLOAT, 0, 0},
    {ECL_OP_EXP, u_exp, LUT_FLOAT, 0, 0},
    {ECL_OP_LOG, u_log, LUT_FLOAT, 0, 0},
    {ECL_OP_SQRT, u_sqrt, LUT_FLOAT, 0, 0},
    {ECL_OP_RSQRT, u_rsqrt, LUT_FLOAT, 0, 0},
    {ECL_OP_NEG, u_neg, LUT_FLOAT, 0, 0},
    {ECL_OP_ABS, u_abs, LUT_FLOAT, 0, 0},
    {ECL_OP_SQUARE, u_square, NO_INT8, 0, 0},
    {ECL_OP_FLOOR, u_floor, NO_INT8, 0, 0},
    {ECL_OP_CEIL, u_ceil, NO_INT8, 0, 0},
    {ECL_OP_ROUND, u_round, NO_INT8, 0, 0},
    {ECL_OP_SIN, u_sin, NO_INT8, 0, 0},
    {ECL_OP_COS, u_cos, NO_INT8, 0, 0},
    {ECL_OP_ELU, u_elu, LUT_FLOAT, 0, 0},
};

static const struct urow *row_of(int32_t code) {
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++)
        if (ROWS[i].code == code) return &ROWS[i];
    return NULL;
}

static enum ecl_status un_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    float (*f)(float) = row_of(n->builtin)->f;
    const float *a = in->data;
    float *y = out->data;
    for (uint32_t i = 0; i < out->count; i++)
        y[i] = f(a[i]);
    return ECL_OK;
}

static enum ecl_status clamp_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_unary_data *d = n->data;
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    const float *a = in->data;
    float *y = out->data;
    for (uint32_t i = 0; i < out->count; i++)
        y[i] = a[i] < d->lo ? d->lo : (a[i] > d->hi ? d->hi : a[i]);
    return ECL_OK;
}

static enum ecl_status logistic_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    x->k->logistic_f32(ecl_in(x, n, 0)->data, ecl_out(x, n, 0)->data, ecl_out(x, n, 0)->count);
    return ECL_OK;
}

static enum ecl_status hard_swish_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    x->k->hard_swish_f32(ecl_in(x, n, 0)->data, ecl_out(x, n, 0)->data, ecl_out(x, n, 0)->count);
    return ECL_OK;
}

static enum ecl_status leaky_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_unary_data *d = n->data;
    const float *a = ecl_in(x, n, 0)->data;
    float *y = ecl_out(x, n, 0)->data;
    for (uint32_t i = 0; i < ecl_out(x, n, 0)->count; i++)
        y[i] = a[i] > 0 ? a[i] : a[i] * d->alpha;
    return ECL_OK;
}

static enum ecl_status lut_i8(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_unary_data *d = n->data;
    ecl_ref_lut_i8(ecl_in(x, n, 0)->data, ecl_out(x, n, 0)->data, ecl_out(x, n, 0)->count, d->lut);
    return ECL_OK;
}

/* TFLite's PopulateLookupTable (float transform, multiply by the inverse output scale). */
static void lut_from_float(int8_t *lut, float (*f)(float), float alpha, const struct ecl_tensor *in,
                           const struct ecl_tensor *out) {
    const float inv = 1.0f / out->scale;
    for (int32_t q = -128; q < 128; q++) {
        float v = in->scale * (float)(q - in->zp);
        float t = f ? f(v) : (v > 0 ? v : v * alpha);
        float r = roundf(t * inv) + (float)out->zp;
        lut[q + 128] = (int8_t)(!(r >= -128.0f) ? -128 : (r > 127.0f ? 127 : (int32_t)r));
    }
}

enum ecl_status ecl_prep_unary(struct ecl_prep *p) {
    struct ecl_unary_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    const struct urow *r = row_of(p->builtin);
    int leaky = p->builtin == ECL_OP_LEAKY_RELU;
    if (!r && !leaky) return ecl_prep_fail(p, ECL_EUNSUPPORTED, "no unary kernel");
    if (!ecl_same_dims(in, out)) return ecl_prep_fail(p, ECL_EFORMAT, "output shape differs");
    if (in->type != out->type)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "input and output types differ");
    if (leaky) d->alpha = ecl_opt_f32(p, 0, 0.0f);
    if (in->type == ECL_DT_FLOAT32) {
        if (leaky)
            p->eval = leaky_f32;
        else if (r->int8 == LUT_CLAMP) {
            d->lo = r->lo;
            d->hi = r->hi;
            p->eval = clamp_f32;
        } else if (r->code == ECL_OP_LOGISTIC)
            p->eval = logistic_f32;
        else if (r->code == ECL_OP_HARD_SWISH)
            p->eval = hard_swish_f32;
        else
            p->eval = un_f32;
        return ECL_OK;
    }
    if (in->type != ECL_DT_INT8 || (r && r->int8 == NO_INT8))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "input type is not supported");
    if (!ecl_is_q8(in) || !ecl_is_q8(out))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "int8 needs quantisation parameters");
    int8_t *lut = ecl_prep_alloc(p, 256);
    d->lut = lut;
    p->eval = lut_i8;
    if (!lut) return ECL_OK;
    if (r && r->int8 == LUT_CLAMP) {
        int32_t m, s, lo = -128, hi = 127;
        ecl_quantize_multiplier((double)in->scale / (double)out->scale, &m, &s);
        if (r->lo > -INFINITY) lo = ecl_quantize_value(r->lo, out->scale, out->zp, -128, 127);
        if (r->hi < INFINITY) hi = ecl_quantize_value(r->hi, out->scale, out->zp, -128, 127);
        for (int32_t q = -128; q < 128; q++)
            lut[q + 128] = (int8_t)ecl_requant_out(q - in->zp, m, s, out->zp, lo, hi);
    } else {
        lut_from_float(lut, r ? r->f : NULL, d->alpha, in, out);
    }
    return ECL_OK;
}

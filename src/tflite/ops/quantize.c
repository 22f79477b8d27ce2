/* QUANTIZE (float32 -> int8, int8 -> int8 requantisation: uint8 <-> int8 included, since uint8
 * is held as int8) and DEQUANTIZE (int8, int16, float16 -> float32; int8 per channel for
 * constant weights). TFLite's arithmetic: q = clamp(round_half_away(x / s) + z); requantisation
 * with its fixed-point multiplier; dequantisation s * (q - z) computed in double. */
#include "tflite/ops/ops.h"

static enum ecl_status quant_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_tensor *out = ecl_out(x, n, 0);
    ecl_ref_quantize_f32_i8(ecl_in(x, n, 0)->data, out->data, out->count, out->scale, out->zp);
    return ECL_OK;
}

static enum ecl_status requant_i8(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_quant_data *d = n->data;
    const struct ecl_tensor *out = ecl_out(x, n, 0);
    ecl_ref_requantize_i8(ecl_in(x, n, 0)->data, out->data, out->count, d->in_zp, d->out_zp,
                          d->mult, d->shift);
    return ECL_OK;
}

enum ecl_status ecl_prep_quantize(struct ecl_prep *p) {
    struct ecl_quant_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    if (in->count != out->count) return ecl_prep_fail(p, ECL_EFORMAT, "sizes differ");
    if (!ecl_is_q8(out) || out->n_scales != 1)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "QUANTIZE to per-tensor int8 or uint8 only");
    if (in->type == ECL_DT_FLOAT32) {
        p->eval = quant_f32;
        return ECL_OK;
    }
    if (!ecl_is_q8(in) || in->n_scales != 1)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "input must be per-tensor quantised");
    d->in_zp = in->zp;
    d->out_zp = out->zp;
    ecl_quantize_multiplier((double)in->scale / (double)out->scale, &d->mult, &d->shift);
    p->eval = requant_i8;
    return ECL_OK;
}

static enum ecl_status dequant_i8(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_quant_data *d = n->data;
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    const int8_t *q = in->data;
    float *y = out->data;
    for (uint32_t i = 0; i < out->count; i++)
        y[i] = (float)((double)d->scale * ((int32_t)q[i] - d->in_zp));
    return ECL_OK;
}

static enum ecl_status dequant_i16(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_quant_data *d = n->data;
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    const int16_t *q = in->data;
    float *y = out->data;
    for (uint32_t i = 0; i < out->count; i++)
        y[i] = (float)((double)d->scale * ((int32_t)q[i] - d->in_zp));
    return ECL_OK;
}

static enum ecl_status dequant_f16(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    const uint8_t *h = in->data;
    float *y = out->data;
    for (uint32_t i = 0; i < out->count; i++) {
        uint16_t v;
        memcpy(&v, h + 2 * (size_t)i, 2);
        y[i] = ecl_half_to_float(v);
    }
    return ECL_OK;
}

/* Per-channel int8 (constant weights): scale and zero point of the channel along quant_dim. */
static enum ecl_status dequant_pc(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_quant_data *d = n->data;
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    const int8_t *q = in->data;
    const float *sc = d->table;
    const int32_t *zp = (const int32_t *)(sc + d->nch);
    float *y = out->data;
    for (uint32_t i = 0; i < out->count; i++) {
        int64_t c = ((int64_t)i / d->inner) % d->nch;
        y[i] = (float)((double)sc[c] * ((int32_t)q[i] - zp[c]));
    }
    return ECL_OK;
}

enum ecl_status ecl_prep_dequantize(struct ecl_prep *p) {
    struct ecl_quant_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    if (in->count != out->count || out->type != ECL_DT_FLOAT32)
        return ecl_prep_fail(p, ECL_EFORMAT, "output must be float32 of the same size");
    if (in->type == ECL_DT_FLOAT16) {
        p->eval = dequant_f16;
        return ECL_OK;
    }
    if (in->n_scales < 1 || !(in->scale > 0))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "input is not quantised");
    d->scale = in->scale;
    d->in_zp = in->zp;
    if (in->type == ECL_DT_INT16) {
        p->eval = dequant_i16;
        return ECL_OK;
    }
    if (in->n_scales == 1) {
        p->eval = dequant_i8;
        return ECL_OK;
    }
    if (in->quant_dim < 0 || in->quant_dim >= in->ndims || in->dims[in->quant_dim] != in->n_scales)
        return ecl_prep_fail(p, ECL_EFORMAT, "per-channel scales do not match the dimension");
    d->nch = in->n_scales;
    d->inner = 1;
    for (int k = in->quant_dim + 1; k < in->ndims; k++)
        d->inner *= in->dims[k];
    float *sc = ecl_prep_alloc(p, (size_t)in->n_scales * 8);
    if (sc) {
        int32_t *zp = (int32_t *)(sc + in->n_scales);
        for (int32_t c = 0; c < in->n_scales; c++) {
            sc[c] = ecl_prep_scale(p, in, c);
            zp[c] = ecl_prep_zp(p, in, c);
        }
    }
    d->table = sc;
    p->eval = dequant_pc;
    return ECL_OK;
}

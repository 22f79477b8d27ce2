/* QUANTIZE (float32 -> int8, int8 -> int8 requantisation: uint8 <-> int8 included, since uint8
 * is held as int8) and DEQUANTIZE (int8, int16, float16 -> float32; int8 per channel for
 * constant weights). TFLite's arithmetic: q = clamp(round_half_away(x / s) + z); requantisation
 * with its fixed-point multiplier; dequantisation s * (q - z) computed in double.
 * CAST at the end of the file. */
#include "tflite/ops/ops.h"

static enum ecl_status quant_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_tensor *out = ecl_out(x, n, 0);
    x->k->quantize_f32_i8(x->kc, ecl_in(x, n, 0)->data, out->data, out->count, out->scale, out->zp);
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

/* ------------------------------------------------------------------ CAST */
/* CAST between float32, int32, int64, int16, int8, uint8 (held lowered: value - 128) and bool,
 * as TFLite's static_cast: float to integer truncates toward zero, integer to narrower integer
 * wraps modulo 2^bits, anything to bool is (value != 0). Each element is loaded as an exact
 * int64 or a double (prepare picks the loader and the storer for the two types). Float values
 * beyond int64 (and NaN) saturate (NaN: 0) before wrapping: C++ leaves them undefined. */
struct cval {
    int is_f;
    int64_t i;
    double f;
};

static struct cval ld_f32(const void *p, size_t k) {
    struct cval v = {1, 0, ((const float *)p)[k]};
    return v;
}
static struct cval ld_i32(const void *p, size_t k) {
    struct cval v = {0, ((const int32_t *)p)[k], 0};
    return v;
}
static struct cval ld_i64(const void *p, size_t k) {
    struct cval v = {0, ((const int64_t *)p)[k], 0};
    return v;
}
static struct cval ld_i16(const void *p, size_t k) {
    struct cval v = {0, ((const int16_t *)p)[k], 0};
    return v;
}
static struct cval ld_i8(const void *p, size_t k) {
    struct cval v = {0, ((const int8_t *)p)[k], 0};
    return v;
}
static struct cval ld_u8(const void *p, size_t k) { /* lowered: value - 128 */
    struct cval v = {0, ((const int8_t *)p)[k] + 128, 0};
    return v;
}
static struct cval ld_bool(const void *p, size_t k) {
    struct cval v = {0, ((const uint8_t *)p)[k] != 0, 0};
    return v;
}

/* The value as an integer: floats truncated toward zero, saturated to int64, NaN 0. */
static int64_t as_int(struct cval v) {
    if (!v.is_f) return v.i;
    if (v.f != v.f) return 0;
    if (v.f >= 9223372036854775807.0) return INT64_MAX;
    if (v.f <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)v.f;
}
static uint64_t as_bits(struct cval v) {
    return (uint64_t)as_int(v);
}

static void st_f32(void *p, size_t k, struct cval v) {
    ((float *)p)[k] = v.is_f ? (float)v.f : (float)v.i;
}
static void st_i32(void *p, size_t k, struct cval v) {
    uint32_t u = (uint32_t)as_bits(v);
    memcpy((uint8_t *)p + 4 * k, &u, 4);
}
static void st_i64(void *p, size_t k, struct cval v) {
    ((int64_t *)p)[k] = as_int(v);
}
static void st_i16(void *p, size_t k, struct cval v) {
    uint16_t u = (uint16_t)as_bits(v);
    memcpy((uint8_t *)p + 2 * k, &u, 2);
}
static void st_i8(void *p, size_t k, struct cval v) {
    uint8_t u = (uint8_t)as_bits(v);
    memcpy((uint8_t *)p + k, &u, 1);
}
static void st_u8(void *p, size_t k, struct cval v) { /* lowered: value - 128 */
    uint8_t u = (uint8_t)((uint8_t)as_bits(v) ^ 0x80u);
    memcpy((uint8_t *)p + k, &u, 1);
}
static void st_bool(void *p, size_t k, struct cval v) {
    ((uint8_t *)p)[k] = v.is_f ? v.f != 0.0 : v.i != 0;
}

typedef struct cval (*ld_fn)(const void *p, size_t k);
typedef void (*st_fn)(void *p, size_t k, struct cval v);

/* Indexed by the element type as held (ECL_DT_*; 6 = bool), CAST_U8 for lowered uint8. */
#define CAST_U8 10
static const struct {
    ld_fn ld;
    st_fn st;
} CAST_IO[11] = {
    [ECL_DT_FLOAT32] = {ld_f32, st_f32}, [ECL_DT_INT32] = {ld_i32, st_i32},
    [ECL_DT_INT64] = {ld_i64, st_i64},   [6] = {ld_bool, st_bool},
    [ECL_DT_INT16] = {ld_i16, st_i16},   [ECL_DT_INT8] = {ld_i8, st_i8},
    [CAST_U8] = {ld_u8, st_u8},
};

static enum ecl_status cast_eval(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_cast_data *d = n->data;
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    ld_fn ld = CAST_IO[d->from].ld;
    st_fn st = CAST_IO[d->to].st;
    for (size_t k = 0; k < out->count; k++)
        st(out->data, k, ld(in->data, k));
    return ECL_OK;
}

/* The row of CAST_IO for a tensor; -1 if the type cannot be cast. */
static int cast_row(const struct ecl_tensor *t) {
    if (t->lowered) return CAST_U8;
    if (t->type >= CAST_U8 || !CAST_IO[t->type].ld) return -1;
    return t->type;
}

enum ecl_status ecl_prep_cast(struct ecl_prep *p) {
    struct ecl_cast_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    if (in->count != out->count) return ecl_prep_fail(p, ECL_EFORMAT, "sizes differ");
    int from = cast_row(in), to = cast_row(out);
    if (from < 0 || to < 0)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED,
                             "types must be float32, int32, int64, int16, int8, uint8 or bool");
    d->from = (int8_t)from;
    d->to = (int8_t)to;
    p->eval = cast_eval;
    return ECL_OK;
}

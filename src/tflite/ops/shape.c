/* Ops that only change the declared shape: RESHAPE (new shape from the options or the second
 * input; the declared output shape is authoritative and its element count must match),
 * SQUEEZE, EXPAND_DIMS (the data is copied as bytes); SHAPE and FILL below. */
#include "tflite/ops/ops.h"

static enum ecl_status copy_eval(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    if (out->data != in->data) memmove(out->data, in->data, out->bytes);
    return ECL_OK;
}

enum ecl_status ecl_prep_reshape(struct ecl_prep *p) {
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    if (in->type != out->type || in->count != out->count)
        return ecl_prep_fail(p, ECL_EFORMAT, "output size or type differs from input");
    p->eval = copy_eval;
    return ECL_OK;
}

/* ------------------------------------------------------------------ SHAPE */
/* SHAPE: the input's dims as int32 or int64 (ShapeOptions.out_type; absent or 0, the schema's
 * default, which converters never write: the output's declared type decides). */
static enum ecl_status shape_eval(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    for (int32_t k = 0; k < in->ndims; k++) {
        if (out->type == ECL_DT_INT64) {
            int64_t v = in->dims[k];
            memcpy((uint8_t *)out->data + 8 * (size_t)k, &v, 8);
        } else {
            memcpy((uint8_t *)out->data + 4 * (size_t)k, &in->dims[k], 4);
        }
    }
    return ECL_OK;
}

enum ecl_status ecl_prep_shape(struct ecl_prep *p) {
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    int32_t want = ecl_opt_u8(p, 0, 0); /* a TensorType: one byte */
    if (want == 0) want = out->type;
    if (want != ECL_DT_INT32 && want != ECL_DT_INT64)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "out_type must be int32 or int64");
    if (out->type != want)
        return ecl_prep_fail(p, ECL_EFORMAT, "output type differs from out_type");
    if (out->ndims != 1 || out->count != (uint32_t)in->ndims)
        return ecl_prep_fail(p, ECL_EFORMAT, "output must be 1-D with one value per input dim");
    p->eval = shape_eval;
    return ECL_OK;
}

/* ------------------------------------------------------------------ FILL */
/* FILL: dims (int32 / int64 1-D) and a scalar value; the output, of the value's type, holds the
 * value everywhere (bytes replicated: a quantised value keeps its quantisation, TFLite requires
 * the same in and out). Non-constant dims are checked against the output at every run. */
static int fill_dims_match(const struct ecl_tensor *dims, const struct ecl_tensor *out) {
    if (!dims->data || dims->count != (uint32_t)out->ndims) return 0;
    for (uint32_t k = 0; k < dims->count; k++) {
        int64_t v;
        if (dims->type == ECL_DT_INT64) {
            memcpy(&v, (const uint8_t *)dims->data + 8 * (size_t)k, 8);
        } else {
            int32_t w;
            memcpy(&w, (const uint8_t *)dims->data + 4 * (size_t)k, 4);
            v = w;
        }
        if (v != out->dims[k]) return 0;
    }
    return 1;
}

static enum ecl_status fill_eval(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_tensor *dims = ecl_in(x, n, 0), *val = ecl_in(x, n, 1);
    const struct ecl_tensor *out = ecl_out(x, n, 0);
    if (!dims->is_const && !fill_dims_match(dims, out)) {
        ecl_msg_str(x->e, "dims input differs from the output's shape");
        return ECL_EFORMAT;
    }
    size_t es = val->bytes;
    uint8_t *y = out->data;
    for (uint32_t i = 0; i < out->count; i++)
        memcpy(y + es * i, val->data, es);
    return ECL_OK;
}

enum ecl_status ecl_prep_fill(struct ecl_prep *p) {
    struct ecl_tensor *dims = p->in[0], *val = p->in[1], *out = p->out[0];
    if (dims->ndims != 1) return ecl_prep_fail(p, ECL_EFORMAT, "dims must be 1-D");
    if (val->count != 1) return ecl_prep_fail(p, ECL_EFORMAT, "value must be a scalar");
    if (val->type != out->type || val->lowered != out->lowered)
        return ecl_prep_fail(p, ECL_EFORMAT, "output type differs from the value's");
    if (out->count && val->bytes * out->count != out->bytes)
        return ecl_prep_fail(p, ECL_EFORMAT, "output size does not match its type");
    if (dims->is_const && !ecl_prep_sizing(p) && !fill_dims_match(dims, out))
        return ecl_prep_fail(p, ECL_EFORMAT, "dims input differs from the output's shape");
    p->eval = fill_eval;
    return ECL_OK;
}

/* Data movement: PAD, PADV2 (constant paddings, up to 4-D), CONCATENATION (any number of inputs
 * of equal rank along one axis; int8 inputs must share the output's quantisation, uint8 ones
 * are rescaled as TFLite does when theirs differs). Elements are moved as bytes, so every type
 * works. */
#include "tflite/ops/ops.h"

static enum ecl_status pad_eval(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_move_data *d = n->data;
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    size_t es = ecl_tfl_dtype_size(out->type);
    uint8_t val[8] = {0};
    if (n->n_in > 2 && ecl_in(x, n, 2)) /* PADV2: the constant value, a scalar of the type */
        memcpy(val, ecl_in(x, n, 2)->data, es);
    else if (out->type == ECL_DT_INT8)
        val[0] = (uint8_t)(int8_t)out->zp;
    ecl_ref_pad(in->data, d->is, d->pads, out->data, es, val);
    return ECL_OK;
}

enum ecl_status ecl_prep_pad(struct ecl_prep *p) {
    struct ecl_move_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *pt = p->in[1], *out = p->out[0];
    if (in->ndims > 4) return ecl_prep_fail(p, ECL_EUNSUPPORTED, "PAD beyond 4 dimensions");
    int64_t v[2 * ECL_MAX_DIMS];
    if (pt->ndims != 2 || pt->dims[0] != in->ndims || pt->dims[1] != 2 ||
        ecl_const_ints(p, pt, v, 2 * ECL_MAX_DIMS) != 2 * in->ndims)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "paddings must be a constant int [rank, 2]");
    memset(d->pads, 0, sizeof d->pads);
    int off = 4 - in->ndims;
    for (int i = 0; i < in->ndims * 2; i++) {
        if (v[i] < 0 || v[i] > 4096) return ecl_prep_fail(p, ECL_ERANGE, "padding out of range");
        d->pads[2 * off + i] = (int32_t)v[i];
    }
    d->is = ecl_tensor_shape4(in);
    struct ecl_shape4 os = ecl_tensor_shape4(out);
    if (out->ndims != in->ndims || os.n != d->is.n + d->pads[0] + d->pads[1] ||
        os.h != d->is.h + d->pads[2] + d->pads[3] || os.w != d->is.w + d->pads[4] + d->pads[5] ||
        os.c != d->is.c + d->pads[6] + d->pads[7])
        return ecl_prep_fail(p, ECL_EFORMAT, "output shape does not match the paddings");
    if (in->type != out->type)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "input and output types differ");
    if (in->type == ECL_DT_INT8 && (in->zp != out->zp || in->scale != out->scale))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "int8 PAD needs equal quantisation");
    if (p->n_in > 2 && p->in[2]) {
        struct ecl_tensor *cv = p->in[2];
        if (cv->type != in->type || cv->count != 1)
            return ecl_prep_fail(p, ECL_EFORMAT, "constant value must be a scalar of the type");
    }
    p->eval = pad_eval;
    return ECL_OK;
}

/* A uint8 input whose quantisation differs from the output's, as TFLite's uint8
 * ConcatenationWithScaling computes it on the uint8 values: round(q * scale + bias) + out_zp
 * in float, scale = in_scale / out_scale, bias = -in_zp * scale, clamped to 0..255. Held
 * lowered (value - 128), so 128 is added on the way in and taken off on the way out. */
static int needs_rescale(const struct ecl_tensor *t, const struct ecl_tensor *out) {
    return t->lowered && (t->scale != out->scale || t->zp != out->zp);
}

static void concat_rescale(const int8_t *src, int8_t *dst, size_t n, const struct ecl_tensor *t,
                           const struct ecl_tensor *out) {
    float scale = t->scale * (1.0f / out->scale);
    float bias = (float)-(t->zp + 128) * scale;
    int32_t ozp = out->zp + 128;
    for (size_t j = 0; j < n; j++) {
        float prod = (float)(src[j] + 128) * scale;
        int32_t v = (int32_t)roundf(prod + bias) + ozp;
        v = v < 0 ? 0 : (v > 255 ? 255 : v);
        dst[j] = (int8_t)(v - 128);
    }
}

static enum ecl_status concat_eval(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_move_data *d = n->data;
    const struct ecl_tensor *out = ecl_out(x, n, 0);
    uint8_t *dst = out->data;
    size_t es = ecl_tfl_dtype_size(out->type);
    for (int64_t o = 0; o < d->outer; o++)
        for (int i = 0; i < n->n_in; i++) {
            const struct ecl_tensor *t = ecl_in(x, n, i);
            size_t slab = (size_t)t->dims[d->axis] * (size_t)d->inner * es;
            const uint8_t *src = (const uint8_t *)t->data + (size_t)o * slab;
            if (needs_rescale(t, out))
                concat_rescale((const int8_t *)src, (int8_t *)dst, slab, t, out);
            else
                memcpy(dst, src, slab);
            dst += slab;
        }
    return ECL_OK;
}

enum ecl_status ecl_prep_concat(struct ecl_prep *p) {
    struct ecl_move_data *d = p->data;
    struct ecl_tensor *out = p->out[0];
    int32_t axis = ecl_opt_i32(p, 0, 0);
    if (ecl_opt_u8(p, 1, 0) != ACT_NONE)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "fused activation on CONCATENATION");
    int nd = out->ndims;
    if (nd < 1) return ecl_prep_fail(p, ECL_EUNSUPPORTED, "scalar output");
    if (axis < 0) axis += nd;
    if (axis < 0 || axis >= nd) return ecl_prep_fail(p, ECL_EFORMAT, "axis out of range");
    d->axis = axis;
    d->outer = d->inner = 1;
    for (int k = 0; k < nd; k++) {
        if (k < axis) d->outer *= out->dims[k];
        if (k > axis) d->inner *= out->dims[k];
    }
    int64_t sum = 0;
    for (int i = 0; i < p->n_in; i++) {
        struct ecl_tensor *t = p->in[i];
        if (t->ndims != nd || t->type != out->type)
            return ecl_prep_fail(p, ECL_EFORMAT, "inputs differ in rank or type");
        if (t->type == ECL_DT_INT8 && (t->scale != out->scale || t->zp != out->zp) &&
            !(t->lowered && out->lowered && t->scale > 0 && out->scale > 0))
            return ecl_prep_fail(p, ECL_EUNSUPPORTED, "int8 inputs with different quantisation");
        for (int k = 0; k < nd; k++)
            if (k != axis && t->dims[k] != out->dims[k])
                return ecl_prep_fail(p, ECL_EFORMAT, "input shapes do not match");
        sum += t->dims[axis];
    }
    if (sum != out->dims[axis])
        return ecl_prep_fail(p, ECL_EFORMAT, "output size along the axis is wrong");
    p->eval = concat_eval;
    return ECL_OK;
}

/* CONCATENATION: any number of inputs of equal rank joined along one axis (negative: from the
 * end), elements moved as bytes, so every type works. int8 inputs whose quantisation differs
 * from the output's are requantised as TFLite's reference ConcatenationWithScaling does:
 * q_out = zp_out + round(q_in * scale + bias), scale = s_in * (1 / s_out),
 * bias = -zp_in * scale, in float, rounding half away from zero, clamped to the type. For a
 * lowered uint8 model this runs in the uint8 domain (values and zero points + 128), so the
 * float arithmetic is TFLite's term by term. */
#include "tflite/ops/ops.h"

static enum ecl_status concat_eval(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_concat_data *d = n->data;
    uint8_t *dst = ecl_out(x, n, 0)->data;
    size_t es = ecl_tfl_dtype_size(ecl_out(x, n, 0)->type);
    if (!ecl_out(x, n, 0)->count) return ECL_OK; /* empty tensors may have no memory */
    for (int64_t o = 0; o < d->outer; o++)
        for (int i = 0; i < n->n_in; i++) {
            const struct ecl_tensor *t = ecl_in(x, n, i);
            size_t slab = (size_t)t->dims[d->axis] * (size_t)d->inner * es;
            if (slab) memcpy(dst, (const uint8_t *)t->data + (size_t)o * slab, slab);
            dst += slab;
        }
    return ECL_OK;
}

static enum ecl_status concat_requant_eval(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_concat_data *d = n->data;
    int8_t *dst = ecl_out(x, n, 0)->data;
    if (!ecl_out(x, n, 0)->count) return ECL_OK;
    for (int64_t o = 0; o < d->outer; o++)
        for (int i = 0; i < n->n_in; i++) {
            const struct ecl_tensor *t = ecl_in(x, n, i);
            size_t slab = (size_t)t->dims[d->axis] * (size_t)d->inner;
            if (!slab) continue; /* an empty input may have no memory */
            const int8_t *src = (const int8_t *)t->data + (size_t)o * slab;
            if (d->same[i]) {
                memcpy(dst, src, slab);
            } else {
                float scale = d->scale[i], bias = d->bias[i];
                for (size_t j = 0; j < slab; j++) {
                    float q = (float)(src[j] + d->shift);
                    float r = roundf(q * scale + bias); /* range-guarded before the cast */
                    r = r > 1e9f ? 1e9f : (r > -1e9f ? r : -1e9f);
                    int32_t v = (int32_t)r + d->out_zp;
                    v = v < d->lo ? d->lo : (v > d->hi ? d->hi : v);
                    dst[j] = (int8_t)(v - d->shift);
                }
            }
            dst += slab;
        }
    return ECL_OK;
}

/* The requantisation of input t into out (see the file's comment). */
static void concat_scaling(struct ecl_concat_data *d, int i, const struct ecl_tensor *t,
                           const struct ecl_tensor *out) {
    d->same[i] = t->scale == out->scale && t->zp == out->zp;
    float inv = 1.0f / out->scale;
    d->scale[i] = t->scale * inv;
    d->bias[i] = (float)-(t->zp + d->shift) * d->scale[i];
}

enum ecl_status ecl_prep_concat(struct ecl_prep *p) {
    struct ecl_concat_data *d = p->data;
    struct ecl_tensor *out = p->out[0];
    int32_t axis = ecl_opt_i32(p, 0, 0);
    if (ecl_opt_u8(p, 1, 0) != ACT_NONE)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "fused activation on CONCATENATION");
    int nd = out->ndims;
    if (nd < 1) return ecl_prep_fail(p, ECL_EUNSUPPORTED, "scalar output");
    enum ecl_status st = ecl_prep_axis(p, axis, nd, &d->axis);
    if (st) return st;
    axis = d->axis;
    d->outer = d->inner = 1;
    for (int k = 0; k < nd; k++) {
        if (k < axis) d->outer *= out->dims[k];
        if (k > axis) d->inner *= out->dims[k];
    }
    int q8 = out->type == ECL_DT_INT8;
    if (q8 && !ecl_is_q8(out))
        return ecl_prep_fail(p, ECL_EFORMAT, "int8 output without a usable quantisation");
    d->shift = out->lowered ? 128 : 0;
    d->out_zp = out->zp + d->shift;
    d->lo = d->shift ? 0 : -128;
    d->hi = d->shift ? 255 : 127;
    int64_t sum = 0;
    for (int i = 0; i < p->n_in; i++) {
        struct ecl_tensor *t = p->in[i];
        if (t->ndims != nd || t->type != out->type)
            return ecl_prep_fail(p, ECL_EFORMAT, "inputs differ in rank or type");
        if (q8) {
            if (!ecl_is_q8(t))
                return ecl_prep_fail(p, ECL_EFORMAT, "int8 input without a usable quantisation");
            if (t->lowered != out->lowered)
                return ecl_prep_fail(p, ECL_EUNSUPPORTED, "uint8 and int8 inputs mixed");
            concat_scaling(d, i, t, out);
            d->requant |= !d->same[i];
        }
        for (int k = 0; k < nd; k++)
            if (k != axis && t->dims[k] != out->dims[k])
                return ecl_prep_fail(p, ECL_EFORMAT, "input shapes do not match");
        sum += t->dims[axis];
    }
    if (sum != out->dims[axis])
        return ecl_prep_fail(p, ECL_EFORMAT, "output size along the axis is wrong");
    p->eval = d->requant ? concat_requant_eval : concat_eval;
    return ECL_OK;
}

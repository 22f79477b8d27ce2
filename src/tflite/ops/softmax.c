/* SOFTMAX over the last dimension (options: beta): float32 through the kernel table; int8
 * (lowered uint8 included) computed in float and quantised (a documented deviation from TFLite's
 * fixed-point exp, <= 1 LSB; see ecl_ref_softmax_i8). */
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

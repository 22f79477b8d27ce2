/* GATHER (TFLite's gather.cc): output = params.shape[:axis] + indices.shape[batch_dims:] +
 * params.shape[axis+1:], each index choosing one slice of params along axis, per batch when
 * batch_dims > 0 (the leading batch_dims dims of params and indices are equal). axis and
 * batch_dims may be negative (from params' and indices' rank); batch_dims <= axis. Indices are
 * int32 or int64; an index outside [0, params.dims[axis]) fails the run with a message (never
 * a read outside params). Slices are moved as bytes, so every params type works. */
#include "tflite/ops/ops.h"

static enum ecl_status bad_index(const struct ecl_exec *x, int64_t v, int32_t size) {
    ecl_msg_str(x->e, "index ");
    ecl_msg_int(x->e, v);
    ecl_msg_str(x->e, " out of range [0, ");
    ecl_msg_int(x->e, size);
    ecl_msg_str(x->e, ")");
    return ECL_ERANGE;
}

#define GATHER_EVAL(name, T)                                                                       \
    static enum ecl_status name(const struct ecl_exec *x, const struct ecl_node *n) {              \
        const struct ecl_gather_data *d = n->data;                                                 \
        const uint8_t *src = ecl_in(x, n, 0)->data;                                                \
        const T *idx = ecl_in(x, n, 1)->data;                                                      \
        uint8_t *dst = ecl_out(x, n, 0)->data;                                                     \
        size_t in = (size_t)d->inner, w = 0; /* empty tensors may have no memory */                \
        for (int64_t b = 0; b < d->batch; b++)                                                     \
            for (int64_t o = 0; o < d->outer; o++) {                                               \
                size_t base = (size_t)(b * d->outer + o) * (size_t)d->axis_size * in;              \
                for (int64_t c = 0; c < d->coord; c++) {                                           \
                    int64_t v = idx[b * d->coord + c];                                             \
                    if (v < 0 || v >= d->axis_size) return bad_index(x, v, d->axis_size);          \
                    if (in) memcpy(dst + w, src + base + (size_t)v * in, in);                      \
                    w += in;                                                                       \
                }                                                                                  \
            }                                                                                      \
        return ECL_OK;                                                                             \
    }
GATHER_EVAL(gather_i32, int32_t)
GATHER_EVAL(gather_i64, int64_t)

enum ecl_status ecl_prep_gather(struct ecl_prep *p) {
    struct ecl_gather_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *ix = p->in[1], *out = p->out[0];
    int32_t axis, bd = ecl_opt_i32(p, 1, 0);
    enum ecl_status st = ecl_prep_axis(p, ecl_opt_i32(p, 0, 0), in->ndims, &axis);
    if (st) return st;
    if (ix->type != ECL_DT_INT32 && ix->type != ECL_DT_INT64)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "indices must be int32 or int64");
    if (bd < 0) bd += ix->ndims;
    if (bd < 0 || bd > ix->ndims || bd > axis)
        return ecl_prep_fail(p, ECL_EFORMAT, "batch_dims out of range (0..axis, 0..indices' rank)");
    if ((st = ecl_prep_same_q(p, in, out))) return st;
    int32_t dims[ECL_MAX_DIMS];
    int nd = 0;
    d->batch = d->outer = d->coord = 1;
    d->inner = (int64_t)ecl_tfl_dtype_size(in->type);
    for (int k = 0; k < bd; k++) {
        if (ix->dims[k] != in->dims[k])
            return ecl_prep_fail(p, ECL_EFORMAT, "batch dims of params and indices differ");
        d->batch *= in->dims[k];
    }
    for (int k = bd; k < axis; k++)
        d->outer *= in->dims[k];
    for (int k = bd; k < ix->ndims; k++)
        d->coord *= ix->dims[k];
    for (int k = axis + 1; k < in->ndims; k++)
        d->inner *= in->dims[k];
    d->axis_size = in->dims[axis];
    if (axis + ix->ndims - bd + in->ndims - axis - 1 > ECL_MAX_DIMS)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "output beyond 6 dimensions");
    for (int k = 0; k < axis; k++)
        dims[nd++] = in->dims[k];
    for (int k = bd; k < ix->ndims; k++)
        dims[nd++] = ix->dims[k];
    for (int k = axis + 1; k < in->ndims; k++)
        dims[nd++] = in->dims[k];
    p->eval = ix->type == ECL_DT_INT32 ? gather_i32 : gather_i64;
    return ecl_prep_shape_is(p, out, nd, dims);
}

/* TRANSPOSE: output dim i is input dim perm[i] (perm a constant int32/int64 vector of the
 * input's rank naming each dim once, in [0, rank) as TFLite requires), up to 6-D.
 * Elements are moved as bytes, so every type works. */
#include "tflite/ops/ops.h"

static enum ecl_status walk_eval(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_walk_data *d = n->data;
    ecl_nd_copy(&d->w, ecl_in(x, n, 0)->data, ecl_out(x, n, 0)->data, (size_t)d->es);
    return ECL_OK;
}

enum ecl_status ecl_prep_transpose(struct ecl_prep *p) {
    struct ecl_walk_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    int nd = in->ndims;
    int64_t perm[ECL_MAX_DIMS], is[ECL_MAX_DIMS];
    enum ecl_status st = ecl_prep_same_q(p, in, out);
    if (!st) st = ecl_prep_ints(p, p->in[1], "perm", perm, nd);
    if (st) return st;
    p->eval = walk_eval;
    if (ecl_prep_deferred(p, p->in[1])) return ECL_OK;
    ecl_tensor_strides(in, is);
    d->es = (int32_t)ecl_tfl_dtype_size(in->type);
    d->w.nd = nd;
    d->w.base = 0;
    unsigned seen = 0;
    for (int k = 0; k < nd; k++) {
        if (perm[k] < 0 || perm[k] >= nd)
            return ecl_prep_fail(p, ECL_EFORMAT, "perm entry out of range");
        int32_t a = (int32_t)perm[k];
        if (seen >> a & 1) return ecl_prep_fail(p, ECL_EFORMAT, "perm names a dim twice");
        seen |= 1u << a;
        d->w.dims[k] = in->dims[a];
        d->w.stride[k] = is[a];
    }
    return ecl_prep_shape_is(p, out, nd, d->w.dims);
}

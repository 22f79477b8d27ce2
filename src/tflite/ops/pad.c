/* Padding: PAD, PADV2 (constant value, up to 4-D), MIRROR_PAD (REFLECT or SYMMETRIC, up to 6-D).
 * The paddings are a constant int32/int64 [rank, 2] tensor. Elements are moved as bytes, so
 * every type works; int8 needs equal input and output quantisation. */
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
    enum ecl_status st = ecl_prep_ints(p, pt, "paddings", v, 2 * in->ndims);
    if (st) return st;
    if (pt->ndims != 2 || pt->dims[1] != 2)
        return ecl_prep_fail(p, ECL_EFORMAT, "paddings must have the shape [rank, 2]");
    p->eval = pad_eval;
    if (ecl_prep_deferred(p, pt)) return ECL_OK;
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

/* MIRROR_PAD (TFLite's mirror_pad.cc): output index o along a dim reads input index
 * i = o - before, reflected at the edges: REFLECT excludes the edge (i < 0 -> -i,
 * i >= n -> 2n - i - 2), SYMMETRIC repeats it (i < 0 -> -i - 1, i >= n -> 2n - i - 1). */
static int32_t mirror_index(int32_t o, int32_t before, int32_t n, int symmetric) {
    int32_t i = o - before;
    if (i < 0) return symmetric ? -i - 1 : -i;
    if (i >= n) return symmetric ? 2 * n - i - 1 : 2 * n - i - 2;
    return i;
}

static enum ecl_status mirror_eval(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_mirror_data *d = n->data;
    const uint8_t *src = ecl_in(x, n, 0)->data;
    uint8_t *dst = ecl_out(x, n, 0)->data;
    size_t es = (size_t)d->es;
    int nd = d->nd;
    int64_t is[ECL_MAX_DIMS];
    int64_t s = 1;
    for (int k = nd - 1; k >= 0; k--) {
        is[k] = s;
        s *= d->in_dims[k];
    }
    uint32_t count = ecl_out(x, n, 0)->count;
    int32_t idx[ECL_MAX_DIMS] = {0};
    for (uint32_t o = 0; o < count; o++) {
        int64_t off = 0;
        for (int k = 0; k < nd; k++)
            off += mirror_index(idx[k], d->before[k], d->in_dims[k], d->symmetric) * is[k];
        memcpy(dst + (size_t)o * es, src + (size_t)off * es, es);
        for (int k = nd - 1; k >= 0 && ++idx[k] == d->out_dims[k]; k--)
            idx[k] = 0;
    }
    return ECL_OK;
}

enum ecl_status ecl_prep_mirror_pad(struct ecl_prep *p) {
    struct ecl_mirror_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    int mode = ecl_opt_u8(p, 0, 0);
    if (mode > 1) return ecl_prep_fail(p, ECL_EUNSUPPORTED, "unknown mirror mode");
    int nd = in->ndims;
    int64_t v[2 * ECL_MAX_DIMS];
    enum ecl_status st = ecl_prep_same_q(p, in, out);
    if (!st) st = ecl_prep_ints(p, p->in[1], "paddings", v, 2 * nd);
    if (st) return st;
    if (p->in[1]->ndims != 2 || p->in[1]->dims[1] != 2)
        return ecl_prep_fail(p, ECL_EFORMAT, "paddings must have the shape [rank, 2]");
    p->eval = mirror_eval;
    if (ecl_prep_deferred(p, p->in[1])) return ECL_OK;
    d->nd = nd;
    d->symmetric = mode == 1;
    d->es = (int32_t)ecl_tfl_dtype_size(in->type);
    int32_t od[ECL_MAX_DIMS];
    for (int k = 0; k < nd; k++) {
        /* REFLECT can mirror at most n - 1 elements per side, SYMMETRIC n */
        int64_t lim = in->dims[k] - (mode == 1 ? 0 : 1);
        if (v[2 * k] < 0 || v[2 * k + 1] < 0 || v[2 * k] > lim || v[2 * k + 1] > lim)
            return ecl_prep_fail(p, ECL_EFORMAT,
                                 mode == 1 ? "a SYMMETRIC padding exceeds the input's size"
                                           : "a REFLECT padding must be below the input's size");
        d->in_dims[k] = in->dims[k];
        d->before[k] = (int32_t)v[2 * k];
        int64_t o = in->dims[k] + v[2 * k] + v[2 * k + 1];
        if (o > INT32_MAX) return ecl_prep_fail(p, ECL_ERANGE, "padded size out of range");
        od[k] = d->out_dims[k] = (int32_t)o;
    }
    return ecl_prep_shape_is(p, out, nd, od);
}

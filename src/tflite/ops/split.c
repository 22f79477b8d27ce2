/* One tensor cut into pieces along an axis, and back: SPLIT (input 0 is the axis, input 1 the
 * data; num_splits equal pieces), SPLIT_V (size_splits, one of them may be -1: the rest),
 * UNPACK (pieces of size 1 whose axis is dropped), PACK (inputs of one shape stacked along a
 * new axis). Axes and sizes are constants read at prepare; negative axes count from the end.
 * Elements are moved as bytes, so every type works; int8 needs equal quantisation. */
#include "tflite/ops/ops.h"

/* outer, inner (bytes) and total of the whole tensor t cut along axis. */
static void split_geometry(struct ecl_split_data *d, const struct ecl_tensor *t, int axis) {
    d->outer = 1;
    d->inner = (int64_t)ecl_tfl_dtype_size(t->type);
    for (int k = 0; k < t->ndims; k++) {
        if (k < axis) d->outer *= t->dims[k];
        if (k > axis) d->inner *= t->dims[k];
    }
    d->total = t->dims[axis];
}

static enum ecl_status split_eval(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_split_data *d = n->data;
    const uint8_t *src = ecl_in(x, n, d->src)->data;
    size_t line = (size_t)d->total * (size_t)d->inner, at = 0;
    for (int j = 0; j < d->n; j++) {
        uint8_t *dst = ecl_out(x, n, j)->data;
        size_t run = (size_t)d->size[j] * (size_t)d->inner;
        for (int64_t o = 0; run && o < d->outer; o++) /* an empty piece may have no memory */
            memcpy(dst + (size_t)o * run, src + (size_t)o * line + at, run);
        at += run;
    }
    return ECL_OK;
}

static enum ecl_status pack_eval(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_split_data *d = n->data;
    uint8_t *dst = ecl_out(x, n, 0)->data;
    size_t line = (size_t)d->total * (size_t)d->inner, at = 0;
    for (int j = 0; j < d->n; j++) {
        const uint8_t *src = ecl_in(x, n, j)->data;
        size_t run = (size_t)d->inner;
        for (int64_t o = 0; run && o < d->outer; o++)
            memcpy(dst + (size_t)o * line + at, src + (size_t)o * run, run);
        at += run;
    }
    return ECL_OK;
}

/* Every output: in's shape with size[j] along axis (drop: the axis removed, UNPACK). */
static enum ecl_status check_pieces(struct ecl_prep *p, const struct ecl_tensor *in, int axis,
                                    int drop) {
    struct ecl_split_data *d = p->data;
    for (int j = 0; j < p->n_out; j++) {
        enum ecl_status st = ecl_prep_same_q(p, in, p->out[j]);
        if (st) return st;
        int32_t dims[ECL_MAX_DIMS];
        int nd = 0;
        for (int k = 0; k < in->ndims; k++)
            if (k != axis)
                dims[nd++] = in->dims[k];
            else if (!drop)
                dims[nd++] = d->size[j];
        if ((st = ecl_prep_shape_is(p, p->out[j], nd, dims))) return st;
    }
    return ECL_OK;
}

/* Reads the constant axis input t for data of rank nd into *axis. */
static enum ecl_status axis_input(struct ecl_prep *p, const struct ecl_tensor *t, int nd,
                                  int32_t *axis, int *later) {
    int64_t a;
    enum ecl_status st = ecl_prep_ints(p, t, "axis", &a, 1);
    if (st) return st;
    *later = ecl_prep_deferred(p, t);
    return *later ? ECL_OK : ecl_prep_axis(p, a, nd, axis);
}

enum ecl_status ecl_prep_split(struct ecl_prep *p) {
    struct ecl_split_data *d = p->data;
    struct ecl_tensor *in = p->in[1];
    int32_t axis, num = ecl_opt_i32(p, 0, p->n_out);
    int later;
    if (num != p->n_out)
        return ecl_prep_fail(p, ECL_EFORMAT, "num_splits differs from the number of outputs");
    enum ecl_status st = axis_input(p, p->in[0], in->ndims, &axis, &later);
    if (st) return st;
    p->eval = split_eval;
    if (later) return ECL_OK;
    split_geometry(d, in, axis);
    if (d->total % num) return ecl_prep_fail(p, ECL_EFORMAT, "the axis does not divide evenly");
    d->n = num;
    d->src = 1;
    for (int j = 0; j < num; j++)
        d->size[j] = d->total / num;
    return check_pieces(p, in, axis, 0);
}

enum ecl_status ecl_prep_split_v(struct ecl_prep *p) {
    struct ecl_split_data *d = p->data;
    struct ecl_tensor *in = p->in[0];
    int32_t axis, num = ecl_opt_i32(p, 0, p->n_out);
    int later;
    int64_t v[ECL_OP_MAX_IO];
    if (num != p->n_out)
        return ecl_prep_fail(p, ECL_EFORMAT, "num_splits differs from the number of outputs");
    enum ecl_status st = axis_input(p, p->in[2], in->ndims, &axis, &later);
    if (!st) st = ecl_prep_ints(p, p->in[1], "size_splits", v, num);
    if (st) return st;
    p->eval = split_eval;
    if (later || ecl_prep_deferred(p, p->in[1])) return ECL_OK;
    split_geometry(d, in, axis);
    d->n = num;
    d->src = 0;
    int64_t sum = 0;
    int rest = -1;
    for (int j = 0; j < num; j++) {
        if (v[j] == -1 && rest < 0) {
            rest = j;
            continue;
        }
        if (v[j] < 0 || v[j] > d->total)
            return ecl_prep_fail(p, ECL_EFORMAT, "size_splits has a negative or too large size");
        sum += v[j];
        d->size[j] = (int32_t)v[j];
    }
    if (rest >= 0 && sum <= d->total) d->size[rest] = (int32_t)(d->total - sum);
    if (rest >= 0 ? sum > d->total : sum != d->total)
        return ecl_prep_fail(p, ECL_EFORMAT, "size_splits do not add up to the axis' size");
    return check_pieces(p, in, axis, 0);
}

enum ecl_status ecl_prep_unpack(struct ecl_prep *p) {
    struct ecl_split_data *d = p->data;
    struct ecl_tensor *in = p->in[0];
    int32_t axis, num = ecl_opt_i32(p, 0, p->n_out);
    enum ecl_status st = ecl_prep_axis(p, ecl_opt_i32(p, 1, 0), in->ndims, &axis);
    if (st) return st;
    if (num != p->n_out || in->dims[axis] != num)
        return ecl_prep_fail(p, ECL_EFORMAT, "num differs from the outputs or the axis' size");
    split_geometry(d, in, axis);
    d->n = num;
    d->src = 0;
    for (int j = 0; j < num; j++)
        d->size[j] = 1;
    p->eval = split_eval;
    return check_pieces(p, in, axis, 1);
}

enum ecl_status ecl_prep_pack(struct ecl_prep *p) {
    struct ecl_split_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    int32_t axis, num = ecl_opt_i32(p, 0, p->n_in);
    if (num != p->n_in)
        return ecl_prep_fail(p, ECL_EFORMAT, "values_count differs from the number of inputs");
    if (in->ndims + 1 > ECL_MAX_DIMS)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "PACK beyond 6 dimensions");
    enum ecl_status st = ecl_prep_axis(p, ecl_opt_i32(p, 1, 0), in->ndims + 1, &axis);
    if (st) return st;
    for (int j = 0; j < num; j++) {
        if (!ecl_same_dims(p->in[j], in))
            return ecl_prep_fail(p, ECL_EFORMAT, "inputs differ in shape");
        if ((st = ecl_prep_same_q(p, p->in[j], out))) return st;
    }
    int32_t dims[ECL_MAX_DIMS];
    for (int k = 0, i = 0; k <= in->ndims; k++)
        dims[k] = k == axis ? num : in->dims[i++];
    if ((st = ecl_prep_shape_is(p, out, in->ndims + 1, dims))) return st;
    split_geometry(d, out, axis);
    d->n = num;
    p->eval = pack_eval;
    return ECL_OK;
}

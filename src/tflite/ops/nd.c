/* N-D helpers shared by the data-movement ops: row-major strides, a strided element walk
 * (TRANSPOSE, SLICE, STRIDED_SLICE), reading constant index vectors at prepare, the int8
 * "same quantisation" rule of the byte movers. */
#include "tflite/ops/ops.h"

int64_t ecl_tensor_strides(const struct ecl_tensor *t, int64_t s[ECL_MAX_DIMS]) {
    int64_t n = 1;
    for (int k = t->ndims - 1; k >= 0; k--) {
        s[k] = n;
        n *= t->dims[k];
    }
    return n;
}

/* Advances idx over dims[0..k] (the row's own dim excluded by the caller) and the offset with
 * it; returns 0 after the last row. */
static int next_row(const struct ecl_nd_walk *w, int32_t *idx, int64_t *off) {
    for (int k = w->nd - 2; k >= 0; k--) {
        *off += w->stride[k];
        if (++idx[k] < w->dims[k]) return 1;
        *off -= w->stride[k] * w->dims[k];
        idx[k] = 0;
    }
    return 0;
}

void ecl_nd_copy(const struct ecl_nd_walk *w, const void *src, void *dst, size_t es) {
    const uint8_t *s = src;
    uint8_t *d = dst;
    int nd = w->nd;
    if (nd == 0) {
        memcpy(d, s + (size_t)w->base * es, es);
        return;
    }
    for (int k = 0; k < nd; k++)
        if (w->dims[k] <= 0) return;
    int32_t idx[ECL_MAX_DIMS] = {0};
    int32_t n = w->dims[nd - 1];
    int64_t st = w->stride[nd - 1], off = w->base;
    do {
        if (st == 1) {
            memcpy(d, s + (size_t)off * es, (size_t)n * es);
            d += (size_t)n * es;
        } else {
            int64_t i = off;
            for (int32_t j = 0; j < n; j++, i += st, d += es)
                memcpy(d, s + (size_t)i * es, es);
        }
    } while (next_row(w, idx, &off));
}

enum ecl_status ecl_prep_ints(struct ecl_prep *p, const struct ecl_tensor *t, const char *name,
                              int64_t *v, int n) {
    struct msg *e = ecl_prep_msg(p);
    if (!t || !t->is_const || (t->type != ECL_DT_INT32 && t->type != ECL_DT_INT64)) {
        ecl_prep_fail(p, ECL_EUNSUPPORTED, name);
        ecl_msg_str(e, " must be a constant int32 or int64 tensor (a computed one needs dynamic "
                       "shapes)");
        return ECL_EUNSUPPORTED;
    }
    if ((int64_t)t->count != n) {
        ecl_prep_fail(p, ECL_EFORMAT, name);
        ecl_msg_str(e, " must have ");
        ecl_msg_int(e, n);
        ecl_msg_str(e, n == 1 ? " value" : " values");
        return ECL_EFORMAT;
    }
    memset(v, 0, sizeof *v * (size_t)n);
    if (ecl_prep_deferred(p, t)) return ECL_OK;
    if (ecl_const_ints(p, t, v, n) != n) {
        ecl_prep_fail(p, ECL_EFORMAT, name);
        ecl_msg_str(e, " has no data");
        return ECL_EFORMAT;
    }
    return ECL_OK;
}

int ecl_prep_deferred(const struct ecl_prep *p, const struct ecl_tensor *t) {
    return ecl_prep_sizing(p) && t && t->is_const && !t->data;
}

enum ecl_status ecl_prep_same_q(struct ecl_prep *p, const struct ecl_tensor *a,
                                const struct ecl_tensor *b) {
    if (a->type != b->type) return ecl_prep_fail(p, ECL_EFORMAT, "input and output types differ");
    if (a->type == ECL_DT_INT8 && (a->scale != b->scale || a->zp != b->zp))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED,
                             "int8 input and output quantisation differ (this op moves values)");
    return ECL_OK;
}

enum ecl_status ecl_prep_axis(struct ecl_prep *p, int64_t axis, int rank, int32_t *out) {
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return ecl_prep_fail(p, ECL_EFORMAT, "axis out of range");
    *out = (int32_t)axis;
    return ECL_OK;
}

enum ecl_status ecl_prep_shape_is(struct ecl_prep *p, const struct ecl_tensor *out, int nd,
                                  const int32_t *dims) {
    int ok = out->ndims == nd;
    for (int k = 0; ok && k < nd; k++)
        ok = out->dims[k] == dims[k];
    if (ok) return ECL_OK;
    struct msg *e = ecl_prep_msg(p);
    ecl_prep_fail(p, ECL_EFORMAT, "output shape in the file does not match: expected [");
    for (int k = 0; k < nd; k++) {
        if (k) ecl_msg_str(e, ",");
        ecl_msg_int(e, dims[k]);
    }
    ecl_msg_str(e, "]");
    return ECL_EFORMAT;
}

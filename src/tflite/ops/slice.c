/* SLICE and STRIDED_SLICE, as a strided walk over the input (ecl_nd_copy), every type (bytes).
 * SLICE: begin and size are constant int32/int64 vectors of the input's rank; size -1 means
 * "to the end". STRIDED_SLICE follows TFLite's strided_slice.cc and strided_slice_logic.h:
 * begin/end/strides (constant, one value per spec entry, up to the input's rank plus the new
 * axes), begin_mask, end_mask, ellipsis_mask (one bit), new_axis_mask, shrink_axis_mask and
 * offset (end is relative to begin). Per effective dim of size n and stride s:
 *   start = begin (+ n if negative), clamped to [0, n] (s > 0) or [-1, n - 1] (s < 0);
 *           begin_mask: 0 (s > 0) or n - 1 (s < 0);
 *   stop  = end (+ start with offset, + n if negative), clamped the same way;
 *           end_mask: n (s > 0) or -1 (s < 0);
 *   size  = max(0, ceil((stop - start) / s)).
 * A shrunk axis takes the one element at begin (+ n if negative; with begin_mask the first
 * element, the last for a negative stride) and drops the dim; a begin outside [-n, n) is
 * refused, as TensorFlow does (TFLite would clamp it or read outside the tensor). */
#include "tflite/ops/ops.h"

static enum ecl_status walk_eval(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_walk_data *d = n->data;
    ecl_nd_copy(&d->w, ecl_in(x, n, 0)->data, ecl_out(x, n, 0)->data, (size_t)d->es);
    return ECL_OK;
}

enum ecl_status ecl_prep_slice(struct ecl_prep *p) {
    struct ecl_walk_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    int nd = in->ndims;
    int64_t b[ECL_MAX_DIMS], sz[ECL_MAX_DIMS], is[ECL_MAX_DIMS];
    enum ecl_status st = ecl_prep_same_q(p, in, out);
    if (!st) st = ecl_prep_ints(p, p->in[1], "begin", b, nd);
    if (!st) st = ecl_prep_ints(p, p->in[2], "size", sz, nd);
    if (st) return st;
    p->eval = walk_eval;
    if (ecl_prep_deferred(p, p->in[1]) || ecl_prep_deferred(p, p->in[2])) return ECL_OK;
    ecl_tensor_strides(in, is);
    d->es = (int32_t)ecl_tfl_dtype_size(in->type);
    d->w.nd = nd;
    d->w.base = 0;
    for (int k = 0; k < nd; k++) {
        int64_t n = in->dims[k], size = sz[k] == -1 ? n - b[k] : sz[k];
        if (b[k] < 0 || b[k] > n || size < 0 || size > n - b[k])
            return ecl_prep_fail(p, ECL_EFORMAT, "begin or size outside the input");
        d->w.dims[k] = (int32_t)size;
        d->w.stride[k] = is[k];
        d->w.base += b[k] * is[k];
    }
    return ecl_prep_shape_is(p, out, nd, d->w.dims);
}

/* One dim of the input as STRIDED_SLICE sees it after the ellipsis and new axes are expanded. */
struct ss_dim {
    int32_t size, in_axis; /* in_axis -1: a new axis of size 1 */
    int64_t b, e, s;
    int bm, em, shrink;
};

struct ss_spec {
    const int64_t *b, *e, *s;
    int n; /* spec entries */
    uint32_t bm, em, ell, newax, shrink;
};

/* The effective dims (TFLite's BuildStridedSliceParams); their count, -1 if over the limit or
 * if the spec indexes more dims than the input has. */
static int ss_expand(const struct ss_spec *sp, const struct ecl_tensor *in, struct ss_dim *dd) {
    int in_nd = in->ndims, n = sp->n, num_add = 0;
    for (int i = 0; i < n; i++)
        num_add += !(sp->ell >> i & 1) && (sp->newax >> i & 1);
    int eff = in_nd + num_add;
    if (eff > ECL_MAX_DIMS || n - num_add - (sp->ell ? 1 : 0) > in_nd) return -1;
    uint32_t eff_ell = 0, eff_new = 0;
    int ell_start = eff, expanded = 0;
    for (int i = 0; i < eff;) {
        if (sp->ell >> i & 1) {
            ell_start = i;
            int end = i + 1 + num_add + in_nd - n;
            end = end > eff ? eff : end;
            end = end < i + 1 ? i + 1 : end;
            expanded = end - ell_start - 1;
            for (; i < end; i++)
                eff_ell |= 1u << i;
            continue;
        }
        if (sp->newax >> (i - expanded) & 1) eff_new |= 1u << i;
        i++;
    }
    int added_ell = 0, added_axes = 0;
    for (int i = 0; i < eff; i++) {
        struct ss_dim *x = &dd[i];
        memset(x, 0, sizeof *x);
        x->s = 1;
        x->in_axis = i - added_axes;
        if (eff_ell >> i & 1) {
            added_ell = i - ell_start > 0 ? i - ell_start : 0;
            x->bm = x->em = 1;
        } else if (eff_new >> i & 1) {
            x->e = 1;
            x->in_axis = -1;
            added_axes++;
        } else if (i >= n + expanded) {
            x->bm = x->em = 1;
        } else {
            int o = i - added_ell;
            x->b = sp->b[o];
            x->e = sp->e[o];
            x->s = sp->s[o];
            x->bm = sp->bm >> o & 1;
            x->em = sp->em >> o & 1;
            x->shrink = sp->shrink >> o & 1;
        }
        if (x->in_axis >= in_nd) return -1;
        x->size = x->in_axis >= 0 ? in->dims[x->in_axis] : 1;
    }
    return eff;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

/* start and the output size of one effective dim; -1 for a shrink index outside the dim. */
static int64_t ss_range(struct ss_dim *x, int offset, int64_t *start) {
    int64_t n = x->size, s = x->s, b = clamp64(x->b, -(1LL << 40), 1LL << 40);
    /* a stride beyond the dim takes one element either way; clamped, s * stride cannot
     * overflow */
    if (s > n || s < -n) x->s = s = s > 0 ? (n > 1 ? n : 1) : (n > 1 ? -n : -1);
    if (b < 0) b += n;
    if (x->shrink && !x->bm) { /* an index, not clamped (TF refuses one outside the dim) */
        *start = b;
        return b >= 0 && b < n ? 1 : -1;
    }
    b = s > 0 ? clamp64(b, 0, n) : clamp64(b, -1, n - 1);
    if (x->bm) b = s > 0 ? 0 : n - 1;
    *start = b;
    if (x->shrink) return b >= 0 && b < n ? 1 : -1;
    int64_t e = clamp64(x->e, -(1LL << 40), 1LL << 40) + (offset ? b : 0);
    if (e < 0) e += n;
    e = s > 0 ? clamp64(e, 0, n) : clamp64(e, -1, n - 1);
    if (x->em) e = s > 0 ? n : -1;
    int64_t span = s > 0 ? e - b : b - e, as = s > 0 ? s : -s;
    return span > 0 ? (span + as - 1) / as : 0;
}

enum ecl_status ecl_prep_strided_slice(struct ecl_prep *p) {
    struct ecl_walk_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    int64_t b[ECL_MAX_DIMS], e[ECL_MAX_DIMS], s[ECL_MAX_DIMS], is[ECL_MAX_DIMS];
    struct ss_spec sp = {b, e, s, 0, 0, 0, 0, 0, 0};
    sp.bm = (uint32_t)ecl_opt_i32(p, 0, 0);
    sp.em = (uint32_t)ecl_opt_i32(p, 1, 0);
    sp.ell = (uint32_t)ecl_opt_i32(p, 2, 0);
    sp.newax = (uint32_t)ecl_opt_i32(p, 3, 0);
    sp.shrink = (uint32_t)ecl_opt_i32(p, 4, 0);
    int offset = ecl_opt_u8(p, 5, 0) != 0;
    sp.n = p->in[1]->ndims == 1 ? p->in[1]->dims[0] : -1;
    if (sp.n < 1 || sp.n > ECL_MAX_DIMS)
        return ecl_prep_fail(p, ECL_EFORMAT, "begin must be a vector of 1 to 6 values");
    enum ecl_status st = ecl_prep_same_q(p, in, out);
    if (!st) st = ecl_prep_ints(p, p->in[1], "begin", b, sp.n);
    if (!st) st = ecl_prep_ints(p, p->in[2], "end", e, sp.n);
    if (!st) st = ecl_prep_ints(p, p->in[3], "strides", s, sp.n);
    if (st) return st;
    uint32_t all = sp.bm | sp.em | sp.ell | sp.newax | sp.shrink;
    if (all >> sp.n) return ecl_prep_fail(p, ECL_EFORMAT, "a mask has bits beyond the spec");
    if (sp.ell & (sp.ell - 1)) return ecl_prep_fail(p, ECL_EFORMAT, "more than one ellipsis");
    p->eval = walk_eval;
    for (int k = 1; k < 4; k++)
        if (ecl_prep_deferred(p, p->in[k])) return ECL_OK;
    for (int k = 0; k < sp.n; k++)
        if (s[k] == 0) return ecl_prep_fail(p, ECL_EFORMAT, "stride 0");
    struct ss_dim dd[ECL_MAX_DIMS];
    int eff = ss_expand(&sp, in, dd);
    if (eff < 0) return ecl_prep_fail(p, ECL_EUNSUPPORTED, "the spec does not fit the input");
    ecl_tensor_strides(in, is);
    d->es = (int32_t)ecl_tfl_dtype_size(in->type);
    d->w.nd = 0;
    d->w.base = 0;
    for (int i = 0; i < eff; i++) {
        int64_t start, size = ss_range(&dd[i], offset, &start);
        if (size < 0) return ecl_prep_fail(p, ECL_EFORMAT, "shrink_axis index out of range");
        int64_t stride = dd[i].in_axis >= 0 ? is[dd[i].in_axis] : 0;
        if (size > 0) d->w.base += start * stride;
        if (dd[i].shrink) continue;
        d->w.dims[d->w.nd] = (int32_t)size;
        d->w.stride[d->w.nd++] = dd[i].s * stride;
    }
    return ecl_prep_shape_is(p, out, d->w.nd, d->w.dims);
}

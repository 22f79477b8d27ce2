/* Reductions over the axes given by a constant int32 tensor: MEAN, SUM, REDUCE_MAX, REDUCE_MIN,
 * REDUCE_PROD (keep_dims honoured: it only changes the declared output shape, the memory order
 * is the same), and ARG_MAX / ARG_MIN (one axis, int32 or int64 output).
 * float32: sums in input order, then MEAN divides by the count (TFLite's reference).
 * int8 MEAN/SUM: TFLite's QuantizedMeanOrSum: the int32 sum of (q - z_in) requantised by
 * s_in / s_out, MEAN folding 1/count into the multiplier with its shift trick; except MEAN over
 * H,W of a 4-D tensor with keep_dims, which TFLite's runtime computes with its optimised Mean
 * (mean_hw_q below; ECL_ARITH_REFERENCE keeps QuantizedMeanOrSum). MAX/MIN compare raw values
 * (equal quantisation). int32/int64: exact. */
#include "tflite/ops/ops.h"

/* Output offset of each input element: strides of the output per input dim, 0 if reduced. */
struct rwalk {
    int nd;
    int32_t dims[ECL_MAX_DIMS];
    int64_t ostride[ECL_MAX_DIMS];
};

static void rwalk_init(struct rwalk *w, const struct ecl_reduce_data *d) {
    w->nd = d->nd;
    int64_t s = 1;
    for (int k = d->nd - 1; k >= 0; k--) {
        w->dims[k] = d->dims[k];
        w->ostride[k] = (d->mask >> k) & 1 ? 0 : s;
        if (!((d->mask >> k) & 1)) s *= d->dims[k];
    }
}

/* Calls body with i (input index) and o (output index) for every input element. */
#define RWALK(w, total, body)                                                                      \
    do {                                                                                           \
        int32_t idx_[ECL_MAX_DIMS] = {0};                                                          \
        int64_t o = 0;                                                                             \
        for (size_t i = 0; i < (total); i++) {                                                     \
            body;                                                                                  \
            for (int k_ = (w).nd - 1; k_ >= 0; k_--) {                                             \
                o += (w).ostride[k_];                                                              \
                if (++idx_[k_] < (w).dims[k_]) break;                                              \
                o -= (w).ostride[k_] * (w).dims[k_];                                               \
                idx_[k_] = 0;                                                                      \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static enum ecl_status red_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_reduce_data *d = n->data;
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    const float *a = in->data;
    float *y = out->data;
    struct rwalk w;
    rwalk_init(&w, d);
    int code = n->builtin;
    float init = code == ECL_OP_REDUCE_MAX    ? -INFINITY
                 : code == ECL_OP_REDUCE_MIN  ? INFINITY
                 : code == ECL_OP_REDUCE_PROD ? 1.0f
                                              : 0.0f;
    for (uint32_t k = 0; k < out->count; k++)
        y[k] = init;
    if (code == ECL_OP_REDUCE_MAX)
        RWALK(w, in->count, if (a[i] > y[o]) y[o] = a[i]);
    else if (code == ECL_OP_REDUCE_MIN)
        RWALK(w, in->count, if (a[i] < y[o]) y[o] = a[i]);
    else if (code == ECL_OP_REDUCE_PROD)
        RWALK(w, in->count, y[o] *= a[i]);
    else
        RWALK(w, in->count, y[o] += a[i]);
    if (code == ECL_OP_MEAN && d->count > 0)
        for (uint32_t k = 0; k < out->count; k++)
            y[k] = y[k] / (float)d->count;
    return ECL_OK;
}

static enum ecl_status mean_hw_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_reduce_data *d = n->data;
    x->k->mean_hw_f32(x->kc, ecl_in(x, n, 0)->data, d->is, ecl_out(x, n, 0)->data);
    return ECL_OK;
}

static enum ecl_status red_int(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_reduce_data *d = n->data;
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    struct rwalk w;
    rwalk_init(&w, d);
    int code = n->builtin, wide = in->type == ECL_DT_INT64;
    int64_t *acc = x->kc->scratch; /* out->count int64 accumulators */
    int64_t init = code == ECL_OP_REDUCE_MAX    ? INT64_MIN
                   : code == ECL_OP_REDUCE_MIN  ? INT64_MAX
                   : code == ECL_OP_REDUCE_PROD ? 1
                                                : 0;
    for (uint32_t k = 0; k < out->count; k++)
        acc[k] = init;
    const int32_t *a32 = in->data;
    const int64_t *a64 = in->data;
#define V (wide ? a64[i] : (int64_t)a32[i])
    if (code == ECL_OP_REDUCE_MAX)
        RWALK(w, in->count, if (V > acc[o]) acc[o] = V);
    else if (code == ECL_OP_REDUCE_MIN)
        RWALK(w, in->count, if (V < acc[o]) acc[o] = V);
    else if (code == ECL_OP_REDUCE_PROD)
        RWALK(w, in->count, acc[o] = (int64_t)((uint64_t)acc[o] * (uint64_t)V));
    else
        RWALK(w, in->count, acc[o] = (int64_t)((uint64_t)acc[o] + (uint64_t)V));
#undef V
    for (uint32_t k = 0; k < out->count; k++) {
        int64_t v = code == ECL_OP_MEAN && d->count ? acc[k] / d->count : acc[k];
        if (wide)
            ((int64_t *)out->data)[k] = v;
        else
            ((int32_t *)out->data)[k] = (int32_t)(uint32_t)(uint64_t)v;
    }
    return ECL_OK;
}

static enum ecl_status red_i8(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_reduce_data *d = n->data;
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    const int8_t *a = in->data;
    int8_t *y = out->data;
    struct rwalk w;
    rwalk_init(&w, d);
    int code = n->builtin;
    if (code == ECL_OP_REDUCE_MAX || code == ECL_OP_REDUCE_MIN) {
        for (uint32_t k = 0; k < out->count; k++)
            y[k] = code == ECL_OP_REDUCE_MAX ? -128 : 127;
        if (code == ECL_OP_REDUCE_MAX)
            RWALK(w, in->count, if (a[i] > y[o]) y[o] = a[i]);
        else
            RWALK(w, in->count, if (a[i] < y[o]) y[o] = a[i]);
        return ECL_OK;
    }
    int32_t *acc = x->kc->scratch;
    for (uint32_t k = 0; k < out->count; k++)
        acc[k] = 0;
    RWALK(w, in->count, acc[o] += a[i]);
    for (uint32_t k = 0; k < out->count; k++)
        y[k] = (int8_t)ecl_requant_out(acc[k] - d->in_zp * (int32_t)d->count, d->mult, d->shift,
                                       d->out_zp, -128, 127);
    return ECL_OK;
}

/* int8/uint8 MEAN over H and W of a 4-D tensor with keep_dims, as TFLite's runtime computes it
 * (optimized_ops::Mean / optimized_integer_ops::Mean, not its reference QuantizedMeanOrSum):
 * the sum of the raw stored values (uint8 ones for a lowered uint8 tensor: raw_off 128)
 * requantised by s_in / (count * s_out), plus bias = out_zp - (int)(in_zp * s_in / s_out)
 * (zero points of the stored type, the product and quotient in float, truncated), clamped to
 * the type's range. */
static enum ecl_status mean_hw_q(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_reduce_data *d = n->data;
    const int8_t *a = ecl_in(x, n, 0)->data;
    int8_t *y = ecl_out(x, n, 0)->data;
    struct ecl_shape4 is = d->is;
    size_t hw = (size_t)is.h * (size_t)is.w;
    for (int32_t b = 0; b < is.n; b++)
        for (int32_t c = 0; c < is.c; c++) {
            const int8_t *p = a + (size_t)b * hw * (size_t)is.c + (size_t)c;
            int32_t s = 0;
            for (size_t i = 0; i < hw; i++)
                s += p[i * (size_t)is.c] + d->raw_off;
            int64_t v = (int64_t)ecl_requant(s, d->mult, d->shift) + d->bias - d->raw_off;
            y[(size_t)b * (size_t)is.c + (size_t)c] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
        }
    return ECL_OK;
}

static void prep_mean_hw_q(struct ecl_prep *p, struct ecl_reduce_data *d) {
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    int32_t off = in->lowered ? 128 : 0; /* the kernel TFLite runs sees the uint8 values */
    float q = (float)(in->zp + off) * in->scale / out->scale;
    q = q > 0 ? q + 0.5f : q - 0.5f;
    d->is = ecl_tensor_shape4(in);
    d->raw_off = off;
    d->bias = out->zp + off - (int32_t)q;
    float real = in->scale / ((float)d->count * out->scale);
    ecl_quantize_multiplier((double)real, &d->mult, &d->shift);
    p->eval = mean_hw_q;
}

/* Reduced axes from the constant axis tensor; negative axes count from the end. */
static enum ecl_status read_axes(struct ecl_prep *p, struct ecl_reduce_data *d) {
    struct ecl_tensor *in = p->in[0], *ax = p->in[1];
    int64_t v[2 * ECL_MAX_DIMS];
    int na = ecl_const_ints(p, ax, v, 2 * ECL_MAX_DIMS);
    if (na < 0) return ecl_prep_fail(p, ECL_EUNSUPPORTED, "axes must be a constant int tensor");
    d->nd = in->ndims;
    d->mask = 0;
    for (int k = 0; k < in->ndims; k++)
        d->dims[k] = in->dims[k];
    for (int k = 0; k < na; k++) {
        int64_t a = v[k] < 0 ? v[k] + in->ndims : v[k];
        if (a < 0 || a >= in->ndims) return ecl_prep_fail(p, ECL_EFORMAT, "axis out of range");
        d->mask |= 1u << a;
    }
    d->count = 1;
    uint32_t kept = 1;
    for (int k = 0; k < in->ndims; k++) {
        if ((d->mask >> k) & 1)
            d->count *= in->dims[k];
        else
            kept *= (uint32_t)in->dims[k];
    }
    if (p->out[0]->count != kept)
        return ecl_prep_fail(p, ECL_EFORMAT, "output size does not match the reduction");
    return ECL_OK;
}

enum ecl_status ecl_prep_reduce(struct ecl_prep *p) {
    struct ecl_reduce_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    enum ecl_status st = read_axes(p, d);
    if (st != ECL_OK) return st;
    if (in->type != out->type)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "input and output types differ");
    int code = p->builtin;
    if (in->type == ECL_DT_FLOAT32) {
        p->eval = red_f32;
        if (code == ECL_OP_MEAN && in->ndims == 4 && d->mask == 6u) {
            d->is = ecl_tensor_shape4(in);
            p->eval = mean_hw_f32;
        }
        return ECL_OK;
    }
    if (in->type == ECL_DT_INT32 || in->type == ECL_DT_INT64) {
        ecl_prep_scratch(p, (size_t)out->count * sizeof(int64_t));
        p->eval = red_int;
        return ECL_OK;
    }
    if (!ecl_is_q8(in) || !ecl_is_q8(out))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "int8 needs quantisation parameters");
    if (code == ECL_OP_REDUCE_PROD) return ecl_prep_fail(p, ECL_EUNSUPPORTED, "int8 REDUCE_PROD");
    if (code == ECL_OP_REDUCE_MAX || code == ECL_OP_REDUCE_MIN) {
        if (in->scale != out->scale || in->zp != out->zp)
            return ecl_prep_fail(p, ECL_EUNSUPPORTED, "int8 needs equal input/output quantisation");
        p->eval = red_i8;
        return ECL_OK;
    }
    if (d->count > (1 << 23)) return ecl_prep_fail(p, ECL_ERANGE, "reduction too large");
    if (code == ECL_OP_MEAN && in->ndims == 4 && d->mask == 6u && d->count > 0 &&
        ecl_opt_u8(p, 0, 0) && ecl_prep_opts(p)->arith != ECL_ARITH_REFERENCE &&
        in->lowered == out->lowered &&
        fabsf(256.0f * in->scale / out->scale) < 1e9f) { /* the bias fits int32 */
        prep_mean_hw_q(p, d);
        return ECL_OK;
    }
    d->in_zp = in->zp;
    d->out_zp = out->zp;
    ecl_quantize_multiplier((double)in->scale / (double)out->scale, &d->mult, &d->shift);
    if (code == ECL_OP_MEAN && d->count > 0) {
        int sh = 0;
        while (sh < 62 && ((uint64_t)d->count >> (sh + 1)) != 0)
            sh++; /* floor(log2(count)) */
        if (sh > 32) sh = 32;
        if (sh > 31 + d->shift) sh = 31 + d->shift;
        if (sh < 0) sh = 0;
        d->mult = (int32_t)(((int64_t)d->mult << sh) / d->count);
        d->shift -= sh;
    }
    ecl_prep_scratch(p, (size_t)out->count * sizeof(int32_t));
    p->eval = red_i8;
    return ECL_OK;
}

/* ------------------------------------------------------------------ ARG_MAX / ARG_MIN */
#define ARG_LOOP(T)                                                                                \
    const T *a = in->data;                                                                         \
    for (int64_t o = 0; o < d->outer; o++)                                                         \
        for (int64_t i = 0; i < d->inner; i++) {                                                   \
            const T *base = a + o * d->axis * d->inner + i;                                        \
            int64_t best = 0;                                                                      \
            for (int64_t k = 1; k < d->axis; k++)                                                  \
                if (is_max ? base[k * d->inner] > base[best * d->inner]                            \
                           : base[k * d->inner] < base[best * d->inner])                           \
                    best = k;                                                                      \
            if (wide)                                                                              \
                ((int64_t *)out->data)[o * d->inner + i] = best;                                   \
            else                                                                                   \
                ((int32_t *)out->data)[o * d->inner + i] = (int32_t)best;                          \
        }

static enum ecl_status arg_eval(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_arg_data *d = n->data;
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    int is_max = n->builtin == ECL_OP_ARG_MAX, wide = out->type == ECL_DT_INT64;
    if (in->type == ECL_DT_FLOAT32) {
        ARG_LOOP(float)
    } else if (in->type == ECL_DT_INT8) {
        ARG_LOOP(int8_t) /* lowered uint8 keeps its order */
    } else if (in->type == ECL_DT_INT32) {
        ARG_LOOP(int32_t)
    } else {
        ARG_LOOP(int64_t)
    }
    return ECL_OK;
}

enum ecl_status ecl_prep_arg(struct ecl_prep *p) {
    struct ecl_arg_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    int64_t v[1];
    if (ecl_const_ints(p, p->in[1], v, 1) != 1)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "axis must be one constant integer");
    int64_t axis = v[0] < 0 ? v[0] + in->ndims : v[0];
    if (axis < 0 || axis >= in->ndims) return ecl_prep_fail(p, ECL_EFORMAT, "axis out of range");
    if (out->type != ECL_DT_INT32 && out->type != ECL_DT_INT64)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "output must be int32 or int64");
    d->outer = d->inner = 1;
    for (int k = 0; k < in->ndims; k++) {
        if (k < axis) d->outer *= in->dims[k];
        if (k > axis) d->inner *= in->dims[k];
    }
    d->axis = in->dims[axis];
    if (d->axis < 1) return ecl_prep_fail(p, ECL_EFORMAT, "empty axis");
    if ((int64_t)out->count != d->outer * d->inner)
        return ecl_prep_fail(p, ECL_EFORMAT, "output size does not match the reduction");
    p->eval = arg_eval;
    return ECL_OK;
}

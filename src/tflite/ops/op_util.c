/* Helpers shared by the op files: windows, broadcasting, activation ranges, quantisation. */
#include "tflite/ops/ops.h"

int ecl_window_out(int32_t in, int32_t k, int32_t stride, int32_t dil, int padding, int32_t *out,
                   int32_t *pad_before) {
    int64_t eff = (int64_t)(k - 1) * dil + 1;
    int64_t o;
    if (padding == PAD_SAME)
        o = ((int64_t)in + stride - 1) / stride;
    else if (padding == PAD_VALID)
        o = in >= eff ? (in - eff) / stride + 1 : 0;
    else
        return 0;
    int64_t total = (o - 1) * stride + eff - in;
    *out = (int32_t)o;
    *pad_before = padding == PAD_SAME && total > 0 ? (int32_t)(total / 2) : 0;
    return o > 0;
}

int ecl_bcast_init(struct ecl_bcast *bc, const struct ecl_tensor *a, const struct ecl_tensor *b,
                   const struct ecl_tensor *out) {
    memset(bc, 0, sizeof *bc);
    int nd = out->ndims;
    if (a->ndims > nd || b->ndims > nd || nd > ECL_MAX_DIMS) return 0;
    bc->nd = nd;
    int64_t sa = 1, sb = 1;
    for (int i = nd - 1; i >= 0; i--) {
        int ia = i - (nd - a->ndims), ib = i - (nd - b->ndims);
        int32_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1, d = out->dims[i];
        if ((da != d && da != 1) || (db != d && db != 1)) return 0;
        if (d != (da > db ? da : db) && !(d == 0 && (da == 0 || db == 0))) return 0;
        bc->od[i] = d;
        bc->as[i] = da == 1 ? 0 : sa;
        bc->bs[i] = db == 1 ? 0 : sb;
        sa *= da;
        sb *= db;
    }
    bc->same = a->count == out->count && b->count == out->count;
    bc->a_scalar = a->count == 1;
    bc->b_scalar = b->count == 1;
    return 1;
}

void ecl_bcast_walk(const struct ecl_bcast *bc, ecl_bcast_run_fn fn, void *ctx) {
    int nd = bc->nd;
    if (nd == 0) {
        fn(ctx, 0, 0, 0, 0, 0, 1);
        return;
    }
    size_t total = 1;
    for (int i = 0; i < nd; i++)
        total *= (size_t)bc->od[i];
    if (!total) return;
    if (bc->same) {
        fn(ctx, 0, 0, 1, 0, 1, total);
        return;
    }
    int32_t idx[ECL_MAX_DIMS] = {0};
    size_t inner = (size_t)bc->od[nd - 1], o = 0;
    for (;;) {
        int64_t ia = 0, ib = 0;
        for (int i = 0; i < nd - 1; i++) {
            ia += idx[i] * bc->as[i];
            ib += idx[i] * bc->bs[i];
        }
        fn(ctx, o, ia, bc->as[nd - 1], ib, bc->bs[nd - 1], inner);
        o += inner;
        int k = nd - 2;
        while (k >= 0 && ++idx[k] == bc->od[k])
            idx[k--] = 0;
        if (k < 0) break;
    }
}

int ecl_act_f32(int act, float *lo, float *hi) {
    switch (act) {
    case ACT_NONE:
        *lo = -INFINITY;
        *hi = INFINITY;
        return 1;
    case ACT_RELU:
        *lo = 0;
        *hi = INFINITY;
        return 1;
    case ACT_RELU_N1_TO_1:
        *lo = -1;
        *hi = 1;
        return 1;
    case ACT_RELU6:
        *lo = 0;
        *hi = 6;
        return 1;
    default:
        return 0;
    }
}

int32_t ecl_quantize_value(float x, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
    float q = roundf(x / scale); /* TfLiteRound: half away from zero */
    double v = (double)q + zp;
    return !(v >= qmin) ? qmin : (v > qmax ? qmax : (int32_t)v); /* NaN: qmin */
}

int ecl_act_q(int act, const struct ecl_tensor *out, int32_t *lo, int32_t *hi) {
    const struct ecl_dtype_traits *tr = ecl_dtype_traits(out->type);
    int32_t qmin = tr->qmin, qmax = tr->qmax;
    float flo, fhi;
    if (!ecl_act_f32(act, &flo, &fhi)) return 0;
    *lo = isinf(flo) ? qmin : ecl_quantize_value(flo, out->scale, out->zp, qmin, qmax);
    *hi = isinf(fhi) ? qmax : ecl_quantize_value(fhi, out->scale, out->zp, qmin, qmax);
    return 1;
}

float ecl_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 31, f = h & 1023;
    float v;
    if (e == 0)
        v = ldexpf((float)f, -24);
    else if (e == 31)
        v = f ? NAN : INFINITY;
    else
        v = ldexpf((float)(f | 1024), (int)e - 25);
    return sign ? -v : v;
}

void ecl_clamp_f32(float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
}

/* int32 accumulation must not overflow (UB in C): biases beyond +-2^30 are clamped in an arena
 * copy. With |sum of products| < 2^30 (filter size capped) the accumulator stays in range. A
 * bias that large saturates the output for any realistic multiplier. */
void ecl_clamp_bias(struct ecl_prep *p, struct ecl_tensor *b) {
    int bad = 0;
    const uint8_t *src = b->data;
    if (!src) return; /* the sizing pass still sees file constants; arena ones never hit this */
    for (uint32_t i = 0; i < b->count; i++) {
        int32_t x;
        memcpy(&x, src + 4 * (size_t)i, 4);
        if (x > (1 << 30) || x < -(1 << 30)) bad = 1;
    }
    if (!bad) return;
    int32_t *copy = ecl_prep_alloc(p, (size_t)b->count * 4);
    if (!copy) return;
    for (uint32_t i = 0; i < b->count; i++) {
        int32_t x;
        memcpy(&x, src + 4 * (size_t)i, 4);
        copy[i] = x > (1 << 30) ? (1 << 30) : (x < -(1 << 30) ? -(1 << 30) : x);
    }
    b->data = copy;
}

/* Element-wise binary ops with TFLite broadcasting (dims right-aligned, size 1 broadcasts):
 * ADD, SUB, MUL, DIV, SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, POW, FLOOR_DIV, FLOOR_MOD.
 * float32: the kernel table's 4-D ADD/MUL kernels where they apply, else one loop per op below.
 * int32/int64: exact integer arithmetic. int8 (lowered uint8 included): TFLite's fixed-point
 * ADD/SUB (inputs rescaled with left shift 20) and MUL; MAXIMUM/MINIMUM compare the raw values
 * (TFLite requires equal quantisation of inputs and output). PRELU at the end of the file. */
#include "tflite/ops/ops.h"

/* ------------------------------------------------------------------ float */
typedef float (*fbin_fn)(float a, float b);
static float f_add(float a, float b) {
    return a + b;
}
static float f_sub(float a, float b) {
    return a - b;
}
static float f_mul(float a, float b) {
    return a * b;
}
static float f_div(float a, float b) {
    return a / b;
}
static float f_sqd(float a, float b) {
    return (a - b) * (a - b);
}
static float f_max(float a, float b) {
    return a > b ? a : b;
}
static float f_min(float a, float b) {
    return a < b ? a : b;
}
static float f_pow(float a, float b) {
    return powf(a, b);
}
static float f_floordiv(float a, float b) {
    return floorf(a / b);
}
static float f_floormod(float a, float b) {
    float r = fmodf(a, b);
    return (r != 0.0f && ((r < 0.0f) != (b < 0.0f))) ? r + b : r;
}

struct fjob {
    fbin_fn f;
    const float *a, *b;
    float *out;
    float lo, hi;
};

static void f_run(void *ctx, size_t o, int64_t ia, int64_t sa, int64_t ib, int64_t sb, size_t n) {
    const struct fjob *j = ctx;
    for (size_t k = 0; k < n; k++) {
        float v = j->f(j->a[ia + (int64_t)k * sa], j->b[ib + (int64_t)k * sb]);
        j->out[o + k] = v < j->lo ? j->lo : (v > j->hi ? j->hi : v);
    }
}

static fbin_fn float_fn(int32_t code) {
    switch (code) {
    case ECL_OP_ADD:
        return f_add;
    case ECL_OP_SUB:
        return f_sub;
    case ECL_OP_MUL:
        return f_mul;
    case ECL_OP_DIV:
        return f_div;
    case ECL_OP_SQUARED_DIFFERENCE:
        return f_sqd;
    case ECL_OP_MAXIMUM:
        return f_max;
    case ECL_OP_MINIMUM:
        return f_min;
    case ECL_OP_POW:
        return f_pow;
    case ECL_OP_FLOOR_DIV:
        return f_floordiv;
    case ECL_OP_FLOOR_MOD:
        return f_floormod;
    default:
        return NULL;
    }
}

static enum ecl_status bin_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_binary_data *d = n->data;
    struct fjob j = {float_fn(n->builtin),   ecl_in(x, n, 0)->data, ecl_in(x, n, 1)->data,
                     ecl_out(x, n, 0)->data, d->p.act_min,          d->p.act_max};
    ecl_bcast_walk(&d->bc, f_run, &j);
    return ECL_OK;
}

static enum ecl_status add_f32_k(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_binary_data *d = n->data;
    x->k->add_f32(x->kc, &d->p, ecl_in(x, n, 0)->data, d->as, ecl_in(x, n, 1)->data, d->bs,
                  ecl_out(x, n, 0)->data, d->os);
    return ECL_OK;
}

static enum ecl_status mul_f32_k(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_binary_data *d = n->data;
    x->k->mul_f32(x->kc, &d->p, ecl_in(x, n, 0)->data, d->as, ecl_in(x, n, 1)->data, d->bs,
                  ecl_out(x, n, 0)->data, d->os);
    return ECL_OK;
}

/* ------------------------------------------------------------------ integers */
struct ijob {
    int32_t code;
    const void *a, *b;
    void *out;
    int wide; /* int64 */
    int bad;  /* integer division by zero */
};

static int64_t i_op(struct ijob *j, int64_t a, int64_t b) {
    switch (j->code) {
    case ECL_OP_ADD:
        return a + b;
    case ECL_OP_SUB:
        return a - b;
    case ECL_OP_MUL:
        return (int64_t)((uint64_t)a * (uint64_t)b);
    case ECL_OP_MAXIMUM:
        return a > b ? a : b;
    case ECL_OP_MINIMUM:
        return a < b ? a : b;
    case ECL_OP_SQUARED_DIFFERENCE:
        return (a - b) * (a - b);
    case ECL_OP_DIV:
    case ECL_OP_FLOOR_DIV:
    case ECL_OP_FLOOR_MOD: {
        if (b == 0 || (b == -1 && a == INT64_MIN)) {
            j->bad = 1;
            return 0;
        }
        int64_t q = a / b, r = a % b;
        if (j->code == ECL_OP_DIV) return q; /* TFLite int32 DIV truncates */
        if (r != 0 && ((r < 0) != (b < 0))) {
            q -= 1;
            r += b;
        }
        return j->code == ECL_OP_FLOOR_DIV ? q : r;
    }
    default: { /* POW: integer power, exponent >= 0 */
        int64_t r = 1;
        if (b < 0) {
            j->bad = 1;
            return 0;
        }
        for (int64_t k = 0; k < b && k < 64; k++)
            r = (int64_t)((uint64_t)r * (uint64_t)a);
        return r;
    }
    }
}

static void i_run(void *ctx, size_t o, int64_t ia, int64_t sa, int64_t ib, int64_t sb, size_t n) {
    struct ijob *j = ctx;
    for (size_t k = 0; k < n; k++) {
        int64_t pa = ia + (int64_t)k * sa, pb = ib + (int64_t)k * sb;
        if (j->wide) {
            const int64_t *a = j->a, *b = j->b;
            ((int64_t *)j->out)[o + k] = i_op(j, a[pa], b[pb]);
        } else {
            const int32_t *a = j->a, *b = j->b;
            ((int32_t *)j->out)[o + k] = (int32_t)(uint32_t)(uint64_t)i_op(j, a[pa], b[pb]);
        }
    }
}

static enum ecl_status bin_int(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_binary_data *d = n->data;
    struct ijob j = {n->builtin,
                     ecl_in(x, n, 0)->data,
                     ecl_in(x, n, 1)->data,
                     ecl_out(x, n, 0)->data,
                     ecl_out(x, n, 0)->type == ECL_DT_INT64,
                     0};
    ecl_bcast_walk(&d->bc, i_run, &j);
    if (j.bad) {
        ecl_msg_str(x->e, "integer division by zero or negative exponent");
        return ECL_ERANGE;
    }
    return ECL_OK;
}

/* ------------------------------------------------------------------ int8 */
static enum ecl_status add_i8_k(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_binary_data *d = n->data;
    x->k->add_i8(x->kc, &d->p, ecl_in(x, n, 0)->data, d->as, ecl_in(x, n, 1)->data, d->bs,
                 ecl_out(x, n, 0)->data, d->os);
    return ECL_OK;
}

static enum ecl_status mul_i8_k(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_binary_data *d = n->data;
    x->k->mul_i8(x->kc, &d->p, ecl_in(x, n, 0)->data, d->as, ecl_in(x, n, 1)->data, d->bs,
                 ecl_out(x, n, 0)->data, d->os);
    return ECL_OK;
}

struct qjob {
    int max;
    const int8_t *a, *b;
    int8_t *out;
};

static void q_minmax_run(void *ctx, size_t o, int64_t ia, int64_t sa, int64_t ib, int64_t sb,
                         size_t n) {
    const struct qjob *j = ctx;
    for (size_t k = 0; k < n; k++) {
        int8_t a = j->a[ia + (int64_t)k * sa], b = j->b[ib + (int64_t)k * sb];
        j->out[o + k] = j->max ? (a > b ? a : b) : (a < b ? a : b);
    }
}

static enum ecl_status minmax_i8(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_binary_data *d = n->data;
    struct qjob j = {n->builtin == ECL_OP_MAXIMUM, ecl_in(x, n, 0)->data, ecl_in(x, n, 1)->data,
                     ecl_out(x, n, 0)->data};
    ecl_bcast_walk(&d->bc, q_minmax_run, &j);
    return ECL_OK;
}

/* An int8 op's requantisation parameters and operands, for a broadcast walk (SUB, PRELU). */
struct q8_job {
    const struct ecl_binary_params *p;
    const int8_t *a, *b;
    int8_t *out;
};

/* TFLite's int8/uint8 SUB (reference_ops SubElementwise): both inputs rescaled as for ADD, the
 * second subtracted; any broadcast, reference arithmetic only. */

static void q_sub_run(void *ctx, size_t o, int64_t ia, int64_t sa, int64_t ib, int64_t sb,
                      size_t n) {
    const struct q8_job *j = ctx;
    const struct ecl_binary_params *p = j->p;
    for (size_t k = 0; k < n; k++) {
        int32_t xa = (j->a[ia + (int64_t)k * sa] - p->a_zp) * (1 << p->left_shift);
        int32_t xb = (j->b[ib + (int64_t)k * sb] - p->b_zp) * (1 << p->left_shift);
        int64_t d = (int64_t)ecl_requant(xa, p->a_mult, p->a_shift) -
                    ecl_requant(xb, p->b_mult, p->b_shift);
        int32_t d32 = d > INT32_MAX ? INT32_MAX : (d < INT32_MIN ? INT32_MIN : (int32_t)d);
        j->out[o + k] = (int8_t)ecl_requant_out(d32, p->out_mult, p->out_shift, p->out_zp,
                                                p->act_min_q, p->act_max_q);
    }
}

static enum ecl_status sub_i8(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_binary_data *d = n->data;
    struct q8_job j = {&d->p, ecl_in(x, n, 0)->data, ecl_in(x, n, 1)->data, ecl_out(x, n, 0)->data};
    ecl_bcast_walk(&d->bc, q_sub_run, &j);
    return ECL_OK;
}

static int shape4_bcast(struct ecl_binary_data *d, const struct ecl_tensor *a,
                        const struct ecl_tensor *b, const struct ecl_tensor *o) {
    if (a->ndims > 4 || b->ndims > 4 || o->ndims > 4) return 0;
    d->as = ecl_tensor_shape4(a);
    d->bs = ecl_tensor_shape4(b);
    d->os = ecl_tensor_shape4(o);
    return 1;
}

static enum ecl_status prep_i8(struct ecl_prep *p, struct ecl_binary_data *d, int act) {
    struct ecl_tensor *a = p->in[0], *b = p->in[1], *out = p->out[0];
    int32_t code = p->builtin;
    if (!ecl_is_q8(a) || !ecl_is_q8(b) || !ecl_is_q8(out) || a->n_scales != 1 || b->n_scales != 1 ||
        out->n_scales != 1)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "int8 needs per-tensor quantisation");
    if (code == ECL_OP_MAXIMUM || code == ECL_OP_MINIMUM) {
        if (a->scale != out->scale || b->scale != out->scale || a->zp != out->zp ||
            b->zp != out->zp)
            return ecl_prep_fail(p, ECL_EUNSUPPORTED,
                                 "int8 MAXIMUM/MINIMUM need equal input/output quantisation");
        p->eval = minmax_i8;
        return ECL_OK;
    }
    struct ecl_binary_params *q = &d->p;
    if (!shape4_bcast(d, a, b, out))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "int8 broadcasting beyond 4 dimensions");
    q->a_zp = a->zp;
    q->b_zp = b->zp;
    q->out_zp = out->zp;
    if (!ecl_act_q(act, out, &q->act_min_q, &q->act_max_q))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "unsupported fused activation");
    double sa = a->scale, sb = b->scale, so = out->scale;
    if (code == ECL_OP_ADD || code == ECL_OP_SUB) {
        double twice_max = 2.0 * (sa > sb ? sa : sb);
        q->left_shift = 20;
        ecl_quantize_multiplier(sa / twice_max, &q->a_mult, &q->a_shift);
        ecl_quantize_multiplier(sb / twice_max, &q->b_mult, &q->b_shift);
        ecl_quantize_multiplier(twice_max / ((double)(1 << 20) * so), &q->out_mult, &q->out_shift);
        p->eval = code == ECL_OP_ADD ? add_i8_k : sub_i8;
        return ECL_OK;
    }
    if (code == ECL_OP_MUL) {
        ecl_quantize_multiplier(sa * sb / so, &q->out_mult, &q->out_shift);
        p->eval = mul_i8_k;
        return ECL_OK;
    }
    return ecl_prep_fail(p, ECL_EUNSUPPORTED, "int8 is not supported for this op");
}

enum ecl_status ecl_prep_binary(struct ecl_prep *p) {
    struct ecl_binary_data *d = p->data;
    struct ecl_tensor *a = p->in[0], *b = p->in[1], *out = p->out[0];
    if (!ecl_bcast_init(&d->bc, a, b, out))
        return ecl_prep_fail(p, ECL_EFORMAT, "shapes do not broadcast to the output");
    if (b->type != a->type || out->type != a->type)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "input/output types differ");
    /* ADD, SUB, MUL, DIV carry a fused activation in field 0 */
    int has_act = p->builtin == ECL_OP_ADD || p->builtin == ECL_OP_SUB ||
                  p->builtin == ECL_OP_MUL || p->builtin == ECL_OP_DIV;
    int act = has_act ? ecl_opt_u8(p, 0, 0) : 0;
    if (a->type == ECL_DT_INT8) return prep_i8(p, d, act);
    if (a->type == ECL_DT_INT32 || a->type == ECL_DT_INT64) {
        if (act != ACT_NONE)
            return ecl_prep_fail(p, ECL_EUNSUPPORTED, "fused activation on integers");
        p->eval = bin_int;
        return ECL_OK;
    }
    if (!ecl_act_f32(act, &d->p.act_min, &d->p.act_max))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "unsupported fused activation");
    p->eval = bin_f32;
    if (shape4_bcast(d, a, b, out)) {
        if (p->builtin == ECL_OP_ADD) p->eval = add_f32_k;
        if (p->builtin == ECL_OP_MUL) p->eval = mul_f32_k;
    }
    return ECL_OK;
}

/* ------------------------------------------------------------------ PRELU */
/* PRELU(x, alpha) = x >= 0 ? x : alpha * x, alpha broadcast to x. int8 (lowered uint8
 * included): TFLite's two multipliers, s_in / s_out for x >= 0 and s_in * s_alpha / s_out for
 * (x - z_in) * (alpha - z_alpha), then + z_out, clamped to the type. */
static void prelu_f_run(void *ctx, size_t o, int64_t ia, int64_t sa, int64_t ib, int64_t sb,
                        size_t n) {
    const struct fjob *j = ctx;
    for (size_t k = 0; k < n; k++) {
        float v = j->a[ia + (int64_t)k * sa];
        j->out[o + k] = v >= 0 ? v : v * j->b[ib + (int64_t)k * sb];
    }
}

static enum ecl_status prelu_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_binary_data *d = n->data;
    struct fjob j = {NULL, ecl_in(x, n, 0)->data, ecl_in(x, n, 1)->data, ecl_out(x, n, 0)->data, 0,
                     0};
    ecl_bcast_walk(&d->bc, prelu_f_run, &j);
    return ECL_OK;
}

static void prelu_q_run(void *ctx, size_t o, int64_t ia, int64_t sa, int64_t ib, int64_t sb,
                        size_t n) {
    const struct q8_job *j = ctx;
    const struct ecl_binary_params *q = j->p;
    for (size_t k = 0; k < n; k++) {
        int32_t v = j->a[ia + (int64_t)k * sa] - q->a_zp, r;
        if (v >= 0)
            r = ecl_requant(v, q->a_mult, q->a_shift);
        else
            r = ecl_requant(v * (j->b[ib + (int64_t)k * sb] - q->b_zp), q->out_mult, q->out_shift);
        int64_t y = (int64_t)r + q->out_zp;
        j->out[o + k] = (int8_t)(y < -128 ? -128 : (y > 127 ? 127 : y));
    }
}

static enum ecl_status prelu_i8(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_binary_data *d = n->data;
    struct q8_job j = {&d->p, ecl_in(x, n, 0)->data, ecl_in(x, n, 1)->data, ecl_out(x, n, 0)->data};
    ecl_bcast_walk(&d->bc, prelu_q_run, &j);
    return ECL_OK;
}

enum ecl_status ecl_prep_prelu(struct ecl_prep *p) {
    struct ecl_binary_data *d = p->data;
    struct ecl_tensor *a = p->in[0], *alpha = p->in[1], *out = p->out[0];
    if (!ecl_bcast_init(&d->bc, a, alpha, out))
        return ecl_prep_fail(p, ECL_EFORMAT, "shapes do not broadcast to the output");
    if (alpha->type != a->type || out->type != a->type)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "input/alpha/output types differ");
    if (a->type == ECL_DT_FLOAT32) {
        p->eval = prelu_f32;
        return ECL_OK;
    }
    if (!ecl_is_q8(a) || !ecl_is_q8(alpha) || !ecl_is_q8(out) || a->n_scales != 1 ||
        alpha->n_scales != 1 || out->n_scales != 1)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "int8 needs per-tensor quantisation");
    d->p.a_zp = a->zp;
    d->p.b_zp = alpha->zp;
    d->p.out_zp = out->zp;
    ecl_quantize_multiplier((double)a->scale / (double)out->scale, &d->p.a_mult, &d->p.a_shift);
    ecl_quantize_multiplier((double)a->scale * (double)alpha->scale / (double)out->scale,
                            &d->p.out_mult, &d->p.out_shift);
    p->eval = prelu_i8;
    return ECL_OK;
}

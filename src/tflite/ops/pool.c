/* AVERAGE_POOL_2D and MAX_POOL_2D: float32 and int8 (lowered uint8 included; input and output
 * share scale and zero point, as TFLite requires). Options: padding, strides, filter size,
 * fused activation. Average divides by the number of in-image taps (TFLite). */
#include "tflite/ops/ops.h"

#define POOL_EVAL(fn, kernel)                                                                      \
    static enum ecl_status fn(const struct ecl_exec *x, const struct ecl_node *n) {                \
        const struct ecl_pool_data *d = n->data;                                                   \
        x->k->kernel(x->kc, &d->p, ecl_in(x, n, 0)->data, d->is, ecl_out(x, n, 0)->data, d->os);   \
        return ECL_OK;                                                                             \
    }
POOL_EVAL(avg_f32, avgpool_f32)
POOL_EVAL(max_f32, maxpool_f32)
POOL_EVAL(avg_i8, avgpool_i8)
POOL_EVAL(max_i8, maxpool_i8)

enum ecl_status ecl_prep_pool(struct ecl_prep *p) {
    struct ecl_pool_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *out = p->out[0];
    int avg = p->builtin == ECL_OP_AVERAGE_POOL_2D;
    if (in->ndims != 4 || out->ndims != 4)
        return ecl_prep_fail(p, ECL_EFORMAT, "input and output must be 4-D");
    if (!p->op->has_opts) return ecl_prep_fail(p, ECL_EFORMAT, "missing options");
    int padding = ecl_opt_u8(p, 0, 0), act = ecl_opt_u8(p, 5, 0);
    int32_t sw = ecl_opt_i32(p, 1, 0), sh = ecl_opt_i32(p, 2, 0);
    int32_t fw = ecl_opt_i32(p, 3, 0), fh = ecl_opt_i32(p, 4, 0);
    if (sw < 1 || sh < 1 || fw < 1 || fh < 1 || sw > 1024 || sh > 1024 || fw > 256 || fh > 256)
        return ecl_prep_fail(p, ECL_ERANGE, "stride or filter size out of range");
    d->is = ecl_tensor_shape4(in);
    d->os = ecl_tensor_shape4(out);
    struct ecl_pool_params *q = &d->p;
    int32_t oh, ow;
    if (!ecl_window_out(d->is.h, fh, sh, 1, padding, &oh, &q->pad_top) ||
        !ecl_window_out(d->is.w, fw, sw, 1, padding, &ow, &q->pad_left) || oh != d->os.h ||
        ow != d->os.w || d->os.n != d->is.n || d->os.c != d->is.c)
        return ecl_prep_fail(p, ECL_EFORMAT, "output shape does not match the pooling");
    q->stride_h = sh;
    q->stride_w = sw;
    q->filter_h = fh;
    q->filter_w = fw;
    if (in->type != out->type)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "input and output types differ");
    if (in->type == ECL_DT_FLOAT32) {
        if (!ecl_act_f32(act, &q->act_min, &q->act_max))
            return ecl_prep_fail(p, ECL_EUNSUPPORTED, "unsupported fused activation");
        p->eval = avg ? avg_f32 : max_f32;
        return ECL_OK;
    }
    if (!ecl_is_q8(in) || !ecl_is_q8(out) || in->scale != out->scale || in->zp != out->zp)
        return ecl_prep_fail(p, ECL_EUNSUPPORTED,
                             "int8 pooling needs equal input/output quantisation");
    if (!ecl_act_q(act, out, &q->act_min_q, &q->act_max_q))
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "unsupported fused activation");
    q->half_up = in->lowered;
    p->eval = avg ? avg_i8 : max_i8;
    return ECL_OK;
}

/* Graph passes, run before any op is prepared. They only set flags in the plan (the tensor
 * records follow from them in graph.c) and place constants; the ops never see the difference.
 *
 *  - uint8 lowering: legacy uint8 models are asymmetric uint8 everywhere. Every uint8 tensor is
 *    held as int8 with value - 128 and zero point - 128: real = scale * (q - zp) is unchanged,
 *    so every int8 kernel computes exactly what TFLite's uint8 kernel does (their integer
 *    accumulations are equal term by term). Constants are re-encoded once at init; the model's
 *    uint8 inputs and outputs are flipped at the boundary (ecl_interp_set_input/get_output).
 *  - constant ops: an op whose inputs are all constants (a DEQUANTIZE of float16 or int8
 *    weights, a TRANSPOSE of a weight matrix, ...) runs once at init; its output is then a
 *    constant. Not for requested outputs.
 *  - PAD folding: a PAD read only by a VALID convolution becomes that convolution's padding.
 *  - hybrid weights (int8 weights, float activations): with ECL_HYBRID_DEQUANT the weights are
 *    dequantized once to float32 (4x the weight memory, float arithmetic); by default the op
 *    runs TFLite's hybrid arithmetic (inputs quantized per batch at run time, int8 dot products),
 *    which is what TFLite computes and keeps the int8 weights.
 */
#include <math.h>
#include <string.h>
#include "tflite/build.h"

void ecl_pass_lower_u8(struct ecl_build *b) {
    struct tfl_tensor t;
    for (uint32_t i = 0; i < b->m->n_tensors; i++)
        if (ecl_tfl_read_tensor(b->m, (int32_t)i, &t) && t.info.type == ECL_DT_UINT8)
            b->pl->flag[i] |= TF_LOWERED;
}

/* Constant op: supported, every input present is a constant (file or folded), at least one
 * input, and no output is requested or a graph input. */
int ecl_pass_const_op(const struct ecl_build *b, const struct tfl_op *op) {
    struct fb_buf fb = {b->m->buf, b->m->len};
    struct tfl_tensor t;
    const struct ecl_op_reg *r = ecl_op_lookup(op->builtin);
    if (!r || op->inputs.len == 0 || op->outputs.len == 0) return 0;
    int any = 0;
    for (uint32_t q = 0; q < op->inputs.len; q++) {
        int32_t x = fb_vec_i32(&fb, &op->inputs, q);
        if (x < 0) continue;
        if (!ecl_tfl_read_tensor(b->m, x, &t)) return 0;
        if (!t.info.is_const && !(b->pl->flag[x] & TF_FOLDED)) return 0;
        any = 1;
    }
    for (uint32_t q = 0; q < op->outputs.len; q++) {
        int32_t x = fb_vec_i32(&fb, &op->outputs, q);
        if (b->pl->is_out[x] || !ecl_tfl_read_tensor(b->m, x, &t) || t.info.is_const) return 0;
        for (int32_t k = 0; k < ecl_model_n_inputs(b->m); k++)
            if (ecl_model_input_at(b->m, k) == x) return 0;
    }
    return any;
}

/* PAD folding. MobileNetV2 (Keras ZeroPadding2D) writes PAD -> CONV_2D/DEPTHWISE_CONV_2D
 * (VALID) before every stride-2 block; the PAD copies a whole feature map only for the conv to
 * read it once. PAD fills with 0 (float) or the zero point (int8, equal in and out
 * quantisation), exactly what the conv kernels assume for taps outside the image, so the conv
 * can read the PAD's input with explicit padding. Folded only when the PAD output is read by
 * nothing else and is not requested, only H/W are padded, and each pad is smaller than the
 * filter's extent (the range SAME padding produces, which the optimised kernels are tested
 * with). The PAD is still validated (its prepare runs) at init; it just does not run. */
void ecl_pass_fold_pads(struct ecl_build *b) {
    const struct ecl_model *m = b->m;
    struct ecl_plan *pl = b->pl;
    struct fb_buf fb = {m->buf, m->len};
    struct tfl_op op, c;
    struct tfl_tensor in, pt, w;
    for (uint32_t i = 0; i < m->n_ops; i++) {
        if (!pl->need_op[i] || !ecl_tfl_read_op(m, (int32_t)i, &op) || op.builtin != ECL_OP_PAD ||
            op.inputs.len != 2 || op.outputs.len != 1)
            continue;
        int32_t src = fb_vec_i32(&fb, &op.inputs, 0), pads = fb_vec_i32(&fb, &op.inputs, 1);
        int32_t ot = fb_vec_i32(&fb, &op.outputs, 0);
        if (src < 0 || pads < 0 || pl->is_out[ot] || ot == src) continue;
        if (!ecl_tfl_read_tensor(m, src, &in) || !ecl_tfl_read_tensor(m, pads, &pt)) continue;
        if (in.info.ndims != 4 || !pt.info.is_const || pt.info.type != ECL_DT_INT32 ||
            pt.info.ndims != 2 || pt.info.dims[0] != 4 || pt.info.dims[1] != 2 || pt.data_len < 32)
            continue;
        int32_t pv[8];
        memcpy(pv, pt.data, sizeof pv);
        if (pv[0] || pv[1] || pv[6] || pv[7]) continue;
        int32_t reader = -1, uses = 0;
        for (uint32_t j = 0; j < m->n_ops; j++) {
            if (!pl->need_op[j] || j == i || !ecl_tfl_read_op(m, (int32_t)j, &c)) continue;
            for (uint32_t q = 0; q < c.inputs.len; q++)
                if (fb_vec_i32(&fb, &c.inputs, q) == ot) {
                    uses++;
                    reader = q == 0 ? (int32_t)j : -1;
                }
        }
        if (uses != 1 || reader < (int32_t)i || !ecl_tfl_read_op(m, reader, &c) || pl->fold[reader])
            continue;
        int dw = c.builtin == ECL_OP_DEPTHWISE_CONV_2D;
        if ((c.builtin != ECL_OP_CONV_2D && !dw) || !c.has_opts ||
            c.opt_type != (dw ? ECL_BO_DepthwiseConv2DOptions : ECL_BO_Conv2DOptions) ||
            c.inputs.len < 2)
            continue;
        uint8_t padding;
        int32_t dil_w, dil_h;
        if (!fb_u8(&fb, &c.opts, 0, 0, &padding) || padding != PAD_VALID ||
            !fb_i32(&fb, &c.opts, dw ? 5 : 4, 1, &dil_w) ||
            !fb_i32(&fb, &c.opts, dw ? 6 : 5, 1, &dil_h) || dil_w < 1 || dil_h < 1 ||
            dil_w > 1024 || dil_h > 1024)
            continue;
        if (!ecl_tfl_read_tensor(m, fb_vec_i32(&fb, &c.inputs, 1), &w) || w.info.ndims != 4)
            continue;
        int64_t eh = (int64_t)(w.info.dims[1] - 1) * dil_h + 1,
                ew = (int64_t)(w.info.dims[2] - 1) * dil_w + 1;
        if (pv[2] < 0 || pv[3] < 0 || pv[4] < 0 || pv[5] < 0 || pv[2] >= eh || pv[3] >= eh ||
            pv[4] >= ew || pv[5] >= ew)
            continue;
        pl->need_op[i] = 0;
        pl->need_t[ot] = 0;
        pl->fold[reader] = (uint16_t)(i + 1);
    }
}

/* Hybrid ops. ECL_HYBRID_DEQUANT: their constant int8 weights become float32. ECL_HYBRID_TFLITE
 * with ECL_ARITH_RUNTIME: such a model amplifies the last bit of a float result (a hybrid op
 * quantises its float input per batch, so one ulp can move an input by one step), and only the
 * reference float convolutions sum in TFLite's runtime order (kernels.h, ecl_f32_order): the
 * float CONV_2D and DEPTHWISE_CONV_2D of that model run them (b->f32_exact), which makes its
 * output TFLite's, bit for bit (docs/models.md). */
void ecl_pass_hybrid(struct ecl_build *b) {
    const struct ecl_model *m = b->m;
    struct fb_buf fb = {m->buf, m->len};
    struct tfl_op op;
    struct tfl_tensor in, w;
    for (uint32_t i = 0; i < m->n_ops; i++) {
        if (!b->pl->need_op[i] || !ecl_tfl_read_op(m, (int32_t)i, &op) || op.inputs.len < 2)
            continue;
        if (op.builtin != ECL_OP_CONV_2D && op.builtin != ECL_OP_DEPTHWISE_CONV_2D &&
            op.builtin != ECL_OP_FULLY_CONNECTED)
            continue;
        int32_t x = ecl_graph_op_input(b, (int32_t)i, &op, 0), wt = fb_vec_i32(&fb, &op.inputs, 1);
        if (x < 0 || wt < 0 || !ecl_tfl_read_tensor(m, x, &in) || !ecl_tfl_read_tensor(m, wt, &w))
            continue;
        if (in.info.type != ECL_DT_FLOAT32 || !w.info.is_const || w.info.type != ECL_DT_INT8 ||
            w.info.n_scales < 1)
            continue;
        if (b->o.hybrid == ECL_HYBRID_DEQUANT)
            b->pl->flag[wt] |= TF_HYBRID_DQ;
        else if (b->o.arith != ECL_ARITH_REFERENCE)
            b->f32_exact = 1;
    }
}

/* Copies of constants the ops cannot use in place. */
static enum ecl_status place_constant(struct ecl_build *b, int32_t i) {
    struct tfl_tensor r;
    struct fb_buf fb = {b->m->buf, b->m->len};
    ecl_tfl_read_tensor(b->m, i, &r);
    uint8_t f = b->pl->flag[i];
    struct ecl_tensor *t = b->T ? &b->T[i] : NULL;
    if (f & TF_HYBRID_DQ) {
        float *y = ecl_bump_alloc(&b->bump, (size_t)r.data_len * sizeof(float));
        if (!y || !t) return ECL_OK;
        /* per channel along quantized_dimension: index = (flat / inner) % dim */
        size_t inner = 1;
        for (int k = r.info.quant_dim + 1; k < r.info.ndims; k++)
            inner *= (size_t)r.info.dims[k];
        uint32_t nc = r.scales.len;
        for (size_t k = 0; k < r.data_len; k++) {
            uint32_t c = nc > 1 ? (uint32_t)((k / inner) % nc) : 0;
            float s = fb_vec_f32(&fb, &r.scales, c);
            int32_t z = r.zps.len > c ? (int32_t)fb_vec_i64(&fb, &r.zps, c)
                                      : (r.zps.len ? (int32_t)fb_vec_i64(&fb, &r.zps, 0) : 0);
            y[k] = s * (float)((int32_t)(int8_t)r.data[k] - z);
        }
        t->data = y;
    } else if (f & TF_LOWERED) {
        uint8_t *y = ecl_bump_alloc(&b->bump, r.data_len ? r.data_len : 1);
        if (!y || !t) return ECL_OK;
        for (size_t k = 0; k < r.data_len; k++)
            y[k] = r.data[k] ^ 0x80u;
        t->data = y;
    } else {
        size_t es = ecl_tfl_dtype_size(r.info.type);
        if (es && ((uintptr_t)r.data % es) != 0) {
            void *y = ecl_bump_alloc(&b->bump, r.data_len);
            if (!y || !t) return ECL_OK;
            memcpy(y, r.data, r.data_len);
            t->data = y;
        } else if (t) {
            t->data = (void *)r.data;
        }
    }
    return ECL_OK;
}

enum ecl_status ecl_pass_constants(struct ecl_build *b) {
    const struct ecl_model *m = b->m;
    struct ecl_plan *pl = b->pl;
    struct tfl_tensor r;
    for (uint32_t i = 0; i < m->n_tensors; i++)
        if (pl->need_t[i] && ecl_tfl_read_tensor(m, (int32_t)i, &r) && r.info.is_const) {
            enum ecl_status st = place_constant(b, (int32_t)i);
            if (st != ECL_OK) return st;
        }
    for (uint32_t i = 0; i < m->n_ops; i++)
        if (pl->cfold[i]) {
            enum ecl_status st = ecl_prep_fold(b, (int32_t)i);
            if (st != ECL_OK) return st;
        }
    return ECL_OK;
}

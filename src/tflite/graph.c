/* Tensor records as the ops see them: the file's record with the graph passes' decisions
 * applied (src/tflite/passes.c). Both init passes get their records from here: the real pass
 * once per tensor into the persistent array T, the sizing pass per op into a few stand-in slots,
 * so the sizing pass needs no memory proportional to the model. */
#include <string.h>
#include "tflite/build.h"

int ecl_graph_view(const struct ecl_build *b, int32_t i, struct ecl_tensor *t) {
    struct tfl_tensor r;
    memset(t, 0, sizeof *t);
    if (!ecl_tfl_read_tensor(b->m, i, &r)) return 0;
    const struct ecl_dtype_traits *tr = ecl_dtype_traits(r.info.type);
    if (!tr) return 0;
    uint8_t f = b->pl->flag[i];
    t->index = i;
    t->ndims = r.info.ndims;
    uint64_t n = 1;
    for (int k = 0; k < r.info.ndims; k++) {
        t->dims[k] = r.info.dims[k];
        n *= (uint64_t)r.info.dims[k];
    }
    t->count = (uint32_t)n;
    t->type = t->file_type = (uint8_t)r.info.type;
    t->scale = r.info.n_scales ? r.info.scale : 0.0f;
    t->zp = r.info.zero_point;
    t->n_scales = r.info.n_scales;
    t->quant_dim = r.info.quant_dim;
    t->is_const = (uint8_t)(r.info.is_const || (f & TF_FOLDED));
    t->data = r.info.is_const && !(f & (TF_LOWERED | TF_HYBRID_DQ)) ? (void *)r.data : NULL;
    if (f & TF_LOWERED) {
        t->type = ECL_DT_INT8;
        t->zp -= 128;
        t->lowered = 1;
    }
    if (f & TF_HYBRID_DQ) { /* int8 weights held as float32 from init on */
        t->type = ECL_DT_FLOAT32;
        t->scale = 0.0f;
        t->zp = 0;
        t->n_scales = 0;
    }
    t->bytes = (uint32_t)(n * ecl_dtype_traits(t->type)->size);
    return 1;
}

int32_t ecl_graph_op_input(const struct ecl_build *b, int32_t i, const struct tfl_op *op,
                           uint32_t q) {
    struct fb_buf fb = {b->m->buf, b->m->len};
    struct tfl_op pad;
    if (q == 0 && b->pl->fold[i] && ecl_tfl_read_op(b->m, b->pl->fold[i] - 1, &pad))
        return fb_vec_i32(&fb, &pad.inputs, 0);
    return fb_vec_i32(&fb, &op->inputs, q);
}

int ecl_graph_op_tensors(struct ecl_build *b, int32_t op_index, const struct tfl_op *op,
                         struct ecl_tensor **in, struct ecl_tensor **out) {
    struct fb_buf fb = {b->m->buf, b->m->len};
    struct ecl_plan *pl = b->pl;
    int s = 0;
    for (uint32_t q = 0; q < op->inputs.len + op->outputs.len; q++) {
        int is_in = q < op->inputs.len;
        int32_t t = is_in ? ecl_graph_op_input(b, op_index, op, q)
                          : fb_vec_i32(&fb, &op->outputs, q - op->inputs.len);
        struct ecl_tensor *r = NULL;
        if (t >= 0) {
            if (b->T) {
                r = &b->T[t];
            } else {
                r = &pl->slot[s++];
                if (!ecl_graph_view(b, t, r)) return 0;
            }
        }
        if (is_in)
            in[q] = r;
        else
            out[q - op->inputs.len] = r;
    }
    return 1;
}

void ecl_graph_tensor_msg(struct msg *e, const struct ecl_model *m, int32_t t) {
    struct tfl_tensor tt;
    ecl_msg_str(e, "tensor ");
    ecl_msg_int(e, t);
    if (ecl_tfl_read_tensor(m, t, &tt) && tt.info.name[0]) {
        ecl_msg_str(e, " (");
        ecl_msg_str(e, tt.info.name);
        ecl_msg_str(e, ")");
    }
}

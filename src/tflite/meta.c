/* What a model says about its use, beyond the graph: the input normalisation of its TFLite
 * metadata (metadata_schema.fbs, a flatbuffer "M001" in the buffer that Model.metadata names
 * TFLITE_METADATA), and where a classifier's embedding is (the input of its final classifier
 * layer, found by walking back from the output). */
#include <string.h>
#include "tflite/op.h"

/* Model.metadata (field 6): [Metadata { name (0), buffer (1) }]. */
static int metadata_buffer(const struct ecl_model *m, const uint8_t **data, size_t *len) {
    struct fb_buf b = {m->buf, m->len};
    struct fb_table root, md, bt;
    struct fb_vec v, bufs = {m->buffers, m->n_buffers}, dv;
    size_t rpos;
    if (!fb_deref(&b, 0, &rpos) || !fb_table_at(&b, rpos, &root)) return 0;
    if (fb_vector(&b, &root, 6, 4, &v) <= 0) return 0;
    for (uint32_t i = 0; i < v.len; i++) {
        const char *name = "";
        uint32_t bi;
        if (!fb_vec_table(&b, &v, i, &md) || fb_string(&b, &md, 0, &name, NULL) < 0) return 0;
        if (strcmp(name, "TFLITE_METADATA") || !fb_u32(&b, &md, 1, 0, &bi)) continue;
        if (bi >= m->n_buffers || !fb_vec_table(&b, &bufs, bi, &bt)) return 0;
        if (fb_vector(&b, &bt, 0, 1, &dv) <= 0) return 0;
        *data = b.p + dv.pos;
        *len = dv.len;
        return 1;
    }
    return 0;
}

enum ecl_status ecl_model_input_norm(const struct ecl_model *m, float mean[3], float std[3]) {
    const uint8_t *d;
    size_t n;
    if (!m || !m->buf || !mean || !std) return ECL_EINVAL;
    if (!metadata_buffer(m, &d, &n)) return ECL_ENOTFOUND;
    struct fb_buf b = {d, n};
    struct fb_table root, sg, tm, pu, no;
    struct fb_vec v;
    size_t rpos;
    uint8_t type;
    if (n < 8 || memcmp(d + 4, "M001", 4) || !fb_deref(&b, 0, &rpos) ||
        !fb_table_at(&b, rpos, &root))
        return ECL_EFORMAT;
    /* ModelMetadata.subgraph_metadata (3)[0].input_tensor_metadata (2)[0].process_units (4) */
    if (fb_vector(&b, &root, 3, 4, &v) <= 0 || !fb_vec_table(&b, &v, 0, &sg) ||
        fb_vector(&b, &sg, 2, 4, &v) <= 0 || !fb_vec_table(&b, &v, 0, &tm) ||
        fb_vector(&b, &tm, 4, 4, &v) <= 0)
        return ECL_ENOTFOUND;
    for (uint32_t i = 0; i < v.len; i++) {
        if (!fb_vec_table(&b, &v, i, &pu) || !fb_u8(&b, &pu, 0, 0, &type)) return ECL_EFORMAT;
        if (type != 1 /* NormalizationOptions */ || fb_subtable(&b, &pu, 1, &no) <= 0) continue;
        struct fb_vec mv, sv;
        if (fb_vector(&b, &no, 0, 4, &mv) <= 0 || fb_vector(&b, &no, 1, 4, &sv) <= 0)
            return ECL_EFORMAT;
        for (uint32_t c = 0; c < 3; c++) {
            mean[c] = fb_vec_f32(&b, &mv, mv.len > c ? c : 0);
            std[c] = fb_vec_f32(&b, &sv, sv.len > c ? c : 0);
            if (!(std[c] > 0) || !(mean[c] == mean[c])) return ECL_EFORMAT;
        }
        return ECL_OK;
    }
    return ECL_ENOTFOUND;
}

/* Ops between a classifier layer and the output that only reshape, normalise or convert. */
static int passthrough(int32_t code) {
    switch (code) {
    case ECL_OP_SOFTMAX:
    case ECL_OP_LOGISTIC:
    case ECL_OP_RESHAPE:
    case ECL_OP_SQUEEZE:
    case ECL_OP_QUANTIZE:
    case ECL_OP_DEQUANTIZE:
    case ECL_OP_ARG_MAX:
        return 1;
    default:
        return 0;
    }
}

static int32_t producer(const struct ecl_model *m, int32_t t, struct tfl_op *op) {
    struct fb_buf b = {m->buf, m->len};
    for (int32_t i = (int32_t)m->n_ops - 1; i >= 0; i--) {
        if (!ecl_tfl_read_op(m, i, op)) return -1;
        for (uint32_t k = 0; k < op->outputs.len; k++)
            if (fb_vec_i32(&b, &op->outputs, k) == t) return i;
    }
    return -1;
}

/* A 1x1 convolution over a 1x1 map is a dense layer (MobileNet V1's classifier). */
static int dense_conv(const struct ecl_model *m, const struct tfl_op *op) {
    struct fb_buf b = {m->buf, m->len};
    struct tfl_tensor in, w;
    if (op->builtin != ECL_OP_CONV_2D || op->inputs.len < 2) return 0;
    if (!ecl_tfl_read_tensor(m, fb_vec_i32(&b, &op->inputs, 0), &in) ||
        !ecl_tfl_read_tensor(m, fb_vec_i32(&b, &op->inputs, 1), &w))
        return 0;
    return in.info.ndims == 4 && in.info.dims[1] == 1 && in.info.dims[2] == 1 &&
           w.info.ndims == 4 && w.info.dims[1] == 1 && w.info.dims[2] == 1;
}

enum ecl_status ecl_model_embedding(const struct ecl_model *m, int32_t *tensor) {
    struct fb_buf b = {m->buf, m->len};
    struct tfl_op op;
    if (!m || !m->buf || !tensor) return ECL_EINVAL;
    int32_t t = ecl_model_output(m);
    for (int steps = 0; t >= 0 && steps < 16; steps++) {
        if (producer(m, t, &op) < 0 || op.inputs.len < 1) return ECL_ENOTFOUND;
        int32_t in0 = fb_vec_i32(&b, &op.inputs, 0);
        if (op.builtin == ECL_OP_FULLY_CONNECTED || dense_conv(m, &op)) {
            *tensor = in0;
            return in0 >= 0 ? ECL_OK : ECL_ENOTFOUND;
        }
        if (!passthrough(op.builtin)) return ECL_ENOTFOUND;
        t = in0;
    }
    return ECL_ENOTFOUND;
}

/* tools/common/export_write.c - the exported graph as a .tflite FlatBuffer (export_impl.h).
 * Options tables are copied field by field from a table of their schema layouts (opt_fields);
 * an op whose options are not in that table, or that has a field the table does not know (a
 * newer schema), is refused by name rather than copied wrongly. */
#include <stdlib.h>
#include <string.h>

#include "export_impl.h"

/* Field layouts of the options tables the interpreter's ops use (schema.fbs order):
 * b = 1-byte scalar (enum, bool), i = 4-byte scalar (int, float), v = [int] vector. */
static const char *const opt_fields[ECL_BO_COUNT] = {
    [ECL_BO_Conv2DOptions] = "biibiib",
    [ECL_BO_DepthwiseConv2DOptions] = "biiibii",
    [ECL_BO_FullyConnectedOptions] = "bbbbb",
    [ECL_BO_Pool2DOptions] = "biiiib",
    [ECL_BO_AddOptions] = "bb",
    [ECL_BO_SubOptions] = "bb",
    [ECL_BO_MulOptions] = "b",
    [ECL_BO_DivOptions] = "b",
    [ECL_BO_LeakyReluOptions] = "i",
    [ECL_BO_ReducerOptions] = "b",
    [ECL_BO_ArgMaxOptions] = "b",
    [ECL_BO_ArgMinOptions] = "b",
    [ECL_BO_SoftmaxOptions] = "i",
    [ECL_BO_ReshapeOptions] = "v",
    [ECL_BO_SqueezeOptions] = "v",
    [ECL_BO_ConcatenationOptions] = "ib",
    [ECL_BO_SquaredDifferenceOptions] = "",
    [ECL_BO_MaximumMinimumOptions] = "",
    [ECL_BO_PowOptions] = "",
    [ECL_BO_FloorDivOptions] = "",
    [ECL_BO_FloorModOptions] = "",
    [ECL_BO_HardSwishOptions] = "",
    [ECL_BO_ExpOptions] = "",
    [ECL_BO_NegOptions] = "",
    [ECL_BO_AbsOptions] = "",
    [ECL_BO_SquareOptions] = "",
    [ECL_BO_CosOptions] = "",
    [ECL_BO_ExpandDimsOptions] = "",
    [ECL_BO_PadOptions] = "",
    [ECL_BO_PadV2Options] = "",
    [ECL_BO_QuantizeOptions] = "",
    [ECL_BO_DequantizeOptions] = "",
};

/* ------------------------------------------------------------------ writing */

/* An options table copied from the model (opt_fields) or written for a new op. */
static enum ecl_status write_opts(struct ex *x, struct fbw *w, const struct xop *o, uint32_t *ref) {
    *ref = 0;
    if (!o->src_opts) {
        switch (o->builtin) { /* the new ops' options */
        case ECL_OP_FULLY_CONNECTED:
            fbw_table_start(w);
            fbw_add_u8(w, 0, o->act);
            break;
        case ECL_OP_SOFTMAX:
            fbw_table_start(w);
            fbw_add_f32(w, 0, o->beta);
            break;
        case ECL_OP_RESHAPE: {
            int32_t shape[2] = {1, o->shape};
            uint32_t v = fbw_vec_i32(w, shape, 2);
            fbw_table_start(w);
            fbw_add_off(w, 0, v);
            break;
        }
        case ECL_OP_MEAN:
            fbw_table_start(w);
            fbw_add_u8(w, 0, 0); /* keep_dims = false */
            break;
        default:
            if (!o->opt_type) return ECL_OK;
            fbw_table_start(w); /* an empty table for an op whose options were absent */
        }
        *ref = fbw_table_end(w);
        return ECL_OK;
    }
    const char *f = o->opt_type < ECL_BO_COUNT ? opt_fields[o->opt_type] : NULL;
    const struct fb_table *t = &o->opts;
    uint32_t vref[FBW_MAX_FIELDS] = {0};
    for (uint32_t i = 0; i < t->nf; i++) {
        size_t pos;
        int r = fb_field(&x->b, t, i, 1, &pos);
        if (r == 0) continue;
        if (r < 0 || !f || i >= strlen(f) || i >= FBW_MAX_FIELDS)
            return export_fail_(x, ECL_EUNSUPPORTED,
                                "cannot export the options of an op of the backbone (%s): unknown "
                                "fields",
                                ecl_builtin_name(o->builtin));
        if (f[i] == 'v') {
            struct fb_vec v;
            int32_t tmp[16];
            if (fb_vector(&x->b, t, i, 4, &v) < 0 || v.len > 16)
                return export_fail_(x, ECL_EFORMAT, "malformed options of a %s op",
                                    ecl_builtin_name(o->builtin));
            for (uint32_t k = 0; k < v.len; k++)
                tmp[k] = fb_vec_i32(&x->b, &v, k);
            vref[i] = fbw_vec_i32(w, tmp, v.len);
        }
    }
    fbw_table_start(w);
    for (uint32_t i = 0; f && i < t->nf && f[i]; i++) {
        size_t pos;
        if (fb_field(&x->b, t, i, f[i] == 'b' ? 1 : 4, &pos) != 1) continue;
        if (f[i] == 'b')
            fbw_add_u8(w, i, x->b.p[pos]);
        else if (f[i] == 'i')
            fbw_add_u32(w, i, fb_rd_u32(&x->b, pos));
        else
            fbw_add_off(w, i, vref[i]);
    }
    *ref = fbw_table_end(w);
    return ECL_OK;
}

static uint32_t write_tensor(struct fbw *w, const struct xt *t, uint32_t buffer) {
    uint32_t shape = fbw_vec_i32(w, t->dims, (size_t)t->ndims);
    uint32_t name = fbw_string(w, t->name);
    uint32_t q = 0;
    if (t->n_scales) {
        uint32_t sc = fbw_vec(w, t->scales, t->n_scales, 4, 4);
        uint32_t zp = t->n_zps ? fbw_vec(w, t->zps, t->n_zps, 8, 8) : 0;
        fbw_table_start(w);
        fbw_add_off(w, Q_SCALE, sc);
        if (zp) fbw_add_off(w, Q_ZERO, zp);
        fbw_add_u32(w, Q_DIM, (uint32_t)t->qdim);
        q = fbw_table_end(w);
    }
    fbw_table_start(w);
    fbw_add_off(w, TEN_SHAPE, shape);
    fbw_add_u8(w, TEN_TYPE, (uint8_t)t->type);
    fbw_add_u32(w, TEN_BUFFER, buffer);
    fbw_add_off(w, TEN_NAME, name);
    if (q) fbw_add_off(w, TEN_QUANT, q);
    return fbw_table_end(w);
}

/* Model.metadata: one entry, "TFLITE_METADATA", whose buffer holds the ModelMetadata. */
enum ecl_status export_write_model_(struct ex *x, struct fbw *w, int32_t in_t, int32_t out_t,
                                    const uint8_t *meta, size_t meta_len, const char *desc,
                                    uint32_t *root) {
    enum ecl_status st = ECL_EOOM;
    uint32_t *bufs = malloc((x->nt + 2) * sizeof *bufs), *tens = malloc(x->nt * sizeof *tens);
    uint32_t *ops = malloc(x->nop * sizeof *ops), *codes = malloc(x->nop * sizeof *codes);
    int32_t(*code_key)[2] = malloc(x->nop * sizeof *code_key);
    if (!bufs || !tens || !ops || !codes || !code_key) goto out;
    /* buffers: 0 empty (the convention), then one per constant tensor, then the labels */
    uint32_t nb = 0;
    fbw_table_start(w);
    bufs[nb++] = fbw_table_end(w);
    for (uint32_t i = 0; i < x->nt; i++) {
        uint32_t bi = 0;
        if (x->t[i].data) {
            uint32_t d = fbw_vec(w, x->t[i].data, x->t[i].len, 1, 16);
            fbw_table_start(w);
            fbw_add_off(w, BUF_DATA, d);
            bi = nb;
            bufs[nb++] = fbw_table_end(w);
        }
        tens[i] = write_tensor(w, &x->t[i], bi);
    }
    uint32_t d = fbw_vec(w, meta, meta_len, 1, 16);
    fbw_table_start(w);
    fbw_add_off(w, BUF_DATA, d);
    const uint32_t meta_buf = nb;
    bufs[nb++] = fbw_table_end(w);
    uint32_t nc = 0;
    for (uint32_t i = 0; i < x->nop; i++) {
        const struct xop *o = &x->op[i];
        uint32_t c = 0;
        while (c < nc && !(code_key[c][0] == o->builtin && code_key[c][1] == o->version))
            c++;
        if (c == nc) {
            code_key[nc][0] = o->builtin;
            code_key[nc][1] = o->version;
            fbw_table_start(w);
            fbw_add_u8(w, OPC_DEPRECATED, (uint8_t)(o->builtin < 127 ? o->builtin : 127));
            fbw_add_u32(w, OPC_VERSION, (uint32_t)o->version);
            fbw_add_u32(w, OPC_BUILTIN, (uint32_t)o->builtin);
            codes[nc++] = fbw_table_end(w);
        }
        uint32_t opts;
        if ((st = write_opts(x, w, o, &opts))) goto out;
        uint32_t vi = fbw_vec_i32(w, o->in, (size_t)o->n_in);
        uint32_t vo = fbw_vec_i32(w, o->out, (size_t)o->n_out);
        fbw_table_start(w);
        fbw_add_u32(w, OP_OPCODE, c);
        fbw_add_off(w, OP_INPUTS, vi);
        fbw_add_off(w, OP_OUTPUTS, vo);
        if (o->opt_type) fbw_add_u8(w, OP_OPT_TYPE, o->opt_type);
        if (opts) fbw_add_off(w, OP_OPTIONS, opts);
        ops[i] = fbw_table_end(w);
    }
    uint32_t vt = fbw_vec_refs(w, tens, x->nt), vops = fbw_vec_refs(w, ops, x->nop);
    uint32_t vin = fbw_vec_i32(w, &in_t, 1), vout = fbw_vec_i32(w, &out_t, 1);
    uint32_t sgname = fbw_string(w, "main");
    fbw_table_start(w);
    fbw_add_off(w, SG_TENSORS, vt);
    fbw_add_off(w, SG_INPUTS, vin);
    fbw_add_off(w, SG_OUTPUTS, vout);
    fbw_add_off(w, SG_OPERATORS, vops);
    fbw_add_off(w, SG_NAME, sgname);
    uint32_t sg = fbw_table_end(w);
    uint32_t mname = fbw_string(w, "TFLITE_METADATA");
    fbw_table_start(w);
    fbw_add_off(w, 0, mname);
    fbw_add_u32(w, 1, meta_buf);
    uint32_t md = fbw_table_end(w);
    uint32_t vsg = fbw_vec_refs(w, &sg, 1), vcodes = fbw_vec_refs(w, codes, nc);
    uint32_t vbufs = fbw_vec_refs(w, bufs, nb), vmeta = fbw_vec_refs(w, &md, 1);
    uint32_t vdesc = fbw_string(w, desc);
    fbw_table_start(w);
    fbw_add_u32(w, MODEL_VERSION, 3);
    fbw_add_off(w, MODEL_OPCODES, vcodes);
    fbw_add_off(w, MODEL_SUBGRAPHS, vsg);
    fbw_add_off(w, MODEL_DESC, vdesc);
    fbw_add_off(w, MODEL_BUFFERS, vbufs);
    fbw_add_off(w, 6, vmeta); /* Model.metadata */
    *root = fbw_table_end(w);
    st = w->oom ? ECL_EOOM : ECL_OK;
out:
    if (st == ECL_EOOM) export_fail_(x, st, "out of memory%s", "");
    free(bufs);
    free(tens);
    free(ops);
    free(codes);
    free(code_key);
    return st;
}

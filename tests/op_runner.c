/* tests/op_runner.c - see op_runner.h. */
#include "op_runner.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "edgecl/model.h"

size_t opr_type_size(int type) {
    switch (type) {
    case TB_F32:
    case TB_I32:
        return 4;
    case TB_I64:
        return 8;
    case TB_F16:
    case TB_I16:
        return 2;
    default:
        return 1;
    }
}

size_t opr_count(const struct opr_t *t) {
    size_t n = 1;
    for (int k = 0; k < t->ndims; k++)
        n *= (size_t)t->dims[k];
    return n;
}

struct opr_t opr_tensor(int type, int ndims, const int32_t *dims, const void *data, int is_const) {
    struct opr_t t;
    memset(&t, 0, sizeof t);
    t.type = type;
    t.ndims = ndims;
    if (ndims) memcpy(t.dims, dims, sizeof(int32_t) * (size_t)ndims);
    t.data = data;
    t.is_const = is_const;
    return t;
}

struct opr_t opr_f32(int ndims, const int32_t *dims, const float *data) {
    return opr_tensor(TB_F32, ndims, dims, data, 0);
}

struct opr_t opr_q(int type, int ndims, const int32_t *dims, const void *data, float scale,
                   int64_t zp) {
    struct opr_t t = opr_tensor(type, ndims, dims, data, 0);
    t.n_q = 1;
    t.scale[0] = scale;
    t.zp[0] = zp;
    return t;
}

static int add_tensor(struct tb *b, const char *name, const struct opr_t *t) {
    int k = tb_tensor(b, name, t->type, t->ndims, t->dims, t->is_const ? t->data : NULL,
                      t->is_const ? opr_count(t) * opr_type_size(t->type) : 0);
    if (t->n_q) tb_quant(b, k, t->n_q, t->scale, t->zp, t->qdim);
    return k;
}

/* Runs once with one kernel table; results into res[] (malloc'd). */
static enum ecl_status run_once(const uint8_t *file, size_t len, struct opr_t *in, int n_in,
                                struct opr_t *out, int n_out, int flags, int force_ref, void **res,
                                char *err, size_t errlen) {
    struct ecl_model m;
    enum ecl_status st = ecl_model_parse(file, len, &m, err, errlen);
    if (st) return st;
    struct ecl_interp_opts o = ecl_interp_default_opts();
    o.force_ref = force_ref;
    o.no_fold = (flags & OPR_NO_FOLD) != 0;
    o.hybrid = flags & OPR_HYBRID_DEQUANT ? ECL_HYBRID_DEQUANT : ECL_HYBRID_TFLITE;
    o.arith = flags & OPR_ARITH_REFERENCE ? ECL_ARITH_REFERENCE : ECL_ARITH_RUNTIME;
    size_t need;
    if ((st = ecl_interp_mem_size(&m, -1, &o, &need, err, errlen))) return st;
    void *arena = malloc(need);
    struct ecl_interp *it;
    st = ecl_interp_init(&m, -1, &o, arena, need, &it, err, errlen);
    int gi = 0;
    for (int k = 0; !st && k < n_in; k++)
        if (in[k].type >= 0 && !in[k].is_const)
            st = ecl_interp_set_input(it, gi++, in[k].data,
                                      opr_count(&in[k]) * opr_type_size(in[k].type));
    if (!st && (st = ecl_interp_invoke(it)) && err)
        snprintf(err, errlen, "%s", ecl_interp_error(it));
    for (int k = 0; !st && k < n_out; k++) {
        size_t bytes = opr_count(&out[k]) * opr_type_size(out[k].type);
        res[k] = malloc(bytes ? bytes : 1);
        out[k].bytes = bytes;
        st = ecl_interp_get_output(it, k, res[k], bytes);
    }
    free(arena);
    return st;
}

enum ecl_status opr_run_v(int builtin, int version, int opt_type, const struct tb_opt *opt,
                          int n_opt, struct opr_t *in, int n_in, struct opr_t *out, int n_out,
                          int flags, char *err, size_t errlen) {
    struct tb b;
    tb_init(&b);
    int ti[64], gin[64], ng = 0, to[64];
    char name[32];
    for (int k = 0; k < n_in; k++) {
        if (in[k].type < 0) {
            ti[k] = -1;
            continue;
        }
        snprintf(name, sizeof name, "in%d", k);
        ti[k] = add_tensor(&b, name, &in[k]);
        if (!in[k].is_const) gin[ng++] = ti[k];
    }
    for (int k = 0; k < n_out; k++) {
        snprintf(name, sizeof name, "out%d", k);
        to[k] = add_tensor(&b, name, &out[k]);
        out[k].result = NULL;
    }
    int op = tb_op_multi(&b, builtin, n_in, ti, n_out, to, opt_type, opt, n_opt);
    b.op[op].version = version;
    tb_io_multi(&b, ng, gin, n_out, to);
    size_t len;
    uint8_t *file = tb_finish(&b, &len);
    tb_free(&b);
    void *res[64] = {0}, *res2[64] = {0};
    enum ecl_status st = run_once(file, len, in, n_in, out, n_out, flags, 1, res, err, errlen);
    if (st == ECL_OK && !(flags & OPR_REF_ONLY)) {
        char e2[200];
        st = run_once(file, len, in, n_in, out, n_out, flags, 0, res2, e2, sizeof e2);
        for (int k = 0; st == ECL_OK && k < n_out; k++) {
            size_t n = opr_count(&out[k]);
            for (size_t i = 0; i < n; i++) {
                int bad;
                if (out[k].type == TB_F32) {
                    float a = ((float *)res[k])[i], c = ((float *)res2[k])[i];
                    bad = !(fabsf(a - c) <= 1e-5f * (1.0f + fabsf(a))) && !(isnan(a) && isnan(c));
                } else {
                    size_t es = opr_type_size(out[k].type);
                    bad = memcmp((char *)res[k] + i * es, (char *)res2[k] + i * es, es) != 0;
                }
                if (bad) {
                    if (err)
                        snprintf(err, errlen, "output %d element %zu: ref and opt differ", k, i);
                    st = ECL_ECORRUPT;
                    break;
                }
            }
        }
    }
    for (int k = 0; k < n_out; k++) {
        free(res2[k]);
        if (st == ECL_OK)
            out[k].result = res[k];
        else
            free(res[k]);
    }
    free(file);
    return st;
}

enum ecl_status opr_run(int builtin, int opt_type, const struct tb_opt *opt, int n_opt,
                        struct opr_t *in, int n_in, struct opr_t *out, int n_out, int flags,
                        char *err, size_t errlen) {
    return opr_run_v(builtin, 1, opt_type, opt, n_opt, in, n_in, out, n_out, flags, err, errlen);
}

void opr_free(struct opr_t *out, int n_out) {
    for (int k = 0; k < n_out; k++) {
        free(out[k].result);
        out[k].result = NULL;
    }
}

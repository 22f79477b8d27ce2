/* TRANSPOSE (src/tflite/ops/transpose.c): expected values from explicit multi-index
 * arithmetic, every element type (float32, int8, lowered uint8, int32, int64, bool), up to
 * 6-D, and the refusals. */
#include "op_test.h"

/* Multi-index of flat index i in dims (row-major). */
static void unflatten(size_t i, int nd, const int32_t *dims, int32_t *idx) {
    for (int k = nd - 1; k >= 0; k--) {
        idx[k] = (int32_t)(i % (size_t)dims[k]);
        i /= (size_t)dims[k];
    }
}

static size_t flatten(int nd, const int32_t *dims, const int32_t *idx) {
    size_t i = 0;
    for (int k = 0; k < nd; k++)
        i = i * (size_t)dims[k] + (size_t)idx[k];
    return i;
}

/* Runs TRANSPOSE of in (type, dims) by perm and checks every element against out[idx] =
 * in[idx permuted back]. */
static void check_transpose(int type, int nd, const int32_t *dims, const int32_t *perm,
                            const void *data, int perm64) {
    int32_t od[6], oi[6], ii[6];
    for (int k = 0; k < nd; k++)
        od[k] = dims[perm[k]];
    int64_t p64[6];
    for (int k = 0; k < nd; k++)
        p64[k] = perm[k];
    struct opr_t in[2] = {opr_tensor(type, nd, dims, data, 0),
                          opr_tensor(perm64 ? TB_I64 : TB_I32, 1, (int32_t[]){nd},
                                     perm64 ? (const void *)p64 : (const void *)perm, 1)};
    struct opr_t out[1] = {opr_tensor(type, nd, od, NULL, 0)};
    if (type == TB_I8 || type == TB_U8) {
        in[0].n_q = out[0].n_q = 1;
        in[0].scale[0] = out[0].scale[0] = 0.5f;
        in[0].zp[0] = out[0].zp[0] = type == TB_U8 ? 128 : -3;
    }
    OPR_OK(ECL_OP_TRANSPOSE, ECL_BO_TransposeOptions, NULL, 0, in, 2, out, 1, 0);
    size_t es = opr_type_size(type), n = opr_count(&out[0]);
    for (size_t o = 0; o < n; o++) {
        unflatten(o, nd, od, oi);
        for (int k = 0; k < nd; k++)
            ii[perm[k]] = oi[k];
        size_t i = flatten(nd, dims, ii);
        if (memcmp((char *)out[0].result + o * es, (const char *)data + i * es, es))
            fail_msg("element %zu (input %zu) differs", o, i);
    }
    opr_free(out, 1);
}

static void test_transpose_2d_float_by_hand(void **state) {
    static const float x[6] = {1, 2, 3, 4, 5, 6}; /* [[1,2,3],[4,5,6]] */
    static const float want[6] = {1, 4, 2, 5, 3, 6};
    struct opr_t in[2] = {opr_f32(2, (int32_t[]){2, 3}, x),
                          opr_tensor(TB_I32, 1, (int32_t[]){2}, (int32_t[]){1, 0}, 1)};
    struct opr_t out[1] = {opr_f32(2, (int32_t[]){3, 2}, NULL)};
    OPR_OK(ECL_OP_TRANSPOSE, 0, NULL, 0, in, 2, out, 1, 0);
    assert_memory_equal(out[0].result, want, sizeof want);
    opr_free(out, 1);
}

static void test_transpose_types_and_ranks(void **state) {
    static uint8_t b[2 * 3 * 2 * 3 * 2 * 5 * 8];
    for (size_t i = 0; i < sizeof b; i++)
        b[i] = (uint8_t)(i * 37 + i / 7);
    /* 6-D, odd sizes, every type width */
    int32_t d6[6] = {2, 3, 2, 3, 2, 5}, p6[6] = {5, 0, 3, 1, 4, 2};
    int types[] = {TB_F32, TB_I8, TB_U8, TB_I32, TB_I64};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
        check_transpose(types[t], 6, d6, p6, b, (int)(t & 1));
    /* bool, 3-D; identity and a 4-D NHWC -> NCHW */
    static uint8_t bools[24];
    for (int i = 0; i < 24; i++)
        bools[i] = (uint8_t)((i * 5) % 3 == 0);
    check_transpose(TB_BOOL, 3, (int32_t[]){2, 3, 4}, (int32_t[]){2, 0, 1}, bools, 0);
    check_transpose(TB_I32, 3, (int32_t[]){2, 3, 4}, (int32_t[]){0, 1, 2}, b, 0);
    check_transpose(TB_F32, 4, (int32_t[]){1, 3, 5, 2}, (int32_t[]){0, 3, 1, 2}, b, 0);
    check_transpose(TB_I8, 1, (int32_t[]){7}, (int32_t[]){0}, b, 0);
}

static void test_transpose_refusals(void **state) {
    static const float x[6] = {0};
    struct opr_t in[2] = {opr_f32(2, (int32_t[]){2, 3}, x),
                          opr_tensor(TB_I32, 1, (int32_t[]){2}, (int32_t[]){1, 0}, 1)};
    struct opr_t out[1] = {opr_f32(2, (int32_t[]){2, 3}, NULL)};
    OPR_FAILS(ECL_EFORMAT, "TRANSPOSE at operator 0: output shape in the file does not match",
              ECL_OP_TRANSPOSE, 0, NULL, 0, in, 2, out, 1, 0);
    out[0] = opr_f32(2, (int32_t[]){3, 2}, NULL);
    in[1].data = (int32_t[]){1, 1};
    OPR_FAILS(ECL_EFORMAT, "perm names a dim twice", ECL_OP_TRANSPOSE, 0, NULL, 0, in, 2, out, 1,
              0);
    in[1].data = (int32_t[]){-1, 0};
    OPR_FAILS(ECL_EFORMAT, "perm entry out of range", ECL_OP_TRANSPOSE, 0, NULL, 0, in, 2, out, 1,
              0);
    in[1].data = (int32_t[]){1, 0};
    in[1].is_const = 0; /* a computed perm would need dynamic shapes */
    OPR_FAILS(ECL_EUNSUPPORTED, "TRANSPOSE at operator 0: perm must be a constant",
              ECL_OP_TRANSPOSE, 0, NULL, 0, in, 2, out, 1, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transpose_2d_float_by_hand),
        cmocka_unit_test(test_transpose_types_and_ranks),
        cmocka_unit_test(test_transpose_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* GATHER (src/tflite/ops/gather.c): axis 0 and inner axes, negative axis, 2-D indices,
 * batch_dims, int32 and int64 indices, int8 params, an out-of-range index as a run error,
 * refusals. Expected values from index arithmetic on the params. */
#include "op_test.h"

static float P[2 * 3 * 4]; /* [2, 3, 4]: value = 100 i + 10 j + k */

static void fill(void) {
    for (int i = 0; i < 24; i++)
        P[i] = (float)(100 * (i / 12) + 10 * (i / 4 % 3) + i % 4);
}

static void test_gather_axis0_and_inner(void **state) {
    fill();
    /* axis 0, indices [1, 0, 1]: out [3, 3, 4] */
    struct opr_t in[2] = {opr_f32(3, (int32_t[]){2, 3, 4}, P),
                          opr_tensor(TB_I32, 1, (int32_t[]){3}, (int32_t[]){1, 0, 1}, 0)};
    struct opr_t out[1] = {opr_f32(3, (int32_t[]){3, 3, 4}, NULL)};
    OPR_OK(ECL_OP_GATHER, ECL_BO_GatherOptions, NULL, 0, in, 2, out, 1, 0);
    const float *y = out[0].result;
    int sel[3] = {1, 0, 1};
    for (int c = 0; c < 3; c++)
        for (int j = 0; j < 12; j++)
            assert_true(y[c * 12 + j] == P[sel[c] * 12 + j]);
    opr_free(out, 1);
    /* axis -1 (2) with 2-D int64 indices [[3, 0], [2, 2]]: out [2, 3, 2, 2] */
    static const int64_t ix[4] = {3, 0, 2, 2};
    in[1] = opr_tensor(TB_I64, 2, (int32_t[]){2, 2}, ix, 0);
    out[0] = opr_f32(4, (int32_t[]){2, 3, 2, 2}, NULL);
    struct tb_opt o[1] = {{0, 4, -1}};
    OPR_OK(ECL_OP_GATHER, ECL_BO_GatherOptions, o, 1, in, 2, out, 1, 0);
    y = out[0].result;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int c = 0; c < 4; c++)
                assert_true(y[(i * 3 + j) * 4 + c] == 100 * i + 10 * j + (float)ix[c]);
    opr_free(out, 1);
}

static void test_gather_batch_dims_int8(void **state) {
    /* params [2, 3] int8, indices [2, 2], batch_dims 1, axis 1: out[b][c] = p[b][ix[b][c]] */
    static const int8_t p[6] = {-1, 5, 9, 40, -50, 60}, want[4] = {9, -1, -50, -50};
    static const int32_t ix[4] = {2, 0, 1, 1};
    struct opr_t in[2] = {opr_q(TB_I8, 2, (int32_t[]){2, 3}, p, 0.5f, 3),
                          opr_tensor(TB_I32, 2, (int32_t[]){2, 2}, ix, 1)};
    struct opr_t out[1] = {opr_q(TB_I8, 2, (int32_t[]){2, 2}, NULL, 0.5f, 3)};
    struct tb_opt o[2] = {{0, 4, 1}, {1, 4, -1}}; /* batch_dims -1 = indices' rank - 1 */
    OPR_OK(ECL_OP_GATHER, ECL_BO_GatherOptions, o, 2, in, 2, out, 1, 0);
    assert_memory_equal(out[0].result, want, sizeof want);
    opr_free(out, 1);
    /* batch_dims > axis is refused */
    struct tb_opt bad[2] = {{0, 4, 0}, {1, 4, 1}};
    OPR_FAILS(ECL_EFORMAT, "GATHER at operator 0: batch_dims out of range", ECL_OP_GATHER,
              ECL_BO_GatherOptions, bad, 2, in, 2, out, 1, 0);
}

static void test_gather_index_out_of_range(void **state) {
    fill();
    int32_t bad_i32[2][2] = {{0, 2}, {-1, 0}};
    for (int k = 0; k < 2; k++) {
        struct opr_t in[2] = {opr_f32(3, (int32_t[]){2, 3, 4}, P),
                              opr_tensor(TB_I32, 1, (int32_t[]){2}, bad_i32[k], 0)};
        struct opr_t out[1] = {opr_f32(3, (int32_t[]){2, 3, 4}, NULL)};
        char want[80];
        snprintf(want, sizeof want, "GATHER at operator 0: index %d out of range [0, 2)",
                 bad_i32[k][k ? 0 : 1]);
        OPR_FAILS(ECL_ERANGE, want, ECL_OP_GATHER, 0, NULL, 0, in, 2, out, 1, 0);
    }
    static const int64_t big[1] = {1LL << 33};
    struct opr_t in[2] = {opr_f32(3, (int32_t[]){2, 3, 4}, P),
                          opr_tensor(TB_I64, 1, (int32_t[]){1}, big, 0)};
    struct opr_t out[1] = {opr_f32(3, (int32_t[]){1, 3, 4}, NULL)};
    OPR_FAILS(ECL_ERANGE, "index 8589934592 out of range [0, 2)", ECL_OP_GATHER, 0, NULL, 0, in, 2,
              out, 1, 0);
}

static void test_gather_refusals(void **state) {
    fill();
    struct opr_t in[2] = {opr_f32(3, (int32_t[]){2, 3, 4}, P),
                          opr_tensor(TB_I32, 1, (int32_t[]){3}, (int32_t[]){1, 0, 1}, 0)};
    struct opr_t out[1] = {opr_f32(3, (int32_t[]){2, 3, 4}, NULL)};
    OPR_FAILS(ECL_EFORMAT, "GATHER at operator 0: output shape in the file does not match",
              ECL_OP_GATHER, 0, NULL, 0, in, 2, out, 1, 0);
    in[1] = opr_f32(1, (int32_t[]){3}, (float[]){1, 0, 1});
    out[0] = opr_f32(3, (int32_t[]){3, 3, 4}, NULL);
    OPR_FAILS(ECL_EUNSUPPORTED, "indices must be int32 or int64", ECL_OP_GATHER, 0, NULL, 0, in, 2,
              out, 1, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gather_axis0_and_inner),
        cmocka_unit_test(test_gather_batch_dims_int8),
        cmocka_unit_test(test_gather_index_out_of_range),
        cmocka_unit_test(test_gather_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

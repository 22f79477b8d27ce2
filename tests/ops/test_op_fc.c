/* BATCH_MATMUL (src/tflite/ops/fc.c): every adj_x / adj_y combination, batch dims broadcast on
 * either side, constant or graph rhs; float against double dot products, int8 against TFLite's
 * requantisation (tests/ops/q_ref.h). FULLY_CONNECTED with float weights computed by the graph
 * (not a constant), as the paper's head graphs have. */
#include "op_test.h"
#include "q_ref.h"

enum { M = 3, K = 5, N = 4 };

/* lhs batch [2,1], rhs batch [3] -> output [2,3]; element (i,k) / (k,j) under the flags. */
static double lhs_at(const double *l, int b0, int i, int k, int adj) {
    return l[(size_t)b0 * M * K + (adj ? (size_t)k * M + (size_t)i : (size_t)i * K + (size_t)k)];
}
static double rhs_at(const double *r, int b1, int k, int j, int adj) {
    return r[(size_t)b1 * K * N + (adj ? (size_t)j * K + (size_t)k : (size_t)k * N + (size_t)j)];
}

static void test_batch_matmul_float(void **state) {
    float l[2 * M * K], r[3 * K * N];
    double dl[2 * M * K], dr[3 * K * N];
    for (int i = 0; i < 2 * M * K; i++)
        dl[i] = l[i] = (float)((i * 7) % 11) / 4.0f - 1.0f;
    for (int i = 0; i < 3 * K * N; i++)
        dr[i] = r[i] = (float)((i * 5) % 13) / 8.0f - 0.75f;
    for (int ax = 0; ax < 2; ax++)
        for (int ay = 0; ay < 2; ay++)
            for (int rc = 0; rc < 2; rc++) {
                int32_t ld[4] = {2, 1, ax ? K : M, ax ? M : K}, rd[3] = {3, ay ? N : K, ay ? K : N};
                struct opr_t in[2] = {opr_f32(4, ld, l), opr_f32(3, rd, r)};
                in[1].is_const = rc;
                struct opr_t out[1] = {opr_f32(4, (int32_t[]){2, 3, M, N}, NULL)};
                struct tb_opt o[] = {{0, 1, ax}, {1, 1, ay}};
                OPR_OK(ECL_OP_BATCH_MATMUL, ECL_BO_BatchMatMulOptions, o, 2, in, 2, out, 1, 0);
                const float *y = out[0].result;
                for (int b0 = 0; b0 < 2; b0++)
                    for (int b1 = 0; b1 < 3; b1++)
                        for (int i = 0; i < M; i++)
                            for (int j = 0; j < N; j++) {
                                double s = 0;
                                for (int k = 0; k < K; k++)
                                    s += lhs_at(dl, b0, i, k, ax) * rhs_at(dr, b1, k, j, ay);
                                float got = y[(((size_t)b0 * 3 + (size_t)b1) * M + (size_t)i) * N +
                                              (size_t)j];
                                if (fabs(got - s) > 1e-5 * (1 + fabs(s)))
                                    fail_msg("adj %d,%d: got %g want %g", ax, ay, got, s);
                            }
                opr_free(out, 1);
            }
}

static void test_batch_matmul_int8(void **state) {
    int8_t l[2 * M * K], r[3 * K * N];
    double dl[2 * M * K], dr[3 * K * N];
    for (int i = 0; i < 2 * M * K; i++)
        dl[i] = l[i] = (int8_t)(i == 0 ? -128 : (i * 41) % 256 - 128);
    for (int i = 0; i < 3 * K * N; i++)
        dr[i] = r[i] = (int8_t)(i == 1 ? 127 : (i * 29) % 256 - 128);
    const float sl = 0.02f, sr = 0.03f, so = 0.5f;
    const int zl = 5, zr = -7, zo = -10;
    int32_t mult;
    int shift;
    qref_multiplier((double)(sl * sr) / so, &mult, &shift);
    for (int ax = 0; ax < 2; ax++)
        for (int ay = 0; ay < 2; ay++) {
            int32_t ld[4] = {2, 1, ax ? K : M, ax ? M : K}, rd[3] = {3, ay ? N : K, ay ? K : N};
            struct opr_t in[2] = {opr_q(TB_I8, 4, ld, l, sl, zl), opr_q(TB_I8, 3, rd, r, sr, zr)};
            struct opr_t out[1] = {opr_q(TB_I8, 4, (int32_t[]){2, 3, M, N}, NULL, so, zo)};
            struct tb_opt o[] = {{0, 1, ax}, {1, 1, ay}};
            OPR_OK(ECL_OP_BATCH_MATMUL, ECL_BO_BatchMatMulOptions, o, 2, in, 2, out, 1, 0);
            const int8_t *y = out[0].result;
            for (int b0 = 0; b0 < 2; b0++)
                for (int b1 = 0; b1 < 3; b1++)
                    for (int i = 0; i < M; i++)
                        for (int j = 0; j < N; j++) {
                            int32_t s = 0;
                            for (int k = 0; k < K; k++)
                                s += ((int32_t)lhs_at(dl, b0, i, k, ax) - zl) *
                                     ((int32_t)rhs_at(dr, b1, k, j, ay) - zr);
                            int32_t q = qref_mbqm(s, mult, shift) + zo;
                            q = q < -128 ? -128 : (q > 127 ? 127 : q);
                            int8_t got =
                                y[(((size_t)b0 * 3 + (size_t)b1) * M + (size_t)i) * N + (size_t)j];
                            if (got != q) fail_msg("adj %d,%d: got %d want %d", ax, ay, got, q);
                            double real = s * (double)sl * sr / so + zo;
                            real = real < -128 ? -128 : (real > 127 ? 127 : real);
                            assert_true(fabs(got - real) <= 1.0);
                        }
            opr_free(out, 1);
        }
}

static void test_batch_matmul_shapes_refused(void **state) {
    float l[M * K] = {0}, r[K * N] = {0};
    struct opr_t in[2] = {opr_f32(2, (int32_t[]){M, K}, l), opr_f32(2, (int32_t[]){N, K}, r)};
    struct opr_t out[1] = {opr_f32(2, (int32_t[]){M, N}, NULL)};
    char err[200];
    assert_int_equal(opr_run(ECL_OP_BATCH_MATMUL, 0, NULL, 0, in, 2, out, 1, 0, err, sizeof err),
                     ECL_EFORMAT);
    assert_non_null(strstr(err, "inner dimensions differ"));
}

static void test_fc_graph_weights(void **state) {
    static const float x[2 * K] = {1, 2, 3, 4, 5, -1, 0, 1, 0, -1};
    static const float w[N * K] = {1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0.5f, 0, 0, 0, -2};
    static const float b[N] = {0.5f, 0, -1, 2};
    struct opr_t in[3] = {opr_f32(2, (int32_t[]){2, K}, x), opr_f32(2, (int32_t[]){N, K}, w),
                          opr_f32(1, (int32_t[]){N}, b)};
    in[2].is_const = 1; /* the weights are a subgraph input, the bias a constant */
    struct opr_t out[1] = {opr_f32(2, (int32_t[]){2, N}, NULL)};
    OPR_OK(ECL_OP_FULLY_CONNECTED, 0, NULL, 0, in, 3, out, 1, 0);
    const float *y = out[0].result;
    for (int r = 0; r < 2; r++)
        for (int o = 0; o < N; o++) {
            float s = b[o];
            for (int k = 0; k < K; k++)
                s += x[r * K + k] * w[o * K + k];
            assert_true(fabsf(y[r * N + o] - s) <= 1e-5f);
        }
    opr_free(out, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_matmul_float),
        cmocka_unit_test(test_batch_matmul_int8),
        cmocka_unit_test(test_batch_matmul_shapes_refused),
        cmocka_unit_test(test_fc_graph_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* LOG_SOFTMAX and L2_NORMALIZATION (src/tflite/ops/softmax.c): float against double math,
 * quantised LOG_SOFTMAX within one step of it;
 * int8 and uint8 L2 against TFLite's integer arithmetic written out here (the sum of squares,
 * the inverse square root by 5 Newton-Raphson steps in gemmlowp's Q3, the int8 and uint8
 * rescalings) and within one step of the real value. */
#include "op_test.h"
#include "q_ref.h"

static void test_log_softmax_float(void **state) {
    static const float x[8] = {1, 2, 3, 4, -50, 0, 50, 0.5f};
    struct opr_t in[1] = {opr_f32(2, (int32_t[]){2, 4}, x)};
    struct opr_t out[1] = {opr_f32(2, (int32_t[]){2, 4}, NULL)};
    OPR_OK(ECL_OP_LOG_SOFTMAX, 0, NULL, 0, in, 1, out, 1, 0);
    const float *y = out[0].result;
    for (int r = 0; r < 2; r++) {
        double mx = -1e300, s = 0;
        for (int c = 0; c < 4; c++)
            mx = x[r * 4 + c] > mx ? x[r * 4 + c] : mx;
        for (int c = 0; c < 4; c++)
            s += exp(x[r * 4 + c] - mx);
        for (int c = 0; c < 4; c++) {
            double want = x[r * 4 + c] - mx - log(s);
            assert_true(fabs(y[r * 4 + c] - want) <= 1e-5 * (1 + fabs(want)));
        }
    }
    opr_free(out, 1);
}

/* int8 / uint8: within one step of the real log-softmax on TFLite's output grid (16/256). */
static void test_log_softmax_quantised(void **state) {
    static const int types[2] = {TB_I8, TB_U8};
    for (int t = 0; t < 2; t++) {
        int u = types[t] == TB_U8, lo = u ? 0 : -128, hi = u ? 255 : 127, zo = u ? 255 : 127;
        int32_t v[10] = {lo, hi, lo + 1, hi - 1, lo + 100, lo + 101, lo + 102, lo + 3, hi, hi};
        uint8_t b[10];
        for (int i = 0; i < 10; i++)
            b[i] = (uint8_t)v[i];
        const float s = 0.05f;
        const int zi = u ? 128 : 0;
        struct opr_t in[1] = {opr_q(types[t], 2, (int32_t[]){2, 5}, b, s, zi)};
        struct opr_t out[1] = {opr_q(types[t], 2, (int32_t[]){2, 5}, NULL, 16.0f / 256, zo)};
        OPR_OK(ECL_OP_LOG_SOFTMAX, 0, NULL, 0, in, 1, out, 1, 0);
        const uint8_t *y = out[0].result;
        for (int r = 0; r < 2; r++) {
            double mx = -1e300, sum = 0;
            for (int c = 0; c < 5; c++)
                mx = s * (v[r * 5 + c] - zi) > mx ? s * (v[r * 5 + c] - zi) : mx;
            for (int c = 0; c < 5; c++)
                sum += exp(s * (v[r * 5 + c] - zi) - mx);
            for (int c = 0; c < 5; c++) {
                double want = (s * (v[r * 5 + c] - zi) - mx - log(sum)) * 16 + zo;
                want = want < lo ? lo : (want > hi ? hi : want);
                int got = u ? y[r * 5 + c] : (int8_t)y[r * 5 + c];
                if (fabs(got - want) > 1.0) fail_msg("type %d: got %d want %.3f", t, got, want);
            }
        }
        opr_free(out, 1);
        /* another output quantisation is refused, as TFLite does */
        struct opr_t bad[1] = {opr_q(types[t], 2, (int32_t[]){2, 5}, NULL, 0.1f, zo)};
        char err[200];
        assert_int_equal(opr_run(ECL_OP_LOG_SOFTMAX, 0, NULL, 0, in, 1, bad, 1, 0, err, sizeof err),
                         ECL_EFORMAT);
    }
}

/* A sweep over scales and random rows: TFLite's Q5.26 fixed point stays within one step of the
 * real value, and most outputs are the correctly rounded one. */
static void test_log_softmax_int8_sweep(void **state) {
    static const float scales[5] = {0.004f, 0.02f, 0.1f, 0.5f, 2.0f};
    enum { R = 64, D = 9 };
    int8_t v[R * D];
    uint32_t seed = 12345;
    for (int i = 0; i < R * D; i++) {
        seed = seed * 1103515245u + 12345u;
        v[i] = (int8_t)(seed >> 24);
    }
    size_t exact = 0, total = 0;
    for (int k = 0; k < 5; k++) {
        struct opr_t in[1] = {opr_q(TB_I8, 2, (int32_t[]){R, D}, v, scales[k], 3)};
        struct opr_t out[1] = {opr_q(TB_I8, 2, (int32_t[]){R, D}, NULL, 16.0f / 256, 127)};
        OPR_OK(ECL_OP_LOG_SOFTMAX, 0, NULL, 0, in, 1, out, 1, 0);
        const int8_t *y = out[0].result;
        for (int r = 0; r < R; r++) {
            int mx = -128;
            double sum = 0;
            for (int c = 0; c < D; c++)
                mx = v[r * D + c] > mx ? v[r * D + c] : mx;
            for (int c = 0; c < D; c++)
                sum += exp((double)scales[k] * (v[r * D + c] - mx));
            for (int c = 0; c < D; c++) {
                double want = ((double)scales[k] * (v[r * D + c] - mx) - log(sum)) * 16 + 127;
                want = want < -128 ? -128 : (want > 127 ? 127 : want);
                int got = y[r * D + c];
                if (fabs(got - want) > 1.0)
                    fail_msg("scale %g row %d col %d: got %d want %.3f", scales[k], r, c, got,
                             want);
                exact += got == (int)lround(want);
                total++;
            }
        }
        opr_free(out, 1);
    }
    print_message("log_softmax int8: %zu of %zu outputs correctly rounded\n", exact, total);
    assert_true(exact * 10 > total * 9);
}

static void test_l2norm_float(void **state) {
    static const float x[9] = {3, 4, 0, 0, 0, 0, -1, 2, -2};
    struct opr_t in[1] = {opr_f32(2, (int32_t[]){3, 3}, x)};
    struct opr_t out[1] = {opr_f32(2, (int32_t[]){3, 3}, NULL)};
    OPR_OK(ECL_OP_L2_NORMALIZATION, 0, NULL, 0, in, 1, out, 1, 0);
    const float *y = out[0].result;
    static const float want[9] = {0.6f, 0.8f, 0, 0, 0, 0, -1.0f / 3, 2.0f / 3, -2.0f / 3};
    assert_floats_near(y, want, 9, 1e-6f); /* an all-zero row stays 0 (epsilon, no NaN) */
    opr_free(out, 1);
}

/* gemmlowp: Q(a) * Q(b) = Q(a+b) by the doubling high multiply; Rescale by saturating shifts */
static int32_t srdhm(int32_t a, int32_t b) {
    return qref_mbqm(a, b, 0);
}
static int32_t shl_sat(int32_t a, int e) {
    int64_t v = (int64_t)a * ((int64_t)1 << e);
    return v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v);
}
/* a / 2^e rounded half away from zero (e >= 1) */
static int32_t div_pot(int32_t a, int e) {
    int64_t h = (int64_t)1 << (e - 1), x = a;
    return (int32_t)(x >= 0 ? (x + h) >> e : -((-x + h) >> e));
}

/* TFLite's GetInvSqrtQuantizedMultiplierExp, reverse shift -1. */
static void inv_sqrt(int32_t v, int32_t *mult, int *shift) {
    if (v <= 1) {
        *mult = INT32_MAX;
        *shift = 0;
        return;
    }
    int sh = 11;
    while (v >= (1 << 29)) {
        v /= 4;
        sh++;
    }
    int bits = 0; /* position of the leading one */
    while ((v >> bits) > 1)
        bits++;
    int pairs = (31 - bits - 1) / 2 - 1;
    sh -= pairs;
    v <<= 2 * pairs;
    int32_t half_in = div_pot(v >> 1, 1), x = 1 << 28;
    for (int i = 0; i < 5; i++) {
        int32_t x3 = shl_sat(srdhm(srdhm(x, x), x), 6);
        x = shl_sat(srdhm((1 << 28) + (1 << 27), x) - srdhm(half_in, x3), 3);
    }
    x = srdhm(x, 1518500250);
    if (sh < 0) {
        x <<= -sh;
        sh = 0;
    }
    *mult = x;
    *shift = -sh;
}

static void run_l2_q(int type, int zp, const int32_t *vals, int depth, int rows) {
    int lo = type == TB_U8 ? 0 : -128, hi = type == TB_U8 ? 255 : 127;
    uint8_t b[64];
    for (int i = 0; i < depth * rows; i++)
        b[i] = (uint8_t)vals[i];
    struct opr_t in[1] = {opr_q(type, 2, (int32_t[]){rows, depth}, b, 0.1f, zp)};
    struct opr_t out[1] = {
        opr_q(type, 2, (int32_t[]){rows, depth}, NULL, 1.0f / 128, type == TB_U8 ? 128 : 0)};
    OPR_OK(ECL_OP_L2_NORMALIZATION, 0, NULL, 0, in, 1, out, 1, 0);
    const uint8_t *y = out[0].result;
    for (int r = 0; r < rows; r++) {
        int32_t acc = 0, mult;
        int shift;
        double sq = 0;
        for (int c = 0; c < depth; c++) {
            int32_t d = vals[r * depth + c] - zp;
            acc += d * d;
            sq += (double)d * d;
        }
        inv_sqrt(acc, &mult, &shift);
        for (int c = 0; c < depth; c++) {
            int32_t d = vals[r * depth + c] - zp, q;
            if (type == TB_U8)
                q = 128 +
                    (shift == 0 ? srdhm(128 * d, mult) : div_pot(srdhm(128 * d, mult), -shift));
            else
                q = qref_mbqm(d, mult, shift + 7);
            q = q < lo ? lo : (q > hi ? hi : q);
            int got = type == TB_U8 ? y[r * depth + c] : (int8_t)y[r * depth + c];
            if (got != q) fail_msg("row %d col %d: got %d want %d", r, c, got, q);
            if (sq > 0) {
                double real = 128.0 * d / sqrt(sq) + (type == TB_U8 ? 128 : 0);
                real = real < lo ? lo : (real > hi ? hi : real);
                assert_true(fabs(got - real) <= 1.0);
            }
        }
    }
    opr_free(out, 1);
}

static void test_l2norm_int8(void **state) {
    static const int32_t v[12] = {-128, 127, 0, 5, 1, 2, 3, 4, -3, -3, -3, -3};
    run_l2_q(TB_I8, -3, v, 4, 3);
    run_l2_q(TB_I8, 127, v, 6, 2);
}

static void test_l2norm_uint8(void **state) {
    static const int32_t v[12] = {0, 255, 128, 131, 200, 7, 9, 128, 128, 128, 128, 1};
    run_l2_q(TB_U8, 128, v, 4, 3);
    run_l2_q(TB_U8, 0, v, 3, 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_softmax_float),
        cmocka_unit_test(test_log_softmax_quantised),
        cmocka_unit_test(test_log_softmax_int8_sweep),
        cmocka_unit_test(test_l2norm_float),
        cmocka_unit_test(test_l2norm_int8),
        cmocka_unit_test(test_l2norm_uint8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

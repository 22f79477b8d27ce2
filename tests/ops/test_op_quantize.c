/* CAST (src/tflite/ops/quantize.c): every pair of float32, int32, int64, int16, int8, uint8
 * (held lowered inside: the values must come out as written) and bool, with C's conversions as
 * the expected values (float to integer truncates, a narrower integer wraps, bool is != 0). */
#include "op_test.h"

enum { K = 8 };
static const int TYPES[7] = {TB_F32, TB_I32, TB_I64, TB_I16, TB_I8, TB_U8, TB_BOOL};

/* The source values, chosen per type within its range (floats within every integer range the
 * test casts them to, so the expected value is C's own conversion). */
static double src_value(int type, int k) {
    static const double f[K] = {1.75, -1.75, 0.5, -0.0, 100.9, -100.9, 127.0, 3.0};
    static const double i[K] = {0, 1, -1, 127, -128, 300, -129, 70000};
    switch (type) {
    case TB_F32:
        return f[k];
    case TB_U8:
        return (double)((int)(i[k] < 0 ? -i[k] : i[k]) % 256);
    case TB_BOOL:
        return k % 3 == 0;
    case TB_I8:
        return (double)(int8_t)(int64_t)i[k];
    case TB_I16:
        return (double)(int16_t)(int64_t)i[k];
    default:
        return i[k];
    }
}

static void put(int type, void *buf, int k, double v) {
    switch (type) {
    case TB_F32:
        ((float *)buf)[k] = (float)v;
        break;
    case TB_I32:
        ((int32_t *)buf)[k] = (int32_t)v;
        break;
    case TB_I64:
        ((int64_t *)buf)[k] = (int64_t)v;
        break;
    case TB_I16:
        ((int16_t *)buf)[k] = (int16_t)(int64_t)v;
        break;
    case TB_I8:
        ((int8_t *)buf)[k] = (int8_t)(int64_t)v;
        break;
    case TB_U8:
        ((uint8_t *)buf)[k] = (uint8_t)(int64_t)v;
        break;
    default:
        ((uint8_t *)buf)[k] = v != 0;
    }
}

/* What C's conversion of v (a value of type from) to type to gives, stored in to's bytes. */
static void expect(int from, int to, void *buf, int k, double v) {
    if (to == TB_BOOL) {
        ((uint8_t *)buf)[k] = v != 0;
        return;
    }
    if (to == TB_F32) {
        ((float *)buf)[k] = (float)v;
        return;
    }
    int64_t i = (int64_t)v; /* truncation toward zero; the test's floats are in range */
    (void)from;
    put(to, buf, k, (double)i);
}

static void test_cast_every_pair(void **state) {
    for (int a = 0; a < 7; a++)
        for (int b = 0; b < 7; b++) {
            int from = TYPES[a], to = TYPES[b];
            uint8_t in[K * 8], want[K * 8];
            for (int k = 0; k < K; k++) {
                put(from, in, k, src_value(from, k));
                expect(from, to, want, k, src_value(from, k));
            }
            struct opr_t t[1] = {opr_tensor(from, 1, (int32_t[]){K}, in, 0)};
            struct opr_t out[1] = {opr_tensor(to, 1, (int32_t[]){K}, NULL, 0)};
            OPR_OK(ECL_OP_CAST, 0, NULL, 0, t, 1, out, 1, 0);
            if (memcmp(out[0].result, want, K * opr_type_size(to)))
                fail_msg("CAST %d -> %d differs", from, to);
            opr_free(out, 1);
        }
}

/* Wrapping to a narrower integer and float NaN / out of range (saturated before the wrap). */
static void test_cast_wraps_and_nan(void **state) {
    static const int32_t a[4] = {300, -129, 65535 + 2, INT32_MIN};
    struct opr_t t[1] = {opr_tensor(TB_I32, 1, (int32_t[]){4}, a, 0)};
    struct opr_t out[1] = {opr_tensor(TB_I8, 1, (int32_t[]){4}, NULL, 0)};
    OPR_OK(ECL_OP_CAST, 0, NULL, 0, t, 1, out, 1, 0);
    const int8_t *y = out[0].result;
    assert_int_equal(y[0], 44);
    assert_int_equal(y[1], 127);
    assert_int_equal(y[2], 1);
    assert_int_equal(y[3], 0);
    opr_free(out, 1);
    static const float f[3] = {NAN, 1e30f, -1e30f};
    struct opr_t tf[1] = {opr_tensor(TB_F32, 1, (int32_t[]){3}, f, 0)};
    struct opr_t o64[1] = {opr_tensor(TB_I64, 1, (int32_t[]){3}, NULL, 0)};
    OPR_OK(ECL_OP_CAST, 0, NULL, 0, tf, 1, o64, 1, 0);
    const int64_t *z = o64[0].result;
    assert_true(z[0] == 0 && z[1] == INT64_MAX && z[2] == INT64_MIN);
    opr_free(o64, 1);
}

static void test_cast_refuses_other_types(void **state) {
    static const uint16_t h[2] = {0x3c00, 0};
    struct opr_t t[1] = {opr_tensor(TB_F16, 1, (int32_t[]){2}, h, 0)};
    struct opr_t out[1] = {opr_tensor(TB_F32, 1, (int32_t[]){2}, NULL, 0)};
    char err[200];
    assert_int_not_equal(opr_run(ECL_OP_CAST, 0, NULL, 0, t, 1, out, 1, 0, err, sizeof err),
                         ECL_OK);
    assert_non_null(strstr(err, "CAST"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cast_every_pair),
        cmocka_unit_test(test_cast_wraps_and_nan),
        cmocka_unit_test(test_cast_refuses_other_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

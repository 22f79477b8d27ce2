/* tests/ops/q_ref.h - TFLite's fixed-point requantisation, written out for the tests from its
 * definition (QuantizeMultiplier: frexp, the mantissa rounded to Q31; MultiplyByQuantized-
 * Multiplier: left shift, doubling high multiply rounded half away, rounding right shift), so
 * int8 expectations are derived here, not read from the program under test. */
#ifndef EDGECL_TESTS_Q_REF_H
#define EDGECL_TESTS_Q_REF_H
#include <math.h>
#include <stdint.h>

static inline void qref_multiplier(double real, int32_t *mult, int *shift) {
    if (real == 0) {
        *mult = 0;
        *shift = 0;
        return;
    }
    int e;
    double m = frexp(real, &e);
    int64_t q = (int64_t)round(m * 2147483648.0);
    if (q == 2147483648LL) {
        q /= 2;
        e++;
    }
    if (e < -31) {
        e = 0;
        q = 0;
    }
    *mult = (int32_t)q;
    *shift = e;
}

static inline int32_t qref_mbqm(int32_t x, int32_t mult, int shift) {
    int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    int64_t a = (int64_t)x * ((int64_t)1 << left);
    if (a > INT32_MAX) a = INT32_MAX;
    if (a < INT32_MIN) a = INT32_MIN;
    int64_t p = a * (int64_t)mult;
    int32_t hi;
    if (a == INT32_MIN && mult == INT32_MIN)
        hi = INT32_MAX;
    else
        hi = (int32_t)((p + (p >= 0 ? (1LL << 30) : 1 - (1LL << 30))) / (1LL << 31));
    if (right == 0) return hi;
    /* round half away from zero */
    int64_t div = (int64_t)1 << right;
    int64_t r = hi >= 0 ? (hi + div / 2) / div : -((-(int64_t)hi + div / 2) / div);
    return (int32_t)r;
}
#endif

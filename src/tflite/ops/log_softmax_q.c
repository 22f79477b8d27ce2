/* Quantised LOG_SOFTMAX (int8, and uint8 held lowered), TFLite's reference arithmetic: the
 * differences to the row maximum rescaled to Q5.26, exp of each by gemmlowp's
 * exp_on_negative_values, summed in Q12.19, the log of the sum by TFLite's
 * log_x_for_x_greater_than_or_equal_to_1 (Q5.26), the output in steps of 1/16 below the zero
 * point 127 (uint8: 255, the same once lowered). Differences below diff_min (or below what the
 * log allows) give the minimum. The helpers follow gemmlowp's fixed-point definitions: a
 * product of Qa and Qb is Q(a+b) by the saturating rounding doubling high multiply. */
#include "tflite/ops/ops.h"

static int32_t add_w(int32_t a, int32_t b) { /* gemmlowp's plain Add (two's complement) */
    return (int32_t)((uint32_t)a + (uint32_t)b);
}
static int32_t sub_w(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a - (uint32_t)b);
}
static int32_t sat64(int64_t v) {
    return v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v);
}
/* SaturatingRoundingMultiplyByPOT: e > 0 saturating left shift, e < 0 rounding right shift. */
static int32_t mul_pot(int32_t x, int e) {
    if (e < 0) return ecl_rdbpot(x, -e);
    if (e == 0) return x;
    int32_t thr = (int32_t)((1u << (31 - e)) - 1);
    if (x > thr) return INT32_MAX;
    if (x < -thr) return INT32_MIN;
    return (int32_t)((uint32_t)x << e);
}
static int32_t half_sum(int32_t a, int32_t b) { /* RoundingHalfSum */
    int64_t s = (int64_t)a + b;
    return (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
}
static int clz32(uint32_t v) {
    int n = 0;
    if (!v) return 32;
    while (!(v & 0x80000000u)) {
        v <<= 1;
        n++;
    }
    return n;
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out. */
static int32_t exp_quarter(int32_t a) {
    const int32_t c = 1895147668, third = 715827883; /* exp(-1/8), 1/3 */
    int32_t x = add_w(a, 1 << 28);
    int32_t x2 = ecl_srdhm(x, x), x3 = ecl_srdhm(x2, x), x4 = ecl_srdhm(x2, x2);
    int32_t x4q = mul_pot(x4, -2);
    int32_t t = mul_pot(add_w(ecl_srdhm(add_w(x4q, x3), third), x2), -1);
    return add_w(c, ecl_srdhm(c, add_w(x, t)));
}

/* exp(a) for a <= 0 in Q5.26, result Q0.31. */
static int32_t exp_neg_q5(int32_t a) {
    static const int32_t mult[7] = {1672461947, 1302514674, 790015084, 290630308,
                                    39332535,   720401,     242};
    int32_t amq = sub_w(a & ((1 << 24) - 1), 1 << 24);
    int32_t r = exp_quarter(mul_pot(amq, 5));
    int32_t rem = sub_w(amq, a);
    for (int e = -2; e <= 4; e++)
        if (rem & (int32_t)(1u << (26 + e))) r = ecl_srdhm(r, mult[e + 2]);
    return a == 0 ? INT32_MAX : r;
}

/* 1 / (1 + a) for a in (0, 1), Q0.31 in and out (Newton-Raphson in Q2.29). */
static int32_t one_over_one_plus(int32_t a) {
    int32_t hd = half_sum(a, INT32_MAX);
    int32_t x = add_w(1515870810, ecl_srdhm(hd, -1010580540)); /* 48/17 - 32/17 hd */
    for (int i = 0; i < 3; i++) {
        int32_t one_minus = sub_w(1 << 29, ecl_srdhm(hd, x));
        x = add_w(x, mul_pot(ecl_srdhm(x, one_minus), 2));
    }
    return mul_pot(x, 1); /* x / 2 as Q1.30, rescaled to Q0.31 */
}

/* log(v) for v >= 1, v in Q12.19, result in Q5.26 (accumulated in Q6.25). */
static int32_t log_q12_to_q5(int32_t v) {
    enum { IN_BITS = 12, ACC_BITS = 6 };
    const int32_t log2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
    const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769;
    const int32_t alpha_f = 638450708;
    const int32_t quarter = mul_pot(536870912, -ACC_BITS); /* 1/4 in Q6.25 */
    int hp1 = clz32((uint32_t)v);
    int32_t r_a_tmp = mul_pot(v, hp1 - 1);
    int32_t r_a = mul_pot(ecl_srdhm(r_a_tmp, sqrt_half), 1);
    int32_t za_adj = sat64((int64_t)mul_pot(IN_BITS - hp1, 31 - ACC_BITS) + quarter);
    int32_t zb = ecl_srdhm(v, sqrt_half);
    int zb_head = clz32((uint32_t)zb) - 1;
    int32_t r_b = mul_pot(v, zb_head);
    int32_t zb_adj = sat64((int64_t)mul_pot(IN_BITS - zb_head, 31 - ACC_BITS) - quarter);
    int32_t r = r_a < r_b ? r_a : r_b, z_adj = za_adj > zb_adj ? za_adj : zb_adj;
    int32_t p = half_sum(r, sqrt_sqrt_half);
    int32_t q = sub_w(r, sqrt_sqrt_half);
    q = add_w(q, q);
    int32_t sq = ecl_srdhm(q, q);
    int32_t num = add_w(ecl_srdhm(q, r), ecl_srdhm(ecl_srdhm(q, sq), alpha_n));
    int32_t den = add_w(ecl_srdhm(p, add_w(add_w(alpha_i, q), ecl_srdhm(alpha_d, sq))),
                        ecl_srdhm(alpha_f, q));
    int32_t rd = one_over_one_plus(den);
    int32_t num_s = mul_pot(num, -ACC_BITS);
    return mul_pot(add_w(ecl_srdhm(z_adj, log2), ecl_srdhm(num_s, rd)), ACC_BITS - 5);
}

static enum ecl_status log_softmax_q(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_softmax_data *d = n->data;
    const struct ecl_log_softmax_q *q = &d->lsq;
    const int8_t *a = ecl_in(x, n, 0)->data;
    int8_t *y = ecl_out(x, n, 0)->data;
    for (int32_t o = 0; o < d->outer; o++) {
        const int8_t *r = a + (size_t)o * (size_t)d->depth;
        int8_t *w = y + (size_t)o * (size_t)d->depth;
        int32_t mx = -128, sum = 0;
        for (int32_t c = 0; c < d->depth; c++)
            mx = r[c] > mx ? r[c] : mx;
        for (int32_t c = 0; c < d->depth; c++) {
            int32_t diff = r[c] - mx;
            if (diff >= q->diff_min)
                sum = add_w(sum, mul_pot(exp_neg_q5(ecl_requant(diff, q->mult, q->shift)), -12));
        }
        int32_t lse = log_q12_to_q5(sum);
        int32_t rev = ecl_requant(add_w(lse, INT32_MIN), q->rev_mult, q->rev_shift);
        int32_t adj_min = q->diff_min - 1 > rev ? q->diff_min - 1 : rev;
        for (int32_t c = 0; c < d->depth; c++) {
            int32_t diff = r[c] - mx, v = -128;
            if (diff > adj_min) {
                v = ecl_rdbpot(sub_w(ecl_requant(diff, q->mult, q->shift), lse), 31 - 5 - 4) + 127;
                v = v < -128 ? -128 : (v > 127 ? 127 : v);
            }
            w[c] = (int8_t)v;
        }
    }
    return ECL_OK;
}

/* TFLite's PreprocessLogSoftmaxScalingExp (beta 1, 5 integer bits) and CalculateInputRadius. */
int ecl_log_softmax_q_prepare(struct ecl_log_softmax_q *q, double in_scale, ecl_eval_fn *eval) {
    double real = in_scale * (double)(1 << 26);
    if (real > 2147483647.0) real = 2147483647.0;
    if (!(real > 1.0)) return 0;
    ecl_quantize_multiplier(real, &q->mult, &q->shift);
    if (q->shift < 1 || q->shift > 31 || q->mult <= 0) return 0;
    double rev = (double)(1LL << (31 - q->shift)) / (double)q->mult;
    if (!(rev > 0.0 && rev < 1.0)) return 0;
    ecl_quantize_multiplier(rev, &q->rev_mult, &q->rev_shift);
    if (q->rev_shift > 0) return 0;
    double radius = 31.0 * (double)(1LL << 26) / (double)(1LL << q->shift);
    q->diff_min = -(int32_t)floor(radius);
    *eval = log_softmax_q;
    return 1;
}

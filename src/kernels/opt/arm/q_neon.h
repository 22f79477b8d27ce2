/* src/kernels/opt/arm/q_neon.h - int8 requantisation for the NEON int8 kernels: 4 lanes of
 * ecl_requant_r() (src/kernels/kernels.h) in both roundings of enum ecl_rounding, so every NEON
 * int8 kernel follows the op's rounding through this one helper:
 *
 *     if (rqn_vec_ok(p->out_mult + c, p->out_shift + c, 4, p->rounding)) {
 *         struct rqn r = rqn_load(p->out_mult + c, p->out_shift + c, p->rounding);
 *         int32x4_t v = rqn_raw(acc, &r);      // then + zero point, clamp, narrow
 *     }                                         // else ecl_requant_out_r() per lane
 *
 * Bit-exact with ecl_requant_r() on the domain rqn_vec_ok() accepts, through the output stage
 * (rqo_requant; the raw value too except for single rounding with a left shift and a
 * saturating x, see rqn_raw), checked under qemu by tests/test_kernels_opt_rq.c,
 * test_requant_neon; other parameters take the scalar function. */
#ifndef EDGECL_Q_NEON_H
#define EDGECL_Q_NEON_H

#include <arm_neon.h>
#include <stdint.h>
#include <string.h>
#include "kernels/kernels.h"

/* Every shift in [-31, 31], mult never INT32_MIN (ecl_quantize_multiplier gives [2^30, 2^31)
 * or 0); single rounding with a left shift: shift <= 30 and |mult| >= 2^30 or mult = 0 (see
 * rqn_raw(): exact after the output stage). */
static inline int rqn_vec_ok(const int32_t *mult, const int32_t *shift, int n, int32_t rounding) {
    for (int i = 0; i < n; i++) {
        if (mult[i] == INT32_MIN || shift[i] > 31 || shift[i] < -31) return 0;
        if (rounding == ECL_ROUND_SINGLE && shift[i] > 0 &&
            (shift[i] > 30 || (mult[i] != 0 && mult[i] > -(1 << 30) && mult[i] < (1 << 30))))
            return 0;
    }
    return 1;
}

struct rqn {
    int32x4_t mult, lsh, nrsh; /* left shift max(s,0); minus the right shift, min(s,0) */
    uint32x4_t kz;             /* single rounding: lanes without right shift */
    int single, lsh_any;       /* lsh_any: some lane shifts left */
};

static inline struct rqn rqn_load(const int32_t *mult, const int32_t *shift, int32_t rounding) {
    struct rqn r;
    int32x4_t s = vld1q_s32(shift), z = vdupq_n_s32(0);
    r.mult = vld1q_s32(mult);
    r.lsh = vmaxq_s32(s, z);
    r.nrsh = vminq_s32(s, z);
    r.kz = vceqq_s32(r.nrsh, z);
    r.single = rounding == ECL_ROUND_SINGLE;
    r.lsh_any = vmaxvq_s32(r.lsh) > 0;
    return r;
}

/* Why these equal ecl_requant_r():
 * - double: vqshlq saturates the left shift as ecl_requant() clamps it; vqrdmulhq is
 *   SaturatingRoundingDoublingHighMul (floor((a*m + 2^30) / 2^31), both signs, no saturation
 *   since m != INT32_MIN); RoundingDivideByPOT by e = -nrsh as gemmlowp does it on NEON:
 *   subtract 1 from negative values when e > 0 (the sign bit of x & -e), then vrshlq, which
 *   rounds half up exactly (x = INT32_MIN saturates the subtraction but divides exactly).
 * - single, k = -nrsh: k = 0 is (P + 2^30) >> 31 = vqrdmulhq (P = x*m); k >= 1 is
 *   (P + 2^(30+k)) >> (31+k) = (g + 2^(k-1)) >> k with g = P >> 31 = vqdmulhq (the added
 *   2^(30+k) is a multiple of 2^31), and vrshlq by -k computes that without overflow.
 * - single with a left shift s in [1, 30] (k = 31 - s): x' = x * 2^s saturated (vqshlq), then
 *   the k = 0 case on x'. When x * 2^s fits int32, (x'*m + 2^30) >> 31 = (x*m + 2^(k-1)) >> k
 *   exactly. Otherwise |x| >= 2^(31-s), and with |m| >= 2^30 (rqn_vec_ok) both the exact value
 *   x*m / 2^k and the result from x' = +-(2^31 - 1) have a magnitude >= 2^30 - 1 and the sign of
 *   x*m: after + zp both clamp to the same end of [lo, hi] (rqo_ok), so the output stage is
 *   exact, the raw value not (the argument of rq_single() in x86/q_avx2.h). */
static inline int32x4_t rqn_raw(int32x4_t x, const struct rqn *r) {
    if (r->single) {
        int32x4_t h = vqrdmulhq_s32(r->lsh_any ? vqshlq_s32(x, r->lsh) : x, r->mult);
        int32x4_t q = vrshlq_s32(vqdmulhq_s32(x, r->mult), r->nrsh);
        return vbslq_s32(r->kz, h, q);
    }
    int32x4_t h = vqrdmulhq_s32(vqshlq_s32(x, r->lsh), r->mult);
    int32x4_t fix = vshrq_n_s32(vandq_s32(h, r->nrsh), 31);
    return vrshlq_s32(vqaddq_s32(h, fix), r->nrsh);
}

/* ---- output stage of the int8 kernels (arm/neon_i8_body.h, arm/neon_dw_i8.c) ----
 * clamp(zp + v, lo, hi) as ecl_requant_out_r() finishes: vqaddq_s32 saturates, and with zp, lo
 * and hi within int8 (rqo_ok) a saturated sum lies beyond the bound on its side, as the int64 sum
 * would; then the 4 lanes are narrowed to bytes. */
struct rqo {
    int32x4_t zp, lo, hi;
};

static inline int rqo_ok(int32_t zp, int32_t lo, int32_t hi) {
    return zp >= -128 && zp <= 127 && lo >= -128 && hi <= 127 && lo <= hi;
}

static inline struct rqo rqo_make(int32_t zp, int32_t lo, int32_t hi) {
    struct rqo o = {vdupq_n_s32(zp), vdupq_n_s32(lo), vdupq_n_s32(hi)};
    return o;
}

static inline int32x4_t rqo_apply(int32x4_t v, const struct rqo *o) {
    return vminq_s32(vmaxq_s32(vqaddq_s32(v, o->zp), o->lo), o->hi);
}

/* rqn_raw() then the output stage: what the kernels do with 4 accumulators. */
static inline int32x4_t rqo_requant(int32x4_t x, const struct rqn *r, const struct rqo *o) {
    return rqo_apply(rqn_raw(x, r), o);
}

/* The same lane by lane through ecl_requant_out_r(), for parameters outside rqn_vec_ok() or
 * rqo_ok(). */
static inline int32x4_t rqo_requant_scalar(int32x4_t x, const int32_t m[4], const int32_t s[4],
                                           int32_t zp, int32_t lo, int32_t hi, int32_t rounding) {
    int32_t v[4];
    vst1q_s32(v, x);
    for (int i = 0; i < 4; i++)
        v[i] = ecl_requant_out_r(v[i], m[i], s[i], zp, lo, hi, rounding);
    return vld1q_s32(v);
}

/* Stores the first n (1..4) lanes, already within int8, as bytes (dst need not be aligned). */
static inline void rqo_store(int8_t *dst, int32x4_t v, int n) {
    int8x8_t b = vmovn_s16(vcombine_s16(vmovn_s32(v), vdup_n_s16(0)));
    if (n == 4) {
        int32_t w = vget_lane_s32(vreinterpret_s32_s8(b), 0);
        memcpy(dst, &w, 4);
    } else {
        int8_t t[8];
        vst1_s8(t, b);
        for (int i = 0; i < n; i++)
            dst[i] = t[i];
    }
}

#endif

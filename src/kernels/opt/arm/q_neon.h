/* src/kernels/opt/arm/q_neon.h - int8 requantisation for the NEON int8 kernels: 4 lanes of
 * ecl_requant_r() (src/kernels/kernels.h) in both roundings of enum ecl_rounding, so every NEON
 * int8 kernel follows the op's rounding through this one helper:
 *
 *     if (rqn_vec_ok(p->out_mult + c, p->out_shift + c, 4, p->rounding)) {
 *         struct rqn r = rqn_load(p->out_mult + c, p->out_shift + c, p->rounding);
 *         int32x4_t v = rqn_raw(acc, &r);      // then + zero point, clamp, narrow
 *     }                                         // else ecl_requant_out_r() per lane
 *
 * Bit-exact with ecl_requant_r() on the domain rqn_vec_ok() accepts (checked under qemu by
 * tests/test_kernels_opt.c, test_requant_neon); other parameters take the scalar function. */
#ifndef EDGECL_Q_NEON_H
#define EDGECL_Q_NEON_H

#include <arm_neon.h>
#include <stdint.h>
#include "kernels/kernels.h"

/* Double rounding: every shift in [-31, 31]; single rounding: right shifts only (shift <= 0).
 * mult never INT32_MIN (ecl_quantize_multiplier gives [2^30, 2^31) or 0). */
static inline int rqn_vec_ok(const int32_t *mult, const int32_t *shift, int n, int32_t rounding) {
    int32_t max_shift = rounding == ECL_ROUND_SINGLE ? 0 : 31;
    for (int i = 0; i < n; i++)
        if (mult[i] == INT32_MIN || shift[i] > max_shift || shift[i] < -31) return 0;
    return 1;
}

struct rqn {
    int32x4_t mult, lsh, nrsh; /* left shift max(s,0); minus the right shift, min(s,0) */
    uint32x4_t kz;             /* single rounding: lanes without right shift */
    int single;
};

static inline struct rqn rqn_load(const int32_t *mult, const int32_t *shift, int32_t rounding) {
    struct rqn r;
    int32x4_t s = vld1q_s32(shift), z = vdupq_n_s32(0);
    r.mult = vld1q_s32(mult);
    r.lsh = vmaxq_s32(s, z);
    r.nrsh = vminq_s32(s, z);
    r.kz = vceqq_s32(r.nrsh, z);
    r.single = rounding == ECL_ROUND_SINGLE;
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
 *   2^(30+k) is a multiple of 2^31), and vrshlq by -k computes that without overflow. */
static inline int32x4_t rqn_raw(int32x4_t x, const struct rqn *r) {
    if (r->single) {
        int32x4_t h = vqrdmulhq_s32(x, r->mult);
        int32x4_t q = vrshlq_s32(vqdmulhq_s32(x, r->mult), r->nrsh);
        return vbslq_s32(r->kz, h, q);
    }
    int32x4_t h = vqrdmulhq_s32(vqshlq_s32(x, r->lsh), r->mult);
    int32x4_t fix = vshrq_n_s32(vandq_s32(h, r->nrsh), 31);
    return vrshlq_s32(vqaddq_s32(h, fix), r->nrsh);
}

#endif

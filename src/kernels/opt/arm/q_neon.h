/* src/kernels/opt/arm/q_neon.h - 4-lane int8 requantisation shared by the AArch64 int8 kernels
 * (neon_i8.c, neon_dot.c through neon_i8_body.h): ecl_requant_out() on an int32x4_t of
 * accumulators with per-lane (mult, shift), and the argument why it is bit-exact.
 *
 *   left shift:  vqshlq_s32 by max(shift, 0) saturates exactly like the scalar clamp of
 *                x * 2^left to int32.
 *   SRDHM:       vqrdmulhq_s32(x, m) = floor((x*m + 2^30) / 2^31), saturated. ecl_srdhm() adds
 *                2^30 (x*m >= 0) or 1 - 2^30 (x*m < 0) and truncates toward zero; for x*m = -v < 0
 *                that is -floor((v - 1 + 2^30) / 2^31) = -ceil((v - 2^30) / 2^31)
 *                = floor((x*m + 2^30) / 2^31): the same integer. Both saturate only for
 *                INT32_MIN * INT32_MIN, to INT32_MAX.
 *   RDBPOT(e):   vrshlq_s32 by -e is floor((x + 2^(e-1)) / 2^e) (rounds halves up); ecl_rdbpot()
 *                rounds halves away from zero. Subtracting 1 from negative x first (the fix-up
 *                TFLite's NEON code uses; (x & -e) >> 31 is -1 exactly when x < 0 and e > 0)
 *                gives floor((x - 1 + 2^(e-1)) / 2^e) = q + (r > 2^(e-1)) with x = q*2^e + r,
 *                which is ecl_rdbpot's "remainder > threshold" for x < 0. x = INT32_MIN: the
 *                saturating add keeps it, and it is a multiple of 2^e (e <= 31), so both agree.
 *   output:      vqaddq_s32 with zp in [-128, 127] then clamp to [lo, hi] within [-128, 127]:
 *                a saturated sum lies beyond the bound on its side, as the int64 sum would.
 * Valid under rqn_ok() (shifts in [-31, 31], zero point and bounds in int8); other parameters
 * take the scalar function itself. */
#ifndef EDGECL_Q_NEON_H
#define EDGECL_Q_NEON_H

#include <arm_neon.h>
#include <stdint.h>
#include <string.h>
#include "kernels/kernels.h"

static inline int rqn_ok(const int32_t *mult, const int32_t *shift, int n, int32_t zp, int32_t lo,
                         int32_t hi) {
    if (zp < -128 || zp > 127 || lo < -128 || hi > 127 || lo > hi) return 0;
    for (int i = 0; i < n; i++)
        if (shift[i] > 31 || shift[i] < -31) return 0;
    (void)mult;
    return 1;
}

struct rqn {
    int32x4_t mult, lsh, rsh; /* rsh = min(shift, 0): a right shift as a negative vrshl count */
    int32x4_t zp, lo, hi;
};

static inline struct rqn rqn_from(int32x4_t mult, int32x4_t shift, int32_t zp, int32_t lo,
                                  int32_t hi) {
    struct rqn r;
    const int32x4_t z = vdupq_n_s32(0);
    r.mult = mult;
    r.lsh = vmaxq_s32(shift, z);
    r.rsh = vminq_s32(shift, z);
    r.zp = vdupq_n_s32(zp);
    r.lo = vdupq_n_s32(lo);
    r.hi = vdupq_n_s32(hi);
    return r;
}

/* clamp(zp + requant(x, mult, shift), lo, hi) on 4 lanes (see above). */
static inline int32x4_t rqn_out(int32x4_t x, const struct rqn *r) {
    x = vqshlq_s32(x, r->lsh);
    x = vqrdmulhq_s32(x, r->mult);
    x = vqaddq_s32(x, vshrq_n_s32(vandq_s32(x, r->rsh), 31));
    x = vrshlq_s32(x, r->rsh);
    x = vqaddq_s32(x, r->zp);
    return vminq_s32(vmaxq_s32(x, r->lo), r->hi);
}

/* The scalar path for parameters outside rqn_ok(): lane by lane through ecl_requant_out(). */
static inline int32x4_t rqn_out_scalar(int32x4_t x, const int32_t mult[4], const int32_t shift[4],
                                       int32_t zp, int32_t lo, int32_t hi) {
    int32_t v[4];
    vst1q_s32(v, x);
    for (int i = 0; i < 4; i++)
        v[i] = ecl_requant_out(v[i], mult[i], shift[i], zp, lo, hi);
    return vld1q_s32(v);
}

/* Stores the first n (1..4) lanes, already within int8, as bytes. */
static inline void rqn_store(int8_t *dst, int32x4_t v, int n) {
    int8x8_t b = vmovn_s16(vcombine_s16(vmovn_s32(v), vdup_n_s16(0)));
    if (n == 4) {
        int32_t w = vget_lane_s32(vreinterpret_s32_s8(b), 0);
        memcpy(dst, &w, 4); /* dst need not be 4-byte aligned */
    } else {
        int8_t t[8];
        vst1_s8(t, b);
        for (int i = 0; i < n; i++)
            dst[i] = t[i];
    }
}

#endif

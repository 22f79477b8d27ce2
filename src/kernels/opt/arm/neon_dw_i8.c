/* int8 DEPTHWISE_CONV_2D for AArch64 (plain NEON, installed with or without the dot-product
 * extension: SDOT sums 4 neighbouring bytes, while a depthwise channel never sums across
 * channels, so it would need the taps transposed first). Bit-exact with the reference: 8 channels
 * per step, x - in_zp and w - w_zp widened to int16 (both within [-255, 255]), multiplied and
 * accumulated into int32 (SMLAL, SMLAL2: each product within 255^2, exact), requantised by
 * q_neon.h; a channel tail of fewer than 8 takes the scalar formula. Per output row and 8-channel
 * chunk the widened weights are made once, then each pixel loops over its in-image taps only
 * (the tap range is clipped, as the reference skips taps outside the image). depth_multiplier != 1,
 * dilation and kernels over 5x5 go to the reference. Threads split output rows. */
#if defined(__aarch64__)
#include <arm_neon.h>
#include "kernels/opt/arm/q_neon.h"
#include "kernels/opt/opt.h"

struct dw_job {
    const struct ecl_conv_params *p;
    const int8_t *in, *w;
    const int32_t *bias;
    int8_t *out;
    struct ecl_shape4 is, ws, os;
    int vec_ok;
};

#define DW_MAX_TAPS 25 /* kernels up to 5x5 keep their weights in registers/stack */

/* Channels [c, c+8) of the output row y of image n (input inb, output ob): the weights
 * w - w_zp of the chunk widened once, then every pixel of the row. */
static void dw_row8(const struct dw_job *j, const int8_t *inb, int y, int c, int8_t *ob) {
    const struct ecl_conv_params *p = j->p;
    struct ecl_shape4 is = j->is, ws = j->ws, os = j->os;
    const int C = is.c, taps = ws.h * ws.w;
    const int16x8_t izp = vdupq_n_s16((int16_t)p->in_zp), wzp = vdupq_n_s16((int16_t)p->w_zp);
    int16x8_t wv[DW_MAX_TAPS];
    for (int t = 0; t < taps; t++)
        wv[t] = vsubq_s16(vmovl_s8(vld1_s8(j->w + (size_t)t * C + c)), wzp);
    const int32x4_t b0 = j->bias ? vld1q_s32(j->bias + c) : vdupq_n_s32(0);
    const int32x4_t b1 = j->bias ? vld1q_s32(j->bias + c + 4) : vdupq_n_s32(0);
    const int32_t *m = p->out_mult + c, *s = p->out_shift + c;
    struct rqn r0 = rqn_load(m, s, p->rounding), r1 = rqn_load(m + 4, s + 4, p->rounding);
    struct rqo ro = rqo_make(p->out_zp, p->act_min_q, p->act_max_q);
    int ky0 = p->pad_top - y * p->stride_h, ky1 = is.h + p->pad_top - y * p->stride_h;
    if (ky0 < 0) ky0 = 0;
    if (ky1 > ws.h) ky1 = ws.h;
    const int full3 = ws.h == 3 && ws.w == 3 && ky0 == 0 && ky1 == 3;
    for (int x = 0; x < os.w; x++) {
        int x0 = x * p->stride_w - p->pad_left;
        int kx0 = x0 < 0 ? -x0 : 0, kx1 = is.w - x0 < ws.w ? is.w - x0 : ws.w;
        int32x4_t a0 = b0, a1 = b1;
        if (full3 && kx0 == 0 && kx1 == 3) { /* 3x3, every tap in the image: unrolled */
            const int8_t *t = inb + ((size_t)(y * p->stride_h - p->pad_top) * is.w + x0) * C + c;
            const size_t rs = (size_t)is.w * C;
#define DW_TAP(k, ptr)                                                                             \
    do {                                                                                           \
        int16x8_t xv = vsubq_s16(vmovl_s8(vld1_s8(ptr)), izp);                                     \
        a0 = vmlal_s16(a0, vget_low_s16(xv), vget_low_s16(wv[k]));                                 \
        a1 = vmlal_high_s16(a1, xv, wv[k]);                                                        \
    } while (0)
            DW_TAP(0, t);
            DW_TAP(1, t + C);
            DW_TAP(2, t + 2 * C);
            DW_TAP(3, t + rs);
            DW_TAP(4, t + rs + C);
            DW_TAP(5, t + rs + 2 * C);
            DW_TAP(6, t + 2 * rs);
            DW_TAP(7, t + 2 * rs + C);
            DW_TAP(8, t + 2 * rs + 2 * C);
#undef DW_TAP
        } else {
            for (int ky = ky0; ky < ky1; ky++) {
                const int8_t *row =
                    inb + ((size_t)(y * p->stride_h - p->pad_top + ky) * is.w) * C + c;
                const int16x8_t *wr = wv + ky * ws.w;
                for (int kx = kx0; kx < kx1; kx++) {
                    int16x8_t xv = vsubq_s16(vmovl_s8(vld1_s8(row + (size_t)(x0 + kx) * C)), izp);
                    a0 = vmlal_s16(a0, vget_low_s16(xv), vget_low_s16(wr[kx]));
                    a1 = vmlal_high_s16(a1, xv, wr[kx]);
                }
            }
        }
        if (j->vec_ok) {
            a0 = rqo_requant(a0, &r0, &ro);
            a1 = rqo_requant(a1, &r1, &ro);
        } else {
            a0 = rqo_requant_scalar(a0, m, s, p->out_zp, p->act_min_q, p->act_max_q, p->rounding);
            a1 = rqo_requant_scalar(a1, m + 4, s + 4, p->out_zp, p->act_min_q, p->act_max_q,
                                    p->rounding);
        }
        vst1_s8(ob + (size_t)x * C + c, vmovn_s16(vcombine_s16(vmovn_s32(a0), vmovn_s32(a1))));
    }
}

/* One channel, the reference formula. */
static inline int8_t dw_1(const struct dw_job *j, const int8_t *inb, int y, int x, int c) {
    const struct ecl_conv_params *p = j->p;
    struct ecl_shape4 is = j->is, ws = j->ws;
    uint32_t acc = j->bias ? (uint32_t)j->bias[c] : 0u;
    for (int ky = 0; ky < ws.h; ky++) {
        int iy = y * p->stride_h - p->pad_top + ky;
        if (iy < 0 || iy >= is.h) continue;
        for (int kx = 0; kx < ws.w; kx++) {
            int ix = x * p->stride_w - p->pad_left + kx;
            if (ix < 0 || ix >= is.w) continue;
            int32_t iv = inb[((size_t)iy * is.w + ix) * is.c + c];
            int32_t wv = j->w[((size_t)ky * ws.w + kx) * ws.c + c];
            acc += (uint32_t)((iv - p->in_zp) * (wv - p->w_zp));
        }
    }
    return (int8_t)ecl_requant_out_r((int32_t)acc, p->out_mult[c], p->out_shift[c], p->out_zp,
                                     p->act_min_q, p->act_max_q, p->rounding);
}

static void dw_rows(void *ctx, int begin, int end) {
    const struct dw_job *j = ctx;
    struct ecl_shape4 is = j->is, os = j->os;
    const int C = os.c, C8 = C & ~7;
    for (int r = begin; r < end; r++) {
        int n = r / os.h, y = r % os.h;
        const int8_t *inb = j->in + (size_t)n * is.h * is.w * C;
        int8_t *ob = j->out + ((size_t)n * os.h + y) * os.w * C;
        for (int c = 0; c < C8; c += 8)
            dw_row8(j, inb, y, c, ob);
        for (int x = 0; C8 < C && x < os.w; x++)
            for (int c = C8; c < C; c++)
                ob[(size_t)x * C + c] = dw_1(j, inb, y, x, c);
    }
}

void ecl_neon_dwconv_i8(const struct ecl_kctx *kc, const struct ecl_conv_params *p,
                        const int8_t *in, struct ecl_shape4 is, const int8_t *w,
                        struct ecl_shape4 ws, const int32_t *bias, int8_t *out,
                        struct ecl_shape4 os) {
    int dm = p->depth_multiplier > 0 ? p->depth_multiplier : 1;
    if (dm != 1 || is.c != os.c || ws.c != os.c || p->dil_h != 1 || p->dil_w != 1 ||
        ws.h * ws.w > DW_MAX_TAPS || p->in_zp < -128 || p->in_zp > 127 || p->w_zp < -128 ||
        p->w_zp > 127) {
        ecl_ref_dwconv_i8(kc, p, in, is, w, ws, bias, out, os);
        return;
    }
    struct dw_job j = {p, in, w, bias, out, is, ws, os, 0};
    j.vec_ok = rqn_vec_ok(p->out_mult, p->out_shift, os.c, p->rounding) &&
               rqo_ok(p->out_zp, p->act_min_q, p->act_max_q);
    ecl_kctx_run(kc, os.n * os.h, dw_rows, &j);
}
#endif

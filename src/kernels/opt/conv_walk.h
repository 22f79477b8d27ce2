/* src/kernels/opt/conv_walk.h - scalar index helpers shared by the optimised conv and depthwise
 * kernels of every instruction set (x86/avx2_*.c, x86/avx512_conv.c): walking output pixels in
 * NHWC order, and the range of output columns whose whole filter window lies inside the image. */
#ifndef EDGECL_KERNELS_OPT_CONV_WALK_H
#define EDGECL_KERNELS_OPT_CONV_WALK_H

#include <stddef.h>
#include "kernels/kernels.h"

/* Output pixel index q -> (n, y, x); done once per tile, then stepped (divisions are slow). */
struct ecl_pix {
    int n, y, x;
};

static inline struct ecl_pix ecl_pix_of(struct ecl_shape4 os, int q) {
    int ohw = os.h * os.w, r = q % ohw;
    struct ecl_pix px = {q / ohw, r / os.w, r % os.w};
    return px;
}

static inline void ecl_pix_next(struct ecl_shape4 os, struct ecl_pix *px) {
    if (++px->x == os.w) {
        px->x = 0;
        if (++px->y == os.h) px->y = 0, px->n++;
    }
}

/* Input pixel row read by output pixel px of a 1x1 conv without padding. */
static inline const float *ecl_pix_1x1(const float *in, struct ecl_shape4 is,
                                       const struct ecl_conv_params *p, struct ecl_pix px) {
    int iy = px.y * p->stride_h, ix = px.x * p->stride_w;
    return in + (((size_t)px.n * is.h + iy) * is.w + ix) * is.c;
}

/* Interior output columns [*x_lo, *x_hi): for every kx of a kw-wide filter (no dilation) the
 * input column is inside the image, so kernels can skip the bounds checks there. */
static inline void ecl_interior_cols(const struct ecl_conv_params *p, struct ecl_shape4 is,
                                     struct ecl_shape4 os, int kw, int *x_lo, int *x_hi) {
    const int sw = p->stride_w;
    int lo = (p->pad_left + sw - 1) / sw, hi = os.w;
    while (hi > lo && (hi - 1) * sw - p->pad_left + kw > is.w)
        hi--;
    if (lo > hi) lo = hi;
    if (lo > os.w) lo = hi = os.w;
    *x_lo = lo;
    *x_hi = hi;
}

#endif

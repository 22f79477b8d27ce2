/* RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR over the H and W of an NHWC tensor (rank <= 4,
 * right-aligned). The second input (int32 [2]: height, width) must equal the declared output's
 * H and W; a non-constant one is checked at every run. Options: align_corners and
 * half_pixel_centers (bilinear refuses both at once, as TFLite does).
 * TFLite's reference arithmetic:
 *   - bilinear float32: source coordinate y*s (or (y+0.5)*s-0.5) in float, floor / ceil clamped,
 *     weights in float;
 *   - bilinear uint8 (lowered: the values are taken back to 0..255): the same float formula plus
 *     0.5, truncated (reference_ops::ResizeBilinear<uint8_t>);
 *   - bilinear int8: ResizeBilinearInteger, 10-bit fixed-point coordinates, int64 weighted sum
 *     rounded half away from zero over 2^20;
 *   - nearest: floor((x + offset) * scale), or round half away with align_corners, clamped to
 *     the input; any type (rows are copied as bytes).
 * The values are not requantised (TFLite requires the same quantisation in and out). */
#include "tflite/ops/ops.h"

/* The size input's values: 0 if they do not match the output. */
static int size_matches(const struct ecl_tensor *size, const struct ecl_resize_data *d) {
    const int32_t *s = size->data;
    return s && s[0] == d->os.h && s[1] == d->os.w;
}

static enum ecl_status size_fail(const struct ecl_exec *x) {
    ecl_msg_str(x->e, "size input differs from the output's height and width");
    return ECL_EFORMAT;
}

/* ------------------------------------------------------------------ bilinear, float formula */
static float bl_scale(int32_t in, int32_t out, int align) {
    if (align && out > 1) return (float)(in - 1) / (float)(out - 1);
    return (float)in / (float)out;
}

struct bl_axis {
    float v;
    int32_t lo, hi;
};

static struct bl_axis bl_coord(int32_t i, float scale, int half, int32_t in) {
    struct bl_axis a;
    a.v = half ? ((float)i + 0.5f) * scale - 0.5f : (float)i * scale;
    int32_t f = (int32_t)floorf(a.v), c = (int32_t)ceilf(a.v);
    a.lo = f > 0 ? f : 0;
    a.hi = c < in - 1 ? c : in - 1;
    return a;
}

/* One output pixel's four source offsets (in elements, channel 0), in the order of TFLite's
 * sum: (y0,x0), (y1,x0), (y0,x1), (y1,x1). */
struct bl_pix {
    size_t o00, o10, o01, o11;
};

static struct bl_pix bl_pixel(const struct ecl_resize_data *d, size_t base, struct bl_axis ay,
                              struct bl_axis ax) {
    struct bl_pix p;
    size_t row = (size_t)d->is.w * (size_t)d->is.c, c = (size_t)d->is.c;
    p.o00 = base + (size_t)ay.lo * row + (size_t)ax.lo * c;
    p.o10 = base + (size_t)ay.hi * row + (size_t)ax.lo * c;
    p.o01 = base + (size_t)ay.lo * row + (size_t)ax.hi * c;
    p.o11 = base + (size_t)ay.hi * row + (size_t)ax.hi * c;
    return p;
}

/* TFLite evaluates v00*(1-dy)*(1-dx) + v10*dy*(1-dx) + ... left to right: the products are
 * formed as (v * wy) * wx, so the weights are not pre-multiplied here. */
static float bl_sum(float v00, float v10, float v01, float v11, float dy, float dx) {
    return v00 * (1 - dy) * (1 - dx) + v10 * dy * (1 - dx) + v01 * (1 - dy) * dx + v11 * dy * dx;
}

typedef void (*bl_px_fn)(const void *in, void *out, size_t o, const struct bl_pix *p, int32_t c,
                         float dy, float dx);

static void bl_px_f32(const void *in, void *out, size_t o, const struct bl_pix *p, int32_t c,
                      float dy, float dx) {
    const float *a = in;
    float *y = out;
    for (int32_t k = 0; k < c; k++)
        y[o + (size_t)k] =
            bl_sum(a[p->o00 + k], a[p->o10 + k], a[p->o01 + k], a[p->o11 + k], dy, dx);
}

/* uint8 held as int8 (value - 128): back to 0..255, TFLite's formula + 0.5 truncated. */
static void bl_px_u8(const void *in, void *out, size_t o, const struct bl_pix *p, int32_t c,
                     float dy, float dx) {
    const int8_t *a = in;
    int8_t *y = out;
    for (int32_t k = 0; k < c; k++) {
        float v = bl_sum((float)(a[p->o00 + k] + 128), (float)(a[p->o10 + k] + 128),
                         (float)(a[p->o01 + k] + 128), (float)(a[p->o11 + k] + 128), dy, dx) +
                  0.5f;
        int32_t q = (int32_t)v; /* in 0..255 (a convex combination, the weights sum to 1) */
        q = q < 0 ? 0 : (q > 255 ? 255 : q);
        y[o + (size_t)k] = (int8_t)(q - 128);
    }
}

static enum ecl_status bl_float_formula(const struct ecl_exec *x, const struct ecl_node *n,
                                        bl_px_fn px) {
    const struct ecl_resize_data *d = n->data;
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    if (!size_matches(ecl_in(x, n, 1), d)) return size_fail(x);
    float sy = bl_scale(d->is.h, d->os.h, d->align_corners);
    float sx = bl_scale(d->is.w, d->os.w, d->align_corners);
    size_t o = 0, plane = (size_t)d->is.h * (size_t)d->is.w * (size_t)d->is.c;
    for (int32_t b = 0; b < d->os.n; b++)
        for (int32_t yy = 0; yy < d->os.h; yy++) {
            struct bl_axis ay = bl_coord(yy, sy, d->half_pixel, d->is.h);
            for (int32_t xx = 0; xx < d->os.w; xx++) {
                struct bl_axis ax = bl_coord(xx, sx, d->half_pixel, d->is.w);
                struct bl_pix p = bl_pixel(d, (size_t)b * plane, ay, ax);
                px(in->data, out->data, o, &p, d->os.c, ay.v - (float)ay.lo, ax.v - (float)ax.lo);
                o += (size_t)d->os.c;
            }
        }
    return ECL_OK;
}

static enum ecl_status bilinear_f32(const struct ecl_exec *x, const struct ecl_node *n) {
    return bl_float_formula(x, n, bl_px_f32);
}

static enum ecl_status bilinear_u8(const struct ecl_exec *x, const struct ecl_node *n) {
    return bl_float_formula(x, n, bl_px_u8);
}

/* ------------------------------------------------------------------ bilinear, int8 fixed point */
static int32_t bl_scale10(int32_t in, int32_t out, int align) {
    if (align && out > 1) return ((1 << 10) * (in - 1) + (out - 1) / 2) / (out - 1);
    return ((1 << 10) * in + out / 2) / out;
}

struct bl_iaxis {
    int32_t v, lo, hi;
};

static struct bl_iaxis bl_icoord(int32_t i, int32_t s10, int half, int32_t in) {
    struct bl_iaxis a;
    a.v = half ? i * s10 + s10 / 2 - (1 << 9) : i * s10;
    int32_t lo = a.v / (1 << 10), hi = (a.v + (1 << 10) - 1) / (1 << 10); /* C truncation */
    a.lo = lo > 0 ? lo : 0;
    a.hi = hi < in - 1 ? hi : in - 1;
    return a;
}

static enum ecl_status bilinear_i8(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_resize_data *d = n->data;
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    if (!size_matches(ecl_in(x, n, 1), d)) return size_fail(x);
    const int8_t *a = in->data;
    int8_t *y = out->data;
    int32_t sy = bl_scale10(d->is.h, d->os.h, d->align_corners);
    int32_t sx = bl_scale10(d->is.w, d->os.w, d->align_corners);
    size_t o = 0, plane = (size_t)d->is.h * (size_t)d->is.w * (size_t)d->is.c;
    size_t row = (size_t)d->is.w * (size_t)d->is.c, ch = (size_t)d->is.c;
    for (int32_t b = 0; b < d->os.n; b++)
        for (int32_t yy = 0; yy < d->os.h; yy++) {
            struct bl_iaxis ay = bl_icoord(yy, sy, d->half_pixel, d->is.h);
            int64_t fy = ay.v - (1 << 10) * ay.lo; /* may be negative with half_pixel_centers */
            for (int32_t xx = 0; xx < d->os.w; xx++) {
                struct bl_iaxis ax = bl_icoord(xx, sx, d->half_pixel, d->is.w);
                int64_t fx = ax.v - (1 << 10) * ax.lo;
                const int8_t *r0 = a + (size_t)b * plane + (size_t)ay.lo * row;
                const int8_t *r1 = a + (size_t)b * plane + (size_t)ay.hi * row;
                size_t c0 = (size_t)ax.lo * ch, c1 = (size_t)ax.hi * ch;
                for (size_t k = 0; k < ch; k++) {
                    int64_t s = (int64_t)r0[c0 + k] * ((1 << 10) - fy) * ((1 << 10) - fx) +
                                (int64_t)r1[c0 + k] * fy * ((1 << 10) - fx) +
                                (int64_t)r0[c1 + k] * ((1 << 10) - fy) * fx +
                                (int64_t)r1[c1 + k] * fy * fx;
                    int64_t q = (s + (s > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20);
                    y[o + k] = (int8_t)(q < -128 ? -128 : (q > 127 ? 127 : q));
                }
                o += ch;
            }
        }
    return ECL_OK;
}

/* ------------------------------------------------------------------ nearest neighbour */
static int32_t nn_index(int32_t i, int32_t in, int32_t out, int align, int half) {
    float scale = align && out > 1 ? (float)(in - 1) / (float)(out - 1) : (float)in / (float)out;
    float v = ((float)i + (half ? 0.5f : 0.0f)) * scale;
    int32_t r = align ? (int32_t)roundf(v) : (int32_t)floorf(v);
    if (r > in - 1) r = in - 1;
    if (half && r < 0) r = 0;
    return r;
}

static enum ecl_status nearest(const struct ecl_exec *x, const struct ecl_node *n) {
    const struct ecl_resize_data *d = n->data;
    const struct ecl_tensor *in = ecl_in(x, n, 0), *out = ecl_out(x, n, 0);
    if (!size_matches(ecl_in(x, n, 1), d)) return size_fail(x);
    size_t es = out->count ? out->bytes / out->count : 0;
    size_t px = (size_t)d->is.c * es, row = (size_t)d->is.w * px, plane = (size_t)d->is.h * row;
    const uint8_t *a = in->data;
    uint8_t *y = out->data;
    for (int32_t b = 0; b < d->os.n; b++)
        for (int32_t yy = 0; yy < d->os.h; yy++) {
            int32_t iy = nn_index(yy, d->is.h, d->os.h, d->align_corners, d->half_pixel);
            for (int32_t xx = 0; xx < d->os.w; xx++) {
                int32_t ix = nn_index(xx, d->is.w, d->os.w, d->align_corners, d->half_pixel);
                memcpy(y, a + (size_t)b * plane + (size_t)iy * row + (size_t)ix * px, px);
                y += px;
            }
        }
    return ECL_OK;
}

/* ------------------------------------------------------------------ prepare */
enum ecl_status ecl_prep_resize(struct ecl_prep *p) {
    struct ecl_resize_data *d = p->data;
    struct ecl_tensor *in = p->in[0], *size = p->in[1], *out = p->out[0];
    int bilinear = p->builtin == ECL_OP_RESIZE_BILINEAR;
    /* ResizeBilinearOptions: new_height, new_width (deprecated), align_corners,
     * half_pixel_centers; ResizeNearestNeighborOptions: align_corners, half_pixel_centers */
    d->align_corners = ecl_opt_u8(p, bilinear ? 2 : 0, 0) != 0;
    d->half_pixel = ecl_opt_u8(p, bilinear ? 3 : 1, 0) != 0;
    if (bilinear && d->align_corners && d->half_pixel)
        return ecl_prep_fail(p, ECL_EFORMAT, "align_corners and half_pixel_centers both set");
    if (in->ndims != 4 || out->ndims != 4)
        return ecl_prep_fail(p, ECL_EFORMAT, "input and output must be 4-D (NHWC)");
    if (size->type != ECL_DT_INT32 || size->count != 2)
        return ecl_prep_fail(p, ECL_EFORMAT, "size must be int32 [height, width]");
    if (in->type != out->type) return ecl_prep_fail(p, ECL_EFORMAT, "output type differs");
    d->is = ecl_tensor_shape4(in);
    d->os = ecl_tensor_shape4(out);
    if (d->is.n != d->os.n || d->is.c != d->os.c)
        return ecl_prep_fail(p, ECL_EFORMAT, "output batch or channels differ from the input");
    if (d->os.h < 1 || d->os.w < 1 || d->is.h < 1 || d->is.w < 1)
        return ecl_prep_fail(p, ECL_EFORMAT, "empty height or width");
    /* the 10-bit coordinates of the int8 path stay within int32 */
    if (d->os.h > (1 << 20) || d->is.h > (1 << 20) || d->os.w > (1 << 20) || d->is.w > (1 << 20))
        return ecl_prep_fail(p, ECL_ERANGE, "height or width too large");
    int64_t v[2];
    if (size->is_const && !ecl_prep_sizing(p) && ecl_const_ints(p, size, v, 2) == 2 &&
        (v[0] != d->os.h || v[1] != d->os.w))
        return ecl_prep_fail(p, ECL_EFORMAT,
                             "size input differs from the output's height and width");
    if (!bilinear) {
        p->eval = nearest;
        return ECL_OK;
    }
    if (in->type == ECL_DT_FLOAT32)
        p->eval = bilinear_f32;
    else if (in->type == ECL_DT_INT8)
        p->eval = in->lowered ? bilinear_u8 : bilinear_i8;
    else
        return ecl_prep_fail(p, ECL_EUNSUPPORTED, "bilinear needs float32, int8 or uint8");
    return ECL_OK;
}

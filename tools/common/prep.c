/* tools/common/prep.c - RGB8 image -> a model's input tensor (prep.h). */
#include "prep.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum ecl_status fe_prep_init(const struct ecl_model *m, const struct fe_opts *o,
                             struct fe_prep *p) {
    struct ecl_tensor_info ti;
    float mean[3], sd[3];
    memset(p, 0, sizeof *p);
    if (ecl_model_tensor_info(m, ecl_model_input_at(m, 0), &ti) != ECL_OK) return ECL_EINVAL;
    if (ti.ndims != 4 || ti.dims[0] != 1 || ti.dims[3] != 3) return ECL_EUNSUPPORTED;
    if (ti.type != ECL_DT_FLOAT32 && ti.type != ECL_DT_UINT8 && ti.type != ECL_DT_INT8)
        return ECL_EUNSUPPORTED;
    p->h = ti.dims[1];
    p->w = ti.dims[2];
    p->type = ti.type;
    p->scale = ti.n_scales ? ti.scale : 1.0f;
    p->zp = ti.zero_point;
    const char *src = "given";
    if (o && o->has_norm) {
        p->mean = o->mean;
        p->std = o->std;
    } else if (ecl_model_input_norm(m, mean, sd) == ECL_OK) {
        p->mean = mean[0];
        p->std = sd[0];
        src = "from the model's metadata";
    } else {
        int32_t t;
        int own = ecl_model_find_tensor(m, FE_DEFAULT_CUT, &t) == ECL_OK;
        p->mean = own ? 0.0f : 127.5f;
        p->std = own ? 255.0f : 127.5f;
        src = own ? "edgecl's MobileNetV2" : "default";
    }
    p->norm = ti.type == ECL_DT_FLOAT32 || (o && o->has_norm);
    const char *tn = ti.type == ECL_DT_UINT8  ? "uint8"
                     : ti.type == ECL_DT_INT8 ? "int8"
                                              : "float32";
    if (!p->norm)
        snprintf(p->desc, sizeof p->desc, "%s pixels%s", tn,
                 ti.type == ECL_DT_INT8 ? " - 128" : "");
    else
        snprintf(p->desc, sizeof p->desc, "%s (x - %g) / %g (%s)", tn, p->mean, p->std, src);
    return ECL_OK;
}

size_t fe_prep_count(const struct fe_prep *p) {
    return (size_t)p->w * p->h * 3;
}

size_t fe_prep_bytes(const struct fe_prep *p) {
    return fe_prep_count(p) * (p->type == ECL_DT_FLOAT32 ? sizeof(float) : 1);
}

/* Bilinear resize with half-pixel centres (TF's resize_bilinear with half_pixel_centers, as
 * Keras/TF.js preprocessing uses), output pixel values 0..255. */
static void resize_bilinear(const uint8_t *rgb, int w, int h, float *dst, int ow, int oh) {
    float sx = (float)w / ow, sy = (float)h / oh;
    for (int y = 0; y < oh; y++) {
        float fy = (y + 0.5f) * sy - 0.5f;
        if (fy < 0) fy = 0;
        int y0 = (int)fy, y1 = y0 + 1 < h ? y0 + 1 : h - 1;
        float wy = fy - y0;
        for (int x = 0; x < ow; x++) {
            float fx = (x + 0.5f) * sx - 0.5f;
            if (fx < 0) fx = 0;
            int x0 = (int)fx, x1 = x0 + 1 < w ? x0 + 1 : w - 1;
            float wx = fx - x0;
            for (int c = 0; c < 3; c++) {
                float a = rgb[((size_t)y0 * w + x0) * 3 + c],
                      b = rgb[((size_t)y0 * w + x1) * 3 + c];
                float cc = rgb[((size_t)y1 * w + x0) * 3 + c],
                      d = rgb[((size_t)y1 * w + x1) * 3 + c];
                float top = a + (b - a) * wx, bot = cc + (d - cc) * wx;
                dst[((size_t)y * ow + x) * 3 + c] = top + (bot - top) * wy;
            }
        }
    }
}

void fe_prep_rgb8(const struct fe_prep *p, const uint8_t *rgb, int w, int h, float *tmp,
                  void *out) {
    resize_bilinear(rgb, w, h, tmp, p->w, p->h);
    size_t n = fe_prep_count(p);
    if (p->type == ECL_DT_FLOAT32) {
        float *o = out;
        for (size_t i = 0; i < n; i++)
            o[i] = (tmp[i] - p->mean) / p->std;
        return;
    }
    uint8_t *o = out;
    int u8 = p->type == ECL_DT_UINT8, lo = u8 ? 0 : -128, hi = u8 ? 255 : 127;
    for (size_t i = 0; i < n; i++) {
        float q = p->norm ? roundf((tmp[i] - p->mean) / p->std / p->scale) + (float)p->zp
                          : roundf(tmp[i]) + (u8 ? 0.0f : -128.0f);
        int v = !(q >= (float)lo) ? lo : (q > (float)hi ? hi : (int)q);
        o[i] = (uint8_t)(u8 ? v : (uint8_t)(int8_t)v);
    }
}

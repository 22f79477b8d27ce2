/* tools/common/prep.h - how the tools turn an RGB8 image into a model's input tensor: bilinear
 * resize (half-pixel centres) to the input's HxW, then the input's own type: float32
 * (pixel - mean) / std; uint8 pixels as they are; int8 pixels - 128; or, with has_norm, the
 * normalised value quantised with the input's scale and zero point (fe.h, fe_opts.has_norm).
 * fe.c uses it for every image it extracts; tools/tflite_ref uses it to write the exact input
 * tensors edgecl feeds a model. Needs only the parsed model (no interpreter).
 *
 *     struct fe_prep p; struct fe_opts o = fe_default_opts();
 *     if (fe_prep_init(&model, &o, &p) == ECL_OK) {
 *         float *tmp = malloc(fe_prep_count(&p) * sizeof(float));
 *         void *in = malloc(fe_prep_bytes(&p));
 *         fe_prep_rgb8(&p, rgb, w, h, tmp, in);    // in: ready for ecl_interp_set_input(.., 0, ..)
 *     }
 */
#ifndef EDGECL_TOOLS_PREP_H
#define EDGECL_TOOLS_PREP_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/model.h"
#include "edgecl/status.h"
#include "fe.h"

struct fe_prep {
    int w, h;        /* the input's width and height (it is 1xHxWx3) */
    int type;        /* enum ecl_dtype of the input: float32, uint8 or int8 */
    int norm;        /* 1: normalise (float input, or has_norm) */
    float mean, std; /* value = (pixel - mean) / std */
    float scale;     /* quantised input: its scale and zero point */
    int32_t zp;
    char desc[128]; /* "uint8 pixels", "float32 (x - 127.5) / 127.5 (default)", ... */
};

/* From input 0 of m (and o's has_norm/mean/std). ECL_EUNSUPPORTED: not 1xHxWx3 of float32,
 * uint8 or int8. */
enum ecl_status fe_prep_init(const struct ecl_model *m, const struct fe_opts *o, struct fe_prep *p);
size_t fe_prep_count(const struct fe_prep *p); /* h * w * 3 */
size_t fe_prep_bytes(const struct fe_prep *p); /* count * element size */
/* tmp: fe_prep_count() floats of scratch; out: fe_prep_bytes() bytes. */
void fe_prep_rgb8(const struct fe_prep *p, const uint8_t *rgb, int w, int h, float *tmp, void *out);

#endif

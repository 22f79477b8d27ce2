/* tools/python/pyfe.c - the C side of the Python module's Model: the tools' feature extractor
 * (tools/common/fe.c: model file, cut layer, resize + normalisation as the CLI does them) and
 * image loader (tools/common/image.c: PNG, JPEG) behind a handful of batch calls for ctypes.
 * Built as _edgecl_fe.so inside the Python package (private to it, not a public C API; the
 * public C library is libedgecl). Errors: a status code and one line in err.
 */
#include <stdio.h>
#include <stdlib.h>
#include "edgecl/status.h"
#include "fe.h"
#include "image.h"

#define EXPORT __attribute__((visibility("default")))

/* cut: NULL or "" = the CLI's default (FE_CUT_DEFAULT); pool: 1 = average a 4-D cut to its
 * channels. */
EXPORT int eclpy_open(const char *path, const char *cut, int pool, int threads, struct fe **out,
                      char *err, size_t errlen) {
    struct fe_opts o = fe_default_opts();
    o.cut = cut && *cut ? cut : FE_CUT_DEFAULT;
    o.pool = pool;
    o.threads = threads > 0 ? threads : 1;
    return fe_open(path, &o, out, err, errlen);
}

EXPORT void eclpy_close(struct fe *fe) {
    fe_close(fe);
}
EXPORT uint32_t eclpy_dim(const struct fe *fe) {
    return fe_dim(fe);
}
EXPORT void eclpy_input_size(const struct fe *fe, int *w, int *h) {
    fe_input_size(fe, w, h);
}
EXPORT const char *eclpy_cut_name(const struct fe *fe) {
    return fe_cut_name(fe);
}
EXPORT const char *eclpy_preprocess(const struct fe *fe) {
    return fe_preprocess_desc(fe);
}

static int fail(enum ecl_status st, const struct fe *fe, const char *what, char *err,
                size_t errlen) {
    const char *why = fe_interp_error(fe);
    snprintf(err, errlen, "%s: %s%s%s", what, ecl_status_str(st), *why ? ": " : "", why);
    return (int)st;
}

/* n image files -> n x dim latents. */
EXPORT int eclpy_extract_files(struct fe *fe, const char *const *paths, int n, float *out,
                               char *err, size_t errlen) {
    uint32_t dim = fe_dim(fe);
    for (int i = 0; i < n; i++) {
        uint8_t *rgb = NULL;
        int w, h;
        char e[256];
        enum ecl_status st = img_load_file(paths[i], &rgb, &w, &h, e, sizeof e);
        if (st) {
            snprintf(err, errlen, "%s", e);
            return (int)st;
        }
        st = fe_extract_rgb8(fe, rgb, w, h, out + (size_t)i * dim);
        free(rgb);
        if (st) return fail(st, fe, paths[i], err, errlen);
    }
    return ECL_OK;
}

/* n RGB8 images of h x w (NHWC, contiguous) -> n x dim latents (resized and normalised). */
EXPORT int eclpy_extract_rgb8(struct fe *fe, const uint8_t *rgb, int n, int h, int w, float *out,
                              char *err, size_t errlen) {
    for (int i = 0; i < n; i++) {
        enum ecl_status st =
            fe_extract_rgb8(fe, rgb + (size_t)i * h * w * 3, w, h, out + (size_t)i * fe_dim(fe));
        if (st) return fail(st, fe, "image", err, errlen);
    }
    return ECL_OK;
}

/* n float inputs of the model's own input size (NHWC, normalised) -> n x dim latents. */
EXPORT int eclpy_extract_f32(struct fe *fe, const float *in, int n, float *out, char *err,
                             size_t errlen) {
    int w, h;
    fe_input_size(fe, &w, &h);
    for (int i = 0; i < n; i++) {
        enum ecl_status st =
            fe_extract_input_f32(fe, in + (size_t)i * h * w * 3, out + (size_t)i * fe_dim(fe));
        if (st) return fail(st, fe, "input", err, errlen);
    }
    return ECL_OK;
}

/* An image file decoded to RGB8 (PNG, JPEG), for edgecl.read_image: *rgb is malloc'd, release it
 * with eclpy_image_free. */
EXPORT int eclpy_image_load(const char *path, uint8_t **rgb, int *w, int *h, char *err,
                            size_t errlen) {
    return img_load_file(path, rgb, w, h, err, errlen);
}

EXPORT void eclpy_image_free(uint8_t *rgb) {
    free(rgb);
}

/* Sizes and offsets of struct ecl_learner_params, for the Python mirror's import-time check
 * (tools/python/edgecl/_params.py lists the same items in the same order). */
#include <stddef.h>
#include "edgecl/learner.h"
EXPORT size_t eclpy_learner_params_layout(int i) {
    static const size_t v[] = {
        sizeof(struct ecl_learner_params),           offsetof(struct ecl_learner_params, head),
        offsetof(struct ecl_learner_params, epochs), offsetof(struct ecl_learner_params, replay),
        offsetof(struct ecl_learner_params, seed),   sizeof(struct ecl_head_params),
        offsetof(struct ecl_head_params, seed),      sizeof(struct ecl_replay_params),
        offsetof(struct ecl_replay_params, seed)};
    return i >= 0 && i < (int)(sizeof v / sizeof v[0]) ? v[i] : 0;
}

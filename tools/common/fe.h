/* tools/common/fe.h - convenience feature extractor for the tools (CLI, demo, benchmarks):
 * loads a .tflite backbone, plans the arena for a chosen cut tensor, and turns RGB8 images of
 * any size into latent vectors (resize to the model input, normalise as the model expects).
 * This layer may allocate (it is not the library); the library's interpreter API is in
 * include/edgecl/model.h.
 *
 *     struct fe_opts o = fe_default_opts();
 *     o.cut = "block_13_expand_relu";       // NULL: the model's output
 *     struct fe *fe; if (fe_open("models/mobilenet_v2.tflite", &o, &fe, err, sizeof err)) ...
 *     float *lat = malloc(fe_dim(fe) * sizeof(float));
 *     fe_extract_rgb8(fe, rgb, w, h, lat);
 *     fe_close(fe);
 */
#ifndef EDGECL_TOOLS_FE_H
#define EDGECL_TOOLS_FE_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/status.h"

struct fe_opts {
    /* tensor name of the cut layer; NULL = the model's output; FE_CUT_AUTO = the embedding of
     * a classifier (the input of its final classifier layer; the output if it has none);
     * FE_CUT_DEFAULT = FE_DEFAULT_CUT in edgecl's own models (which have that tensor), else
     * FE_CUT_AUTO */
    const char *cut;
    int threads;   /* 1 or more */
    int force_ref; /* 1: reference kernels only */
    int pool;      /* 1: global-average-pool a 4-D cut tensor to its channels (default 1) */
    /* Input normalisation for float models: value = (pixel - mean) / std. has_norm 0: from the
     * model's TFLite metadata, else mean 0 / std 255 for edgecl's own models and 127.5 / 127.5
     * (MobileNet's [-1, 1]) for others. uint8/int8 models take the pixels as they are (int8:
     * pixel - 128) unless has_norm is set (then normalised and quantised with the input's
     * scale and zero point). */
    int has_norm;
    float mean, std;
};

struct fe;

struct fe_opts fe_default_opts(void);
/* On failure returns non-OK and writes a one-line message to err. */
enum ecl_status fe_open(const char *tflite_path, const struct fe_opts *o, struct fe **out,
                        char *err, size_t errlen);
uint32_t fe_dim(const struct fe *fe); /* latent size after optional pooling */
void fe_input_size(const struct fe *fe, int *w, int *h);
size_t fe_arena_bytes(const struct fe *fe);
/* The resolved cut tensor's name and how images are prepared ("uint8 pixels", "float32
 * (x - 127.5) / 127.5 from the model's metadata", ...), for reports. */
const char *fe_cut_name(const struct fe *fe);
/* The resolved cut tensor's index in the model (-1: the model's output). */
int32_t fe_cut_tensor(const struct fe *fe);
/* 1 if images are normalised as (pixel - mean) / std before going in (float inputs), 0 if the
 * pixels go in as they are (quantised inputs). */
int fe_input_norm(const struct fe *fe, float *mean, float *std);
const char *fe_preprocess_desc(const struct fe *fe);
/* rgb: w*h*3 bytes, row-major. Resized (bilinear) to the model input. */
enum ecl_status fe_extract_rgb8(struct fe *fe, const uint8_t *rgb, int w, int h, float *latent);
/* input: the model's input 0 as ecl_interp_input_count() floats (NHWC, the model's own size,
 * already normalised as the model expects; quantised for integer models as ecl_interp_run
 * does). No resizing, no normalisation. */
enum ecl_status fe_extract_input_f32(struct fe *fe, const float *input, float *latent);
/* The interpreter's message about the last failed run ("" if none). */
const char *fe_interp_error(const struct fe *fe);
/* The model's input tensor for an image, exactly as fe_extract_rgb8 feeds it (resized, then
 * normalised or quantised): *data (valid until the next call on fe) holds *bytes bytes in the
 * input's type. For running the same input in another runtime. */
enum ecl_status fe_prepare_rgb8(struct fe *fe, const uint8_t *rgb, int w, int h, const void **data,
                                size_t *bytes);
void fe_close(struct fe *fe);

/* Reads a whole model file (malloc'd into *buf; free() it). On failure a one-line message
 * naming the path: "is a directory, not a .tflite file", "not a regular file", or "cannot read
 * (<status>)". */
enum ecl_status fe_read_model_file(const char *path, void **buf, size_t *len, char *err,
                                   size_t errlen);

/* Default model path, first that exists: $EDGECL_MODEL; <executable's dir>/../share/edgecl/
 * models/mobilenet_v2.tflite (an installed edgecl); ECL_SOURCE_DIR/models/mobilenet_v2.tflite
 * (the build tree's source checkout); /usr/local/share/edgecl/models/mobilenet_v2.tflite (where
 * setup.sh installs it); ./models/mobilenet_v2.tflite. Returns the last one if none exists. */
const char *fe_default_model_path(void);
/* Default cut layer for generic features of edgecl's own MobileNetV2. */
#define FE_DEFAULT_CUT "block_13_expand_relu"
#define FE_CUT_AUTO "auto"
#define FE_CUT_DEFAULT "default"
/* How --cut's default reads in --help. */
#define FE_CUT_HELP                                                                                \
    FE_DEFAULT_CUT " in edgecl's MobileNetV2, else 'auto' = the input of a classifier's last "     \
                   "layer"

#endif

/* tools/common/export.h - the learned classifier as one standard .tflite file: the backbone
 * up to the cut tensor (its ops, tensors and weights copied from the model file; the rest of
 * the model dropped), then exactly what the tools do between the cut tensor and the latent
 * vector (fe.c: DEQUANTIZE if the cut tensor is quantised; MEAN over height and width if fe
 * pools it, else RESHAPE to 1 x dim), then the learner's classifier as FULLY_CONNECTED layers
 * (ecl_learner_layer_*: the head's layers with ReLU; SLDA's discriminant; NCM's equivalent
 * linear layer) and SOFTMAX. The input is the backbone's input, prepared as for the backbone.
 * Class names go into the model's TFLite metadata as tflite-support writes it (ModelMetadata
 * in the Model.metadata entry "TFLITE_METADATA"; the output's TENSOR_AXIS_LABELS file
 * labels.txt, one name per line, in a zip appended to the model) and, by the CLI, into a labels
 * file beside it.
 *
 * Tools code (allocates; no files): the CLI (`edgecl export`) and the demo server call it.
 *
 *     struct export_opts o = export_default_opts();
 *     o.cut = fe_cut_tensor(fe);  o.pool = 1;          // as the latents were extracted
 *     uint8_t *tfl; size_t n;
 *     if (export_tflite(model_bytes, model_len, &o, learner, &tfl, &n, err, sizeof err)) ...
 *     ... write tfl[0..n) ...; free(tfl);
 *     char *labels = export_labels(learner);          // "name\n" per class; free() it
 */
#ifndef EDGECL_TOOLS_EXPORT_H
#define EDGECL_TOOLS_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/learner.h"
#include "edgecl/status.h"

struct export_opts {
    int32_t cut; /* the cut tensor's index (fe_cut_tensor); -1: the model's output */
    int pool;    /* 1: global-average-pool a 4-D cut tensor, as fe_opts.pool */
    /* SOFTMAX's beta: probabilities = softmax(beta * logits). The hook for learners whose
     * scores become calibrated probabilities with a temperature T (beta = 1 / T). Default 1. */
    float softmax_beta;
    const char *description; /* Model.description; NULL: a default naming the learner */
    /* The input's normalisation, recorded in the metadata for float inputs (fe_input_norm):
     * value = (pixel - mean) / std. has_norm 0: none recorded. */
    int has_norm;
    float mean, std;
};

struct export_opts export_default_opts(void);
/* *out is malloc'd (free() it). On failure a one-line message in err: cut tensor not found,
 * dimension mismatch with the learner, nothing learned, an op whose options cannot be copied. */
enum ecl_status export_tflite(const void *model, size_t model_len, const struct export_opts *o,
                              struct ecl_learner *l, uint8_t **out, size_t *out_len, char *err,
                              size_t errlen);
/* One line per class 0..n_classes-1: its name, or "class_<k>" when unnamed. malloc'd. */
char *export_labels(const struct ecl_learner *l);

#endif

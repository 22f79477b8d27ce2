/* tools/common/learn_defaults.h - the learning defaults of the edgecl CLI (`learn`) and the web
 * demo, in one place, so a state taught in either behaves the same.
 *
 * Chosen by measurement on few-shot cases (1, 5 and 20 images per class; docs/fewshot.md): the
 * library's defaults (4 epochs of mini-batches of 32) make a handful of gradient steps on a
 * handful of images, so the head stays near its initialisation and predicts the largest class.
 * The tools therefore
 *   - train each observed batch for enough epochs to make at least LEARN_DEFAULT_MIN_STEPS
 *     mini-batch steps, between LEARN_DEFAULT_MIN_EPOCHS and LEARN_DEFAULT_MAX_EPOCHS epochs
 *     (3 images: 100 epochs; 200: 58; 1000: 13; 10000 and more: 4), and
 *   - keep the first learning rate for later calls (lr_after_first 0): the paper's 5e-5 suits
 *     hundreds of CORe50 frames per batch, not a few photos.
 * Everything else is ecl_learner_default_params (replay, Adam lr 1e-3, hidden 128, buffer 1500).
 *
 *     struct ecl_learner_params p = learn_defaults_params(ECL_LEARNER_REPLAY, dim, 50, n_first);
 */
#ifndef EDGECL_TOOLS_LEARN_DEFAULTS_H
#define EDGECL_TOOLS_LEARN_DEFAULTS_H

#include <stdint.h>
#include "edgecl/learner.h"

#define LEARN_DEFAULT_KIND ECL_LEARNER_REPLAY
#define LEARN_DEFAULT_MAX_CLASSES 50
#define LEARN_DEFAULT_MIN_STEPS 400
#define LEARN_DEFAULT_MIN_EPOCHS 4
#define LEARN_DEFAULT_MAX_EPOCHS 100

/* Epochs for a batch of n samples with mini-batches of `batch` new samples (rule above). */
uint32_t learn_defaults_epochs(uint32_t n, uint32_t batch);
/* ecl_learner_default_params with the tools' changes; n_first: samples of the first observe
 * call (sets the epochs; 0: as for a handful, LEARN_DEFAULT_MAX_EPOCHS). */
struct ecl_learner_params learn_defaults_params(enum ecl_learner_kind kind, uint32_t dim,
                                                uint32_t max_classes, uint32_t n_first);

#endif

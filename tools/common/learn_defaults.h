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
 * Those epochs are a cap: the tools stop a head learner's training earlier when its loss has
 * settled. With loss[e] the mean mini-batch loss of epoch e of one observe call, training stops
 * after epoch e when
 *     e >= max(4, ceil(LEARN_DEFAULT_MIN_STEPS / mini-batch steps per epoch))   and either
 *     - the loss has not fallen below 0.99 x the lowest loss so far (LEARN_SETTLE_REL, 1 %)
 *       for LEARN_SETTLE_PATIENCE (5) epochs in a row, or
 *     - loss[e] < LEARN_SETTLE_FLOOR (0.001: the samples are fitted),
 * or at once when the loss is not finite.
 * Why not earlier than 400 steps: on a few images the loss pauses for a few epochs near the
 * start while the accuracy still rises with more epochs (docs/fewshot.md; a stop at the first
 * 3-epoch pause lost 25 of 300 FMNIST 5-shot answers). So the stop never shortens training
 * below what the defaults give a first call of that size; it ends the extra epochs of a cap set
 * for a smaller first call (a state created from 3 images has 100 epochs: 31300 steps for
 * 10000 later samples) or of a large --epochs.
 *
 *     struct ecl_learner_params p = learn_defaults_params(ECL_LEARNER_REPLAY, dim, 50, n_first);
 *     struct learn_settle s; learn_settle_init(&s, n, p.batch_size);
 *     ecl_learner_observe_epochs(l, x, y, n, learn_settle_epoch, &s);
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

#define LEARN_SETTLE_PATIENCE 5
#define LEARN_SETTLE_REL 0.01f
#define LEARN_SETTLE_FLOOR 1e-3f

/* The early-stop rule's memory over the epochs of one observe call. */
struct learn_settle {
    float best;          /* lowest loss so far */
    uint32_t since;      /* epochs since it last fell by LEARN_SETTLE_REL */
    uint32_t n;          /* epochs seen */
    uint32_t min_epochs; /* no stop before (LEARN_DEFAULT_MIN_STEPS steps) */
};
/* For an observe call of n new samples in mini-batches of `batch` new samples. */
void learn_settle_init(struct learn_settle *s, uint32_t n, uint32_t batch);
/* Records the loss of the next epoch; 1 if training has settled (rule above), else 0. */
int learn_settle_update(struct learn_settle *s, float loss);
/* An ecl_learner_epoch_fn applying the rule; ctx: a struct learn_settle, initialised. */
int learn_settle_epoch(void *ctx, uint32_t epoch, uint32_t epochs, float loss);

#endif

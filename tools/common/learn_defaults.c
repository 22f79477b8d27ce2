/* The tools' learning defaults (learn_defaults.h). Why a step count and not a fixed number of
 * epochs: with 3 images an epoch is one step, with 10000 it is 313; a fixed 50 epochs would
 * under-train the first and spend minutes on the second. */
#include "learn_defaults.h"

uint32_t learn_defaults_epochs(uint32_t n, uint32_t batch) {
    if (batch == 0) batch = 1;
    uint32_t steps = n ? (n + batch - 1) / batch : 1;
    uint32_t e = (LEARN_DEFAULT_MIN_STEPS + steps - 1) / steps;
    if (e < LEARN_DEFAULT_MIN_EPOCHS) e = LEARN_DEFAULT_MIN_EPOCHS;
    if (e > LEARN_DEFAULT_MAX_EPOCHS) e = LEARN_DEFAULT_MAX_EPOCHS;
    return e;
}

struct ecl_learner_params learn_defaults_params(enum ecl_learner_kind kind, uint32_t dim,
                                                uint32_t max_classes, uint32_t n_first) {
    struct ecl_learner_params p = ecl_learner_default_params(kind, dim, max_classes);
    p.lr_after_first = 0.0f;
    p.epochs = learn_defaults_epochs(n_first, p.batch_size);
    return p;
}

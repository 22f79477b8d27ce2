/* The tools' learning defaults (learn_defaults.h). Why a step count and not a fixed number of
 * epochs: with 3 images an epoch is one step, with 10000 it is 313; a fixed 50 epochs would
 * under-train the first and spend minutes on the second. */
#include "learn_defaults.h"

#include <math.h>

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

void learn_settle_init(struct learn_settle *s, uint32_t n, uint32_t batch) {
    if (batch == 0) batch = 1;
    uint32_t steps = n ? (n + batch - 1) / batch : 1;
    s->n = s->since = 0;
    s->best = 0.0f;
    s->min_epochs = (LEARN_DEFAULT_MIN_STEPS + steps - 1) / steps;
    if (s->min_epochs < LEARN_DEFAULT_MIN_EPOCHS) s->min_epochs = LEARN_DEFAULT_MIN_EPOCHS;
}

/* Why relative and with patience: the epoch loss is a mean over shuffled mini-batches (and, for
 * replay, over random replayed samples), so single epochs jitter; comparing with the best loss
 * so far over several epochs ignores the jitter. An absolute threshold would depend on the
 * number of classes (the loss starts near ln(classes)); the floor is far below any such start. */
int learn_settle_update(struct learn_settle *s, float loss) {
    if (!isfinite(loss)) return 1;
    if (s->n == 0 || loss < (1.0f - LEARN_SETTLE_REL) * s->best) {
        s->best = loss;
        s->since = 0;
    } else {
        s->since++;
    }
    s->n++;
    return s->n >= s->min_epochs &&
           (s->since >= LEARN_SETTLE_PATIENCE || loss < LEARN_SETTLE_FLOOR);
}

int learn_settle_epoch(void *ctx, uint32_t epoch, uint32_t epochs, float loss) {
    (void)epoch;
    (void)epochs;
    return learn_settle_update(ctx, loss);
}

/* tools/edgecl/cli_epochs.h - a head learner's training as `learn` shows it: a progress line per
 * epoch on stderr (epoch k/N, loss, samples/s; one updating line on a terminal, plain lines at
 * most once a second otherwise, nothing when quiet) and the tools' early stop when the loss has
 * settled (learn_settle_*, tools/common/learn_defaults.h), unless every epoch is wanted.
 *
 *     struct cli_epochs ep;
 *     cli_epochs_begin(&ep, "learn", n, batch_size, quiet, all_epochs);
 *     ecl_learner_observe_epochs(l, x, y, n, cli_epochs_fn, &ep);
 *     cli_epochs_end(&ep);   // ends the terminal line; ep.done, ep.settled, ep.loss say how
 */
#ifndef EDGECL_CLI_EPOCHS_H
#define EDGECL_CLI_EPOCHS_H

#include <stdint.h>
#include "learn_defaults.h"

struct cli_epochs {
    const char *who;   /* message prefix, e.g. "learn" */
    uint32_t n;        /* new samples per epoch */
    int quiet, all;    /* all: no early stop */
    int tty, shown;    /* stderr is a terminal; a terminal line is open */
    uint64_t t0, last; /* ns: start, last plain line */
    struct learn_settle settle;
    uint32_t done, cap; /* epochs trained, the cap */
    int settled;        /* training stopped early */
    float first, loss;  /* mean loss of the first and the last epoch */
};

void cli_epochs_begin(struct cli_epochs *ep, const char *who, uint32_t n, uint32_t batch, int quiet,
                      int all);
/* ecl_learner_epoch_fn; ctx: a struct cli_epochs after cli_epochs_begin. */
int cli_epochs_fn(void *ctx, uint32_t epoch, uint32_t epochs, float loss);
void cli_epochs_end(struct cli_epochs *ep);

#endif

/* Progress and early stop of a head learner's epochs (cli_epochs.h). */
#include "cli_epochs.h"

#include <stdio.h>
#include <unistd.h>

#include "edgecl/port.h"

void cli_epochs_begin(struct cli_epochs *ep, const char *who, uint32_t n, uint32_t batch, int quiet,
                      int all) {
    ep->who = who;
    ep->n = n;
    ep->quiet = quiet;
    ep->all = all;
    ep->tty = isatty(STDERR_FILENO);
    ep->shown = 0;
    ep->t0 = ecl_port_now_ns();
    ep->last = 0;
    learn_settle_init(&ep->settle, n, batch);
    ep->done = ep->cap = 0;
    ep->settled = 0;
    ep->first = ep->loss = 0.0f;
}

static void show(struct cli_epochs *ep, uint64_t now, int final) {
    double secs = (double)(now - ep->t0) * 1e-9;
    double rate = secs > 0 ? (double)ep->n * ep->done / secs : 0.0;
    if (ep->tty) {
        fprintf(stderr, "\r%s: epoch %u/%u  loss %.4f  %.0f samples/s   ", ep->who, ep->done,
                ep->cap, ep->loss, rate);
        ep->shown = 1;
        return;
    }
    /* plain lines for logs: the first, the last, and at most one a second between */
    if (!final && ep->done > 1 && now - ep->last < 1000000000ull) return;
    fprintf(stderr, "%s: epoch %u/%u  loss %.4f  %.0f samples/s\n", ep->who, ep->done, ep->cap,
            ep->loss, rate);
    ep->last = now;
}

int cli_epochs_fn(void *ctx, uint32_t epoch, uint32_t epochs, float loss) {
    struct cli_epochs *ep = ctx;
    int stop = learn_settle_update(&ep->settle, loss) && !ep->all;
    ep->done = epoch;
    ep->cap = epochs;
    ep->loss = loss;
    if (epoch == 1) ep->first = loss;
    ep->settled = stop && epoch < epochs;
    if (!ep->quiet) show(ep, ecl_port_now_ns(), stop || epoch == epochs);
    return stop;
}

void cli_epochs_end(struct cli_epochs *ep) {
    if (ep->shown) fprintf(stderr, "\n");
    ep->shown = 0;
}

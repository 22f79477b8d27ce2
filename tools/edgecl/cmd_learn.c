/* edgecl learn - update a learner state file from a feature file.
 *
 * Why it works this way: one `learn` call is one increment of a continual-learning stream, so
 * the state file is the only memory between calls. If it does not exist it is created from the
 * learner options; otherwise the stored learner (kind, sizes, optimiser state, replay memory)
 * is restored exactly and learner options are ignored, since changing e.g. the hidden size of
 * a trained head has no meaning. The new state replaces the old one atomically, so an
 * interrupted run leaves the previous state usable.
 *
 * Everything about the input is checked before the learner sees it (dimension, label range,
 * class budget) so a bad file gives a message, not a half-updated state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "cmds.h"
#include "edgecl/port.h"
#include "featfile.h"
#include "statelock.h"

static void usage(FILE *f) {
    fprintf(f, "usage: edgecl learn --state S.ecls --features F.ecf [options]\n"
               "Learns the labelled samples of F (in file order) into the learner state S.\n"
               "Creates S from the learner options if it does not exist, else loads it (learner\n"
               "options are then ignored). S is replaced atomically.\n\n"
               "  --state PATH      learner state file (created if missing)\n"
               "  --features PATH   feature file (.ecf binary or .csv)\n"
               "  --chunk N         observe in increments of N samples (default: naive/replay\n"
               "                    the whole file as one increment, slda/ncm 1024)\n"
               "  --dry-run         learn but do not write the state\n"
               "  --wait            if another edgecl learn/serve is writing S, wait for it\n"
               "                    (default: fail at once, exit code 3)\n\n");
    cli_learner_opts_help(f, 0);
}

int cmd_learn(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *state = NULL, *feats = NULL, *v;
    uint32_t chunk = 0;
    int dry = 0, wait = 0;
    char err[512];
    struct cli_learner_opts lo = cli_learner_opts_default();
    for (int i = 1; i < argc; i++) {
        int r = cli_learner_opt(&lo, argc, argv, &i, err, sizeof err);
        if (r < 0) {
            fprintf(stderr, "learn: %s\n", err);
            return 2;
        }
        if (r > 0) continue;
        if ((v = cli_opt(argc, argv, &i, "--state")))
            state = v;
        else if ((v = cli_opt(argc, argv, &i, "--features")))
            feats = v;
        else if ((v = cli_opt(argc, argv, &i, "--chunk"))) {
            if (cli_parse_u32("--chunk", v, 1, 1u << 24, &chunk, err, sizeof err)) {
                fprintf(stderr, "learn: %s\n", err);
                return 2;
            }
        } else if (cli_flag(argv, i, "--dry-run"))
            dry = 1;
        else if (cli_flag(argv, i, "--wait"))
            wait = 1;
        else {
            cli_bad_opt("learn", argc, argv, i);
            return 2;
        }
    }
    if (!state || !feats) {
        fprintf(stderr, "learn: --state and --features are required (see edgecl learn --help)\n");
        return 2;
    }

    struct featfile ff;
    if (featfile_read(feats, &ff, err, sizeof err)) {
        fprintf(stderr, "learn: %s\n", err);
        return 1;
    }
    int rc = 1;
    struct cli_learner L;
    memset(&L, 0, sizeof L);
    enum ecl_status st;
    int created = 0;
    /* One writer at a time, from the load to the rename (statelock.h). */
    struct ecl_port_lock *lock = NULL;
    if (!dry && (rc = statelock_take("learn", state, wait, &lock, err, sizeof err)) != 0) {
        fprintf(stderr, "learn: %s\n", err);
        featfile_free(&ff);
        return rc;
    }
    rc = 1;
    if (cli_state_load(state, &L, NULL, &st, err, sizeof err)) {
        if (st != ECL_ENOTFOUND) {
            fprintf(stderr, "learn: %s\n", err);
            if (st != ECL_EOOM && st != ECL_EIO) /* a bad file, not a failed read */
                fprintf(stderr, "learn: refusing to overwrite it; delete it or pick another "
                                "--state to start afresh\n");
            goto out;
        }
        struct ecl_learner_params p;
        if (cli_learner_params(&lo, ff.dim, &p, err, sizeof err) ||
            cli_learner_create(&p, &L, err, sizeof err)) {
            fprintf(stderr, "learn: %s\n", err);
            goto out;
        }
        created = 1;
    } else if (lo.set) {
        fprintf(stderr, "learn: note: %s exists, learner options are ignored\n", state);
    }
    const struct ecl_learner_params *p = ecl_learner_params(L.l);
    if (p->dim != ff.dim) {
        fprintf(stderr,
                "learn: %s has dimension %u but the learner in %s expects %u (features from "
                "another backbone or cut layer?)\n",
                feats, ff.dim, state, p->dim);
        goto out;
    }
    for (uint32_t i = 0; i < ff.n; i++) {
        if (ff.y[i] < 0) {
            fprintf(stderr, "learn: %s: record %u is unlabelled (label %d); learn needs labels\n",
                    feats, i, ff.y[i]);
            goto out;
        }
        if ((uint32_t)ff.y[i] >= p->max_classes) {
            fprintf(stderr,
                    "learn: %s: record %u has label %d but the learner holds at most %u classes "
                    "(labels 0..%u; use --max-classes when creating the state)\n",
                    feats, i, ff.y[i], p->max_classes, p->max_classes - 1);
            goto out;
        }
    }
    /* Class names from the feature file. */
    for (uint32_t c = 0; c < ff.n_names && c < p->max_classes; c++) {
        if (!ff.names[c][0]) continue;
        const char *old = ecl_learner_class_name(L.l, (int32_t)c);
        if (old && old[0] && strcmp(old, ff.names[c]))
            fprintf(stderr, "learn: note: class %u renamed '%s' -> '%s'\n", c, old, ff.names[c]);
        st = ecl_learner_set_class_name(L.l, (int32_t)c, ff.names[c]);
        if (st)
            fprintf(stderr, "learn: warning: cannot name class %u: %s\n", c, ecl_status_str(st));
    }

    if (chunk == 0)
        chunk = (p->kind == ECL_LEARNER_SLDA || p->kind == ECL_LEARNER_NCM) ? 1024 : ff.n;
    if (chunk == 0) chunk = 1;
    if (chunk >= ff.n && ff.n >= 10000)
        fprintf(stderr, "learn: observing %u samples as one increment...\n", ff.n);
    uint64_t t0 = ecl_port_now_ns();
    for (uint32_t i = 0; i < ff.n; i += chunk) {
        uint32_t k = ff.n - i < chunk ? ff.n - i : chunk;
        cli_progress("learn: samples", i, ff.n);
        st = ecl_learner_observe(L.l, ff.x + (size_t)i * ff.dim, ff.y + i, k);
        if (st) {
            fprintf(stderr, "\nlearn: observe failed at record %u: %s%s\n", i, ecl_status_str(st),
                    dry ? "" : " (state not saved)");
            goto out;
        }
    }
    cli_progress_done("learn: samples", ff.n);
    double secs = (double)(ecl_port_now_ns() - t0) * 1e-9;

    if (!dry && cli_state_save(&L, state, err, sizeof err)) {
        fprintf(stderr, "learn: %s\n", err);
        goto out;
    }
    char desc[256];
    cli_learner_describe(p, desc, sizeof desc);
    printf("%s %s: %s\n", created ? "created" : "updated", state, desc);
    printf("learned %u samples in %.3f s (%.1f us/sample); classes %u, samples seen %llu%s\n", ff.n,
           secs, ff.n ? secs * 1e6 / ff.n : 0.0, ecl_learner_n_classes(L.l),
           (unsigned long long)ecl_learner_n_seen(L.l), dry ? " [dry run, not saved]" : "");
    rc = 0;
out:
    ecl_port_lock_release(lock);
    cli_learner_free(&L);
    featfile_free(&ff);
    return rc;
}

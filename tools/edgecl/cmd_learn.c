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

#include "cli_classmap.h"
#include "cli_container.h"
#include "cli_epochs.h"
#include "cli_images.h"
#include "cli_util.h"
#include "cmds.h"
#include "edgecl/port.h"
#include "featfile.h"
#include "statelock.h"

static void usage(FILE *f) {
    fprintf(f, "usage: edgecl learn --state S.ecls --features F.ecf [options]\n"
               "       edgecl learn --state S.ecls [options] <DIR with one subfolder per class>\n"
               "       edgecl learn --state DEMO.ecls --learner K [options] <input>\n"
               "Learns the labelled samples of F (in file order), or the images of the class\n"
               "folders (run through the backbone), into the learner state S. Classes are\n"
               "matched by name: a name S knows adds to that class, a new name becomes a new\n"
               "class; nothing is ever renamed (a conflict is an error and S stays as it was).\n"
               "Creates S from the learner options if it does not exist, else loads it (learner\n"
               "options are then ignored). S is replaced atomically. The web demo's state\n"
               "(a container of learners) is taught one learner at a time: --learner K picks\n"
               "it; the other learners, kept samples and class table stay.\n\n"
               "  --state PATH      learner state file (created if missing)\n"
               "  --features PATH   feature file (.ecf binary or .csv)\n"
               "  --quiet, -q       no progress output (extraction, training epochs)\n"
               "  --all-epochs      naive/replay: train every epoch up to the cap (--epochs, or\n"
               "                    the state's) instead of stopping once the loss has settled:\n"
               "                    after 400 mini-batch steps, 5 epochs without a new low 1 %%\n"
               "                    below the best, or a loss under 0.001\n"
               "  --chunk N         observe in increments of N samples (default: naive/replay\n"
               "                    the whole file as one increment, slda/ncm 1024)\n"
               "  --dry-run         learn but do not write the state\n"
               "  --wait            if another edgecl learn/serve is writing S, wait for it\n"
               "                    (default: fail at once, exit code 3)\n\n");
    cli_learner_opts_help(f, 0);
    fprintf(f, "Backbone options (images only):\n");
    cli_images_opts_help(f);
    fprintf(f, "Exit: 0 ok, 1 error or some image skipped (the rest is learned), 2 usage, 3 S is\n"
               "locked by another writer.\n");
}

/* What observing the input did: epochs of a head learner, by increment. */
struct train_report {
    int head; /* naive/replay: trained in epochs */
    uint32_t trained, calls, settled;
    float loss0, loss1; /* first epoch's loss of the first call, last epoch's of the last */
    double secs;
};

/* Observes ff in increments of chunk samples (0: the default for the kind), a head learner
 * epoch by epoch with progress and early stop (cli_epochs.h). 0, or 1 with a message. */
static int observe_all(struct cli_learner *L, const struct featfile *ff, uint32_t chunk, int quiet,
                       int all_epochs, int dry, struct train_report *r) {
    const struct ecl_learner_params *p = ecl_learner_params(L->l);
    memset(r, 0, sizeof *r);
    r->head = p->kind == ECL_LEARNER_NAIVE || p->kind == ECL_LEARNER_REPLAY;
    if (chunk == 0) chunk = r->head ? ff->n : 1024;
    if (chunk == 0) chunk = 1;
    if (r->head)
        fprintf(stderr,
                "learn: training the %s head on %u samples: at most %u epochs of batches of "
                "%u%s%s\n",
                ecl_learner_kind_name(p->kind), ff->n, p->epochs, p->batch_size,
                p->kind == ECL_LEARNER_REPLAY ? " + replayed samples" : "",
                all_epochs ? "" : ", until the loss settles");
    else if (chunk >= ff->n && ff->n >= 10000)
        fprintf(stderr, "learn: observing %u samples as one increment...\n", ff->n);
    uint64_t t0 = ecl_port_now_ns();
    for (uint32_t i = 0; i < ff->n; i += chunk) {
        uint32_t k = ff->n - i < chunk ? ff->n - i : chunk;
        const float *x = ff->x + (size_t)i * ff->dim;
        enum ecl_status st;
        if (r->head) {
            struct cli_epochs ep;
            cli_epochs_begin(&ep, "learn", k, p->batch_size, quiet, all_epochs);
            st = ecl_learner_observe_epochs(L->l, x, ff->y + i, k, cli_epochs_fn, &ep);
            cli_epochs_end(&ep);
            if (r->calls++ == 0) r->loss0 = ep.first;
            r->loss1 = ep.loss;
            r->trained += ep.done;
            r->settled += (uint32_t)ep.settled;
        } else {
            cli_progress("learn: samples", i, ff->n);
            st = ecl_learner_observe(L->l, x, ff->y + i, k);
        }
        if (st) {
            fprintf(stderr, "\nlearn: observe failed at record %u: %s%s\n", i, ecl_status_str(st),
                    dry ? "" : " (state not saved)");
            return 1;
        }
    }
    if (!r->head) cli_progress_done("learn: samples", ff->n);
    r->secs = (double)(ecl_port_now_ns() - t0) * 1e-9;
    return 0;
}

static void print_training(const struct train_report *r, uint32_t cap, int all_epochs) {
    if (!r->head) return;
    if (r->calls == 1)
        printf("trained %u of %u epochs (%s), loss %.4f -> %.4f\n", r->trained, cap,
               r->settled   ? "loss settled"
               : all_epochs ? "--all-epochs"
                            : "cap reached",
               r->loss0, r->loss1);
    else
        printf("trained %u epochs in %u increments (%u stopped when the loss settled, cap %u), "
               "loss %.4f -> %.4f\n",
               r->trained, r->calls, r->settled, cap, r->loss0, r->loss1);
}

int cmd_learn(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *state = NULL, *feats = NULL, *v;
    uint32_t chunk = 0;
    int dry = 0, wait = 0, all_epochs = 0;
    char err[512];
    struct cli_learner_opts lo = cli_learner_opts_default();
    struct cli_images_opts io = cli_images_default_opts("learn");
    char **args = calloc((size_t)argc, sizeof *args);
    int nargs = 0;
    if (!args) {
        fprintf(stderr, "learn: out of memory\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        int r = cli_images_opt(&io, argc, argv, &i);
        if (r < 0) {
            free(args);
            return 2;
        }
        if (r > 0) continue;
        r = cli_learner_opt(&lo, argc, argv, &i, err, sizeof err);
        if (r < 0) {
            fprintf(stderr, "learn: %s\n", err);
            free(args);
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
                free(args);
                return 2;
            }
        } else if (cli_flag(argv, i, "--dry-run"))
            dry = 1;
        else if (cli_flag(argv, i, "--wait"))
            wait = 1;
        else if (cli_flag(argv, i, "--all-epochs"))
            all_epochs = 1;
        else if (cli_flag(argv, i, "--quiet") || cli_flag(argv, i, "-q"))
            io.quiet = 1;
        else if (argv[i][0] != '-')
            args[nargs++] = argv[i];
        else {
            cli_bad_opt("learn", argc, argv, i);
            free(args);
            return 2;
        }
    }
    if (!state || (!feats && !nargs) || (feats && nargs)) {
        fprintf(stderr, "learn: need --state and either --features or images / a class folder "
                        "(see edgecl learn --help)\n");
        free(args);
        return 2;
    }

    struct featfile ff;
    char **paths = NULL;
    uint32_t skipped = 0;
    if (nargs) {
        int r = cli_images_extract(&io, args, nargs, &ff, &paths, &skipped);
        feats = args[0]; /* names the input in messages */
        free(args);
        if (r) return 1;
        cli_images_free_paths(paths, ff.n); /* learn does not report per image */
    } else {
        free(args);
        if (featfile_read(feats, &ff, err, sizeof err)) {
            fprintf(stderr, "learn: %s\n", err);
            return 1;
        }
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
    /* A demo container (cli_container.h) is taught one learner at a time: --learner picks it. */
    struct cli_container *box = NULL;
    uint32_t *per_class = NULL;
    const char *pick = CLI_SET(&lo, KIND) ? ecl_learner_kind_name(lo.kind) : NULL;
    if (cli_state_load_learner(state, pick, &L, NULL, &st, err, sizeof err)) {
        if (st != ECL_ENOTFOUND) {
            fprintf(stderr, "learn: %s\n", err);
            if (st != ECL_EOOM && st != ECL_EIO && st != ECL_EINVAL) /* a bad file */
                fprintf(stderr, "learn: refusing to overwrite it; delete it or pick another "
                                "--state to start afresh\n");
            goto out;
        }
        struct ecl_learner_params p;
        if (cli_learner_params(&lo, ff.dim, ff.n, &p, err, sizeof err) ||
            cli_learner_create(&p, &L, err, sizeof err)) {
            fprintf(stderr, "learn: %s\n", err);
            goto out;
        }
        created = 1;
    } else if (L.container && !pick) {
        fprintf(stderr,
                "learn: %s is the web demo's state (holding %s): name the learner to teach, "
                "e.g. --learner %s\n",
                state, L.container_kinds, ecl_learner_kind_name(L.picked));
        goto out;
    } else if (L.container) {
        if (cli_container_open(state, &L, &box, err, sizeof err)) {
            fprintf(stderr, "learn: %s\n", err);
            goto out;
        }
        if (lo.set & ~(1u << CLI_OPT_KIND))
            fprintf(stderr,
                    "learn: note: %s exists, learner options other than --learner are "
                    "ignored\n",
                    state);
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
    }
    /* Classes by name (cli_classmap.h): known names keep their class, new names get new ones. */
    int32_t *map = NULL;
    uint32_t n_map = 0;
    if (cli_classmap_learn(L.l, &ff, &map, &n_map, NULL, err, sizeof err)) {
        fprintf(stderr, "learn: %s: %s; %s unchanged\n", feats, err, state);
        goto out;
    }
    for (uint32_t y = 0; y < n_map; y++) {
        const char *nm = cli_featfile_name(&ff, (int32_t)y);
        if (map[y] >= 0 && nm[0] && !ecl_learner_class_name(L.l, map[y])[0])
            fprintf(stderr, "learn: new class '%s'\n", nm);
    }
    if (cli_classmap_name_new(L.l, &ff, map, n_map, err, sizeof err)) {
        fprintf(stderr, "learn: %s: %s; %s unchanged\n", feats, err, state);
        free(map);
        goto out;
    }
    for (uint32_t i = 0; i < ff.n; i++)
        ff.y[i] = map[ff.y[i]];
    free(map);
    if (box) { /* samples per class, for the container's class table */
        per_class = calloc(p->max_classes, sizeof *per_class);
        if (!per_class) {
            fprintf(stderr, "learn: out of memory\n");
            goto out;
        }
        for (uint32_t i = 0; i < ff.n; i++)
            per_class[ff.y[i]]++;
    }

    struct train_report rep;
    if (observe_all(&L, &ff, chunk, io.quiet, all_epochs, dry, &rep)) goto out;

    if (!dry &&
        (box ? cli_container_save(box, &L, per_class, p->max_classes, state, err, sizeof err)
             : cli_state_save(&L, state, err, sizeof err))) {
        fprintf(stderr, "learn: %s\n", err);
        goto out;
    }
    char desc[256];
    cli_learner_describe(p, desc, sizeof desc);
    if (box)
        printf("updated the %s learner of the demo state %s (holding %s): %s\n",
               ecl_learner_kind_name(p->kind), state, L.container_kinds, desc);
    else
        printf("%s %s: %s\n", created ? "created" : "updated", state, desc);
    printf("learned %u samples in %.3f s (%.1f us/sample); classes %u, samples seen %llu%s\n", ff.n,
           rep.secs, ff.n ? rep.secs * 1e6 / ff.n : 0.0, ecl_learner_n_classes(L.l),
           (unsigned long long)ecl_learner_n_seen(L.l), dry ? " [dry run, not saved]" : "");
    print_training(&rep, p->epochs, all_epochs);
    rc = 0;
    if (skipped) {
        fprintf(stderr, "learn: %u file%s skipped (named above)\n", skipped,
                skipped == 1 ? "" : "s");
        rc = 1;
    }
out:
    cli_container_free(box);
    free(per_class);
    ecl_port_lock_release(lock);
    cli_learner_free(&L);
    featfile_free(&ff);
    return rc;
}

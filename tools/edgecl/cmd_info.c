/* edgecl info - print what a learner state file holds.
 *
 * The file is loaded exactly as `learn` and `predict` load it (magic, version, lengths and CRC
 * are all checked by the library), so "crc: ok" here means the other commands will accept it.
 * A file that fails to load is reported with the reason and a non-zero exit code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "cmds.h"

static void usage(FILE *f) {
    fprintf(f, "usage: edgecl info --state S.ecls [--learner K] [--json]\n"
               "Prints a learner state file's contents: kind, dimension, classes (with names),\n"
               "samples seen, replay memory, head shape and optimiser, file size, CRC check.\n"
               "The state may also be given as the only positional argument.\n\n"
               "  --state PATH   learner state file\n"
               "  --learner K    in a web demo state (several learners): which one to show\n"
               "                 (replay, naive, ...; default the first)\n"
               "  --json         machine-readable output\n");
}

int cmd_info(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    const char *state = NULL, *learner = NULL, *v;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if ((v = cli_opt(argc, argv, &i, "--state")))
            state = v;
        else if ((v = cli_opt(argc, argv, &i, "--learner")))
            learner = v;
        else if (cli_flag(argv, i, "--json"))
            json = 1;
        else if (argv[i][0] != '-' && !state)
            state = argv[i];
        else {
            cli_bad_opt("info", argc, argv, i);
            return 2;
        }
    }
    if (!state) {
        fprintf(stderr, "info: --state is required (see edgecl info --help)\n");
        return 2;
    }
    char err[512];
    struct cli_learner L;
    size_t fbytes = 0;
    if (cli_state_load_learner(state, learner, &L, &fbytes, NULL, err, sizeof err)) {
        fprintf(stderr, "info: %s\n", err);
        return 1;
    }
    if (learner && !L.container)
        fprintf(stderr, "info: note: %s holds one learner; --learner ignored\n", state);
    const struct ecl_learner_params *p = ecl_learner_params(L.l);
    uint32_t nc = ecl_learner_n_classes(L.l);
    int has_head = p->kind == ECL_LEARNER_NAIVE || p->kind == ECL_LEARNER_REPLAY;
    size_t rbytes = ecl_learner_replay_bytes(L.l);
    if (json) {
        printf("{\"file\":");
        cli_json_str(stdout, state);
        printf(",\"file_bytes\":%zu,\"crc_ok\":true,\"kind\":\"%s\",\"dim\":%u,"
               "\"max_classes\":%u,\"n_classes\":%u,\"samples_seen\":%llu,\"memory_bytes\":%zu",
               fbytes, ecl_learner_kind_name(p->kind), p->dim, p->max_classes, nc,
               (unsigned long long)ecl_learner_n_seen(L.l), L.mem_bytes);
        printf(",\"class_names\":[");
        for (uint32_t c = 0; c < nc; c++) {
            const char *nm = ecl_learner_class_name(L.l, (int32_t)c);
            if (c) putchar(',');
            cli_json_str(stdout, nm ? nm : "");
        }
        printf("]");
        if (has_head) {
            printf(",\"head\":{\"layers\":[%u", p->dim);
            for (uint32_t k = 0; k < p->head.n_hidden && k < ECL_HEAD_MAX_HIDDEN; k++)
                printf(",%u", p->head.hidden[k]);
            printf(",%u],\"optimizer\":\"%s\",\"lr\":%g,\"lr_after_first\":%g,\"momentum\":%g,"
                   "\"l2\":%g,\"epochs\":%u,\"batch\":%u}",
                   p->max_classes, cli_optimizer_name(p->head.optimizer), p->head.lr,
                   p->lr_after_first, p->head.momentum, p->head.l2, p->epochs, p->batch_size);
        }
        if (p->kind == ECL_LEARNER_REPLAY)
            printf(",\"replay\":{\"capacity\":%u,\"policy\":\"%s\",\"storage\":\"%s\","
                   "\"per_batch\":%u,\"bytes\":%zu,\"count\":%u}",
                   p->replay.capacity, cli_policy_name(p->replay.policy),
                   cli_storage_name(p->replay.storage), p->replay_per_batch, rbytes,
                   ecl_learner_replay_count(L.l));
        if (p->kind == ECL_LEARNER_SLDA) printf(",\"slda_shrinkage\":%g", p->slda_shrinkage);
        printf("}\n");
    } else {
        printf("file:          %s (%zu bytes, crc ok)\n", state, fbytes);
        if (L.container)
            printf("container:     web demo state with %s; showing %s (--learner to choose)\n",
                   L.container_kinds, ecl_learner_kind_name(L.picked));
        printf("learner:       %s\n", ecl_learner_kind_name(p->kind));
        printf("dim:           %u\n", p->dim);
        printf("classes:       %u of max %u\n", nc, p->max_classes);
        for (uint32_t c = 0; c < nc; c++) {
            const char *nm = ecl_learner_class_name(L.l, (int32_t)c);
            printf("  %4u  %s\n", c, nm && nm[0] ? nm : "(unnamed)");
        }
        printf("samples seen:  %llu\n", (unsigned long long)ecl_learner_n_seen(L.l));
        printf("memory:        %zu bytes (learner, all buffers)\n", L.mem_bytes);
        if (has_head) {
            printf("head:          %u", p->dim);
            for (uint32_t k = 0; k < p->head.n_hidden && k < ECL_HEAD_MAX_HIDDEN; k++)
                printf(" -> %u (ReLU)", p->head.hidden[k]);
            printf(" -> %u (softmax over %u seen)\n", p->max_classes, nc);
            printf("optimizer:     %s, lr %g", cli_optimizer_name(p->head.optimizer), p->head.lr);
            if (p->lr_after_first > 0) printf(" (then %g)", p->lr_after_first);
            if (p->head.optimizer == ECL_OPT_SGD && p->head.momentum > 0)
                printf(", momentum %g", p->head.momentum);
            printf(", l2 %g, epochs %u, batch %u\n", p->head.l2, p->epochs, p->batch_size);
        }
        if (p->kind == ECL_LEARNER_REPLAY)
            printf("replay:        %u / %u samples, policy %s, storage %s, %u per batch, %zu "
                   "bytes of latents\n",
                   ecl_learner_replay_count(L.l), p->replay.capacity,
                   cli_policy_name(p->replay.policy), cli_storage_name(p->replay.storage),
                   p->replay_per_batch, rbytes);
        if (p->kind == ECL_LEARNER_SLDA) printf("shrinkage:     %g\n", p->slda_shrinkage);
    }
    cli_learner_free(&L);
    return 0;
}

/* tools/edgecl/cli_util.h - helpers shared by the edgecl subcommands: option parsing, learner
 * options, and loading/saving learner state files. Tools code: may allocate and print.
 *
 * Option syntax: `--name value` or `--name=value`; `-h`/`--help` anywhere means help.
 *
 *     struct cli_learner_opts lo = cli_learner_opts_default();
 *     for (int i = 1; i < argc; i++) {
 *         const char *v;
 *         int r = cli_learner_opt(&lo, argc, argv, &i, err, sizeof err);  // learner options
 *         if (r < 0) { fprintf(stderr, "learn: %s\n", err); return 2; }
 *         if (r > 0) continue;
 *         if ((v = cli_opt(argc, argv, &i, "--state"))) state = v;       // own options
 *         else if (cli_bad_opt("learn", argc, argv, i)) return 2;
 *     }
 *     struct ecl_learner_params p;
 *     if (cli_learner_params(&lo, dim, n, &p, err, sizeof err)) ...   // defaults + overrides
 *     struct cli_learner L;
 *     if (cli_learner_create(&p, &L, err, sizeof err)) ...          // malloc + init
 *     ...
 *     cli_state_save(&L, "s.ecls", err, sizeof err);
 *     cli_learner_free(&L);
 *
 * Learner options (cli_learner_opt, documented by cli_learner_opts_help):
 *   --learner naive|replay|slda|ncm  --max-classes N  --seed N
 *   --hidden N[,N..] (0 = no hidden layer)  --optimizer sgd|adam  --lr X  --lr-after X
 *   --momentum X  --l2 X  --epochs N  --batch N  --replay-batch N
 *   --buffer N  --policy random|fifo|balanced  --storage f32|u8  --replace-fraction X
 *   --shrinkage X
 */
#ifndef EDGECL_CLI_UTIL_H
#define EDGECL_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "edgecl/learner.h"
#include "edgecl/port.h"

/* 1 if argv contains -h or --help (before a "--"). */
int cli_wants_help(int argc, char **argv);
/* printf into err (if err and errlen): the one-line error of a failed helper. */
void cli_seterr(char *err, size_t errlen, const char *fmt, ...);
/* Largest learner the commands create (mem_size above it is refused with a message). */
#define CLI_MAX_LEARNER_BYTES ((size_t)4 << 30)

/* If argv[*i] is `name value` or `name=value`, returns the value and advances *i to the
 * value's index (the caller's loop then moves on); otherwise NULL. `name` as the last
 * argument (no value) also gives NULL, and cli_bad_opt then reports the missing value. */
const char *cli_opt(int argc, char **argv, int *i, const char *name);
/* 1 if argv[i] is the flag `name` (no value). */
int cli_flag(char **argv, int i, const char *name);
/* Prints "<cmd>: unknown option 'x'" (or "option 'x' needs a value", or "unexpected argument")
 * with a pointer to --help, and returns 1. */
int cli_bad_opt(const char *cmd, int argc, char **argv, int i);

/* Number parsing with range checks; on error writes a message naming `what` to err. */
int cli_parse_u32(const char *what, const char *s, uint32_t lo, uint32_t hi, uint32_t *out,
                  char *err, size_t errlen);
int cli_parse_f32(const char *what, const char *s, float lo, float hi, float *out, char *err,
                  size_t errlen);

/* ----------------------------------------------------------------- learner options */
#define CLI_SET(o, field) ((o)->set & (1u << CLI_OPT_##field))
enum cli_opt_bit {
    CLI_OPT_KIND,
    CLI_OPT_MAX_CLASSES,
    CLI_OPT_SEED,
    CLI_OPT_HIDDEN,
    CLI_OPT_OPTIMIZER,
    CLI_OPT_LR,
    CLI_OPT_LR_AFTER,
    CLI_OPT_MOMENTUM,
    CLI_OPT_L2,
    CLI_OPT_EPOCHS,
    CLI_OPT_BATCH,
    CLI_OPT_REPLAY_BATCH,
    CLI_OPT_BUFFER,
    CLI_OPT_POLICY,
    CLI_OPT_STORAGE,
    CLI_OPT_REPLACE_FRACTION,
    CLI_OPT_SHRINKAGE
};

/* Options given on the command line; applied on top of ecl_learner_default_params once the
 * dimension is known (from the feature file). `set` has bit CLI_OPT_x for each option given. */
struct cli_learner_opts {
    uint32_t set;
    enum ecl_learner_kind kind;
    uint32_t max_classes, seed;
    uint32_t n_hidden, hidden[ECL_HEAD_MAX_HIDDEN];
    enum ecl_optimizer optimizer;
    float lr, lr_after, momentum, l2;
    uint32_t epochs, batch, replay_batch;
    uint32_t buffer;
    enum ecl_replay_policy policy;
    enum ecl_replay_storage storage;
    float replace_fraction, shrinkage;
};

struct cli_learner_opts cli_learner_opts_default(void); /* learn_defaults.h: replay, 50 */
/* Tries to consume a learner option at argv[*i]: 1 consumed (and *i advanced past its value),
 * 0 not a learner option, -1 bad value (message in err). */
int cli_learner_opt(struct cli_learner_opts *o, int argc, char **argv, int *i, char *err,
                    size_t errlen);
/* learn's defaults (learn_defaults_params: epochs from n_first, the samples of the first
 * observe call) with the given options applied; validates sizes. */
int cli_learner_params(const struct cli_learner_opts *o, uint32_t dim, uint32_t n_first,
                       struct ecl_learner_params *p, char *err, size_t errlen);
/* The library's defaults (ecl_learner_default_params) for an explicit kind, with the options
 * applied (eval --learner all, bench-cl). */
int cli_learner_params_kind(const struct cli_learner_opts *o, enum ecl_learner_kind kind,
                            uint32_t dim, struct ecl_learner_params *p, char *err, size_t errlen);
/* Help text for the learner options, indented by two spaces. */
/* Help text of the learner options; omit: CLI_HELP_* groups a command documents itself. */
enum {
    CLI_HELP_KIND = 1u,        /* --learner */
    CLI_HELP_MAX_CLASSES = 2u, /* --max-classes */
    CLI_HELP_SEED = 4u,        /* --seed */
    CLI_HELP_REPLAY_MEM = 8u,  /* --buffer, --policy, --storage */
};
void cli_learner_opts_help(FILE *f, unsigned omit);
/* One line describing params, e.g. "replay dim 64, 10 classes max, head 64-128-C sgd ..." */
void cli_learner_describe(const struct ecl_learner_params *p, char *buf, size_t len);

const char *cli_policy_name(enum ecl_replay_policy p);
const char *cli_storage_name(enum ecl_replay_storage s);
const char *cli_optimizer_name(enum ecl_optimizer o);

/* ----------------------------------------------------------------- learners and state files */
struct cli_learner {
    struct ecl_learner *l;
    void *mem;
    size_t mem_bytes;
    struct ecl_port_file_id src;  /* file it was loaded from (cli_state_load); exists=0: none */
    int container;                /* 1: loaded from the web demo's container (demostate.h) */
    enum ecl_learner_kind picked; /* container: the learner taken from it */
    char container_kinds[64];     /* container: the learners it holds, "replay, naive" */
};

/* malloc + ecl_learner_init. */
int cli_learner_create(const struct ecl_learner_params *p, struct cli_learner *out, char *err,
                       size_t errlen);
/* Reads a state file, creates a learner of the stored shape and restores it. Returns 0 ok,
 * 1 error (message in err). If file_bytes is not NULL it receives the file size. A missing
 * file gives ECL_ENOTFOUND through *status (may be NULL). */
int cli_state_load(const char *path, struct cli_learner *out, size_t *file_bytes,
                   enum ecl_status *status, char *err, size_t errlen);
/* Same; a web demo state (a container of several learners, demostate.h) is read too: learner
 * (a kind name, "replay") picks one of its learners, NULL the first. L->container says so.
 * *status: ECL_ENOTFOUND only when there is no file; ECL_EINVAL: no such learner in it. */
int cli_state_load_learner(const char *path, const char *learner, struct cli_learner *out,
                           size_t *file_bytes, enum ecl_status *status, char *err, size_t errlen);
/* Serialises and writes atomically. Refuses (file untouched) when a learned value is not
 * finite, when the image fails the reader's own validation, or when the file is no longer the
 * one cli_state_load read (L->src; for a new learner: a file appeared meanwhile). */
int cli_state_save(const struct cli_learner *L, const char *path, char *err, size_t errlen);
/* The state image cli_state_save writes (same checks; path names the file in messages), in a
 * malloc'd buffer the caller frees. 0, or 1 with err set. */
int cli_state_image(const struct cli_learner *L, const char *path, void **img, size_t *len,
                    char *err, size_t errlen);
void cli_learner_free(struct cli_learner *L);

/* Progress on stderr: on a terminal one line updated in place ("\r<what> i/n (p%)"), otherwise
 * (logs, tests) one line per quarter; cli_progress_done ends it. */
void cli_progress(const char *what, uint64_t i, uint64_t n);
void cli_progress_done(const char *what, uint64_t n);

/* JSON output helpers: a quoted, escaped string (NULL -> ""); a number (%.6g, non-finite ->
 * null). */
void cli_json_str(FILE *f, const char *s);
void cli_json_num(FILE *f, double v);

/* Forgetting and backward transfer of a T x T accuracy matrix R (row l: after experience l;
 * column j: accuracy on experience j's test samples, NaN if it has none):
 *   forgetting = mean over j < T-1 of max_{j <= l < T-1} R[l][j] - R[T-1][j]
 *   bwt        = mean over j < T-1 of R[T-1][j] - R[j][j]      (Lopez-Paz & Ranzato 2017)
 * Columns whose final or diagonal entry is not finite are left out; NaN if none is left. */
void cli_forgetting_bwt(const double *R, uint32_t T, double *forgetting, double *bwt);

#endif

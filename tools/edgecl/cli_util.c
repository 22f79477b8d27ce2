/* tools/edgecl/cli_util.c - shared option parsing for the subcommands (state files: cli_state.c).
 *
 * Why learner options are collected first and applied later: the library's defaults depend on
 * the learner kind, the latent dimension and the class budget, and the dimension is only known
 * once the feature file is read. So the parser records what the user set (a bit per option)
 * and cli_learner_params() lays exactly those fields over the defaults: learn_defaults_params()
 * (tools/common/learn_defaults.h, shared with the web demo) for a state `learn` creates,
 * ecl_learner_default_params() for eval and bench-cl, whose published figures use the
 * library's.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edgecl/port.h"
#include "statefile.h"
#include "learn_defaults.h"

void cli_seterr(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ----------------------------------------------------------------- generic options */
static const char *missing_value_for; /* option seen last without its value */

int cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return 1;
    }
    return 0;
}

const char *cli_opt(int argc, char **argv, int *i, const char *name) {
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n] != 0) return NULL;
    if (*i + 1 >= argc) {
        missing_value_for = a;
        return NULL;
    }
    (*i)++;
    return argv[*i];
}

int cli_flag(char **argv, int i, const char *name) {
    return strcmp(argv[i], name) == 0;
}

int cli_bad_opt(const char *cmd, int argc, char **argv, int i) {
    (void)argc;
    if (missing_value_for == argv[i])
        fprintf(stderr, "%s: option '%s' needs a value (see edgecl %s --help)\n", cmd, argv[i],
                cmd);
    else if (argv[i][0] == '-')
        fprintf(stderr, "%s: unknown option '%s' (see edgecl %s --help)\n", cmd, argv[i], cmd);
    else
        fprintf(stderr, "%s: unexpected argument '%s' (see edgecl %s --help)\n", cmd, argv[i], cmd);
    return 1;
}

int cli_parse_u32(const char *what, const char *s, uint32_t lo, uint32_t hi, uint32_t *out,
                  char *err, size_t errlen) {
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') goto bad;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || end == s) goto bad;
    if (v < lo || v > hi) {
        cli_seterr(err, errlen, "%s: %s out of range (%u..%u)", what, s, lo, hi);
        return 1;
    }
    *out = (uint32_t)v;
    return 0;
bad:
    cli_seterr(err, errlen, "%s: '%s' is not a non-negative integer", what, s ? s : "");
    return 1;
}

int cli_parse_f32(const char *what, const char *s, float lo, float hi, float *out, char *err,
                  size_t errlen) {
    char *end;
    errno = 0;
    if (!s || !*s) goto bad;
    float v = strtof(s, &end);
    if (errno || *end || end == s || !isfinite(v)) goto bad;
    if (v < lo || v > hi) {
        cli_seterr(err, errlen, "%s: %s out of range (%g..%g)", what, s, lo, hi);
        return 1;
    }
    *out = v;
    return 0;
bad:
    cli_seterr(err, errlen, "%s: '%s' is not a number", what, s ? s : "");
    return 1;
}

/* ----------------------------------------------------------------- learner options */
const char *cli_policy_name(enum ecl_replay_policy p) {
    switch (p) {
    case ECL_REPLAY_RANDOM:
        return "random";
    case ECL_REPLAY_FIFO:
        return "fifo";
    case ECL_REPLAY_BALANCED:
        return "balanced";
    }
    return "?";
}

const char *cli_storage_name(enum ecl_replay_storage s) {
    return s == ECL_REPLAY_U8 ? "u8" : s == ECL_REPLAY_F32 ? "f32" : "?";
}

const char *cli_optimizer_name(enum ecl_optimizer o) {
    return o == ECL_OPT_ADAM ? "adam" : o == ECL_OPT_SGD ? "sgd" : "?";
}

struct cli_learner_opts cli_learner_opts_default(void) {
    struct cli_learner_opts o;
    memset(&o, 0, sizeof o);
    o.kind = LEARN_DEFAULT_KIND;
    o.max_classes = LEARN_DEFAULT_MAX_CLASSES;
    return o;
}

static int parse_kind(const char *s, enum ecl_learner_kind *k) {
    static const char *names[] = {"naive", "replay", "slda", "ncm"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, names[i])) {
            *k = (enum ecl_learner_kind)i;
            return 0;
        }
    return 1;
}

int cli_learner_opt(struct cli_learner_opts *o, int argc, char **argv, int *i, char *err,
                    size_t errlen) {
    const char *v;
    int j = *i;
#define TAKE(name) (j = *i, (v = cli_opt(argc, argv, &j, name)) != NULL)
#define MARK(bit) (o->set |= 1u << CLI_OPT_##bit)
    if (TAKE("--learner")) {
        if (parse_kind(v, &o->kind)) {
            cli_seterr(err, errlen, "--learner: unknown learner '%s' (naive, replay, slda, ncm)",
                       v);
            return -1;
        }
        MARK(KIND);
    } else if (TAKE("--max-classes")) {
        if (cli_parse_u32("--max-classes", v, 1, 1u << 16, &o->max_classes, err, errlen)) return -1;
        MARK(MAX_CLASSES);
    } else if (TAKE("--seed")) {
        if (cli_parse_u32("--seed", v, 0, UINT32_MAX, &o->seed, err, errlen)) return -1;
        MARK(SEED);
    } else if (TAKE("--hidden")) {
        /* "128", "256,128", or "0" for a linear head */
        o->n_hidden = 0;
        const char *s = v;
        char tmp[32];
        while (*s) {
            size_t k = strcspn(s, ",");
            if (k == 0 || k >= sizeof tmp) goto bad_hidden;
            memcpy(tmp, s, k);
            tmp[k] = 0;
            uint32_t h;
            if (cli_parse_u32("--hidden", tmp, 0, 1u << 16, &h, err, errlen)) return -1;
            if (h == 0) {
                if (o->n_hidden != 0 || s[k]) goto bad_hidden;
            } else {
                if (o->n_hidden >= ECL_HEAD_MAX_HIDDEN) {
                    cli_seterr(err, errlen, "--hidden: at most %d hidden layers",
                               ECL_HEAD_MAX_HIDDEN);
                    return -1;
                }
                o->hidden[o->n_hidden++] = h;
            }
            s += k;
            if (*s == ',') {
                s++;
                if (!*s) goto bad_hidden;
            }
        }
        if (!*v) goto bad_hidden;
        MARK(HIDDEN);
    } else if (TAKE("--optimizer")) {
        if (!strcmp(v, "sgd"))
            o->optimizer = ECL_OPT_SGD;
        else if (!strcmp(v, "adam"))
            o->optimizer = ECL_OPT_ADAM;
        else {
            cli_seterr(err, errlen, "--optimizer: unknown optimizer '%s' (sgd, adam)", v);
            return -1;
        }
        MARK(OPTIMIZER);
    } else if (TAKE("--lr")) {
        if (cli_parse_f32("--lr", v, 0.0f, 100.0f, &o->lr, err, errlen)) return -1;
        MARK(LR);
    } else if (TAKE("--lr-after")) {
        if (cli_parse_f32("--lr-after", v, 0.0f, 100.0f, &o->lr_after, err, errlen)) return -1;
        MARK(LR_AFTER);
    } else if (TAKE("--momentum")) {
        if (cli_parse_f32("--momentum", v, 0.0f, 0.9999f, &o->momentum, err, errlen)) return -1;
        MARK(MOMENTUM);
    } else if (TAKE("--l2")) {
        if (cli_parse_f32("--l2", v, 0.0f, 10.0f, &o->l2, err, errlen)) return -1;
        MARK(L2);
    } else if (TAKE("--epochs")) {
        if (cli_parse_u32("--epochs", v, 1, 100000, &o->epochs, err, errlen)) return -1;
        MARK(EPOCHS);
    } else if (TAKE("--batch")) {
        if (cli_parse_u32("--batch", v, 1, 65536, &o->batch, err, errlen)) return -1;
        MARK(BATCH);
    } else if (TAKE("--replay-batch")) {
        if (cli_parse_u32("--replay-batch", v, 0, 65536, &o->replay_batch, err, errlen)) return -1;
        MARK(REPLAY_BATCH);
    } else if (TAKE("--buffer")) {
        if (cli_parse_u32("--buffer", v, 1, 1u << 26, &o->buffer, err, errlen)) return -1;
        MARK(BUFFER);
    } else if (TAKE("--policy")) {
        if (!strcmp(v, "random"))
            o->policy = ECL_REPLAY_RANDOM;
        else if (!strcmp(v, "fifo"))
            o->policy = ECL_REPLAY_FIFO;
        else if (!strcmp(v, "balanced"))
            o->policy = ECL_REPLAY_BALANCED;
        else {
            cli_seterr(err, errlen, "--policy: unknown policy '%s' (random, fifo, balanced)", v);
            return -1;
        }
        MARK(POLICY);
    } else if (TAKE("--storage")) {
        if (!strcmp(v, "f32"))
            o->storage = ECL_REPLAY_F32;
        else if (!strcmp(v, "u8"))
            o->storage = ECL_REPLAY_U8;
        else {
            cli_seterr(err, errlen, "--storage: unknown storage '%s' (f32, u8)", v);
            return -1;
        }
        MARK(STORAGE);
    } else if (TAKE("--replace-fraction")) {
        if (cli_parse_f32("--replace-fraction", v, 0.0f, 1.0f, &o->replace_fraction, err, errlen))
            return -1;
        MARK(REPLACE_FRACTION);
    } else if (TAKE("--shrinkage")) {
        if (cli_parse_f32("--shrinkage", v, 0.0f, 1.0f, &o->shrinkage, err, errlen)) return -1;
        MARK(SHRINKAGE);
    } else {
        /* Known learner option without a value? */
        static const char *names[] = {"--learner",          "--max-classes", "--seed",
                                      "--hidden",           "--optimizer",   "--lr",
                                      "--lr-after",         "--momentum",    "--l2",
                                      "--epochs",           "--batch",       "--replay-batch",
                                      "--buffer",           "--policy",      "--storage",
                                      "--replace-fraction", "--shrinkage"};
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
            if (!strcmp(argv[*i], names[k])) {
                cli_seterr(err, errlen, "option '%s' needs a value", names[k]);
                return -1;
            }
        return 0;
    }
    *i = j;
    return 1;
bad_hidden:
    cli_seterr(err, errlen, "--hidden: expected sizes like 128 or 256,128 (0 = no hidden layer)");
    return -1;
#undef TAKE
#undef MARK
}

/* Lays the options the user set over *p (defaults already in it) and checks the result. */
static int apply_opts(const struct cli_learner_opts *o, enum ecl_learner_kind kind, uint32_t dim,
                      struct ecl_learner_params *p, char *err, size_t errlen) {
    if (o->set & (1u << CLI_OPT_SEED)) {
        p->seed = o->seed;
        p->head.seed = o->seed;
        p->replay.seed = o->seed ^ 0x9E3779B9u;
    }
    if (o->set & (1u << CLI_OPT_HIDDEN)) {
        p->head.n_hidden = o->n_hidden;
        for (uint32_t k = 0; k < ECL_HEAD_MAX_HIDDEN; k++)
            p->head.hidden[k] = k < o->n_hidden ? o->hidden[k] : 0;
    }
    if (o->set & (1u << CLI_OPT_OPTIMIZER)) p->head.optimizer = o->optimizer;
    if (o->set & (1u << CLI_OPT_LR)) p->head.lr = o->lr;
    if (o->set & (1u << CLI_OPT_LR_AFTER)) p->lr_after_first = o->lr_after;
    if (o->set & (1u << CLI_OPT_MOMENTUM)) p->head.momentum = o->momentum;
    if (o->set & (1u << CLI_OPT_L2)) p->head.l2 = o->l2;
    if (o->set & (1u << CLI_OPT_EPOCHS)) p->epochs = o->epochs;
    if (o->set & (1u << CLI_OPT_BATCH)) p->batch_size = o->batch;
    if (o->set & (1u << CLI_OPT_REPLAY_BATCH)) p->replay_per_batch = o->replay_batch;
    if (o->set & (1u << CLI_OPT_BUFFER)) p->replay.capacity = o->buffer;
    if (o->set & (1u << CLI_OPT_POLICY)) p->replay.policy = o->policy;
    if (o->set & (1u << CLI_OPT_STORAGE)) p->replay.storage = o->storage;
    if (o->set & (1u << CLI_OPT_REPLACE_FRACTION)) p->replay.replace_fraction = o->replace_fraction;
    if (o->set & (1u << CLI_OPT_SHRINKAGE)) p->slda_shrinkage = o->shrinkage;
    /* head.max_batch needs no care here: the library grows it to batch + replayed samples. */

    size_t bytes = 0;
    enum ecl_status st = ecl_learner_mem_size(p, &bytes);
    if (st != ECL_OK) {
        cli_seterr(err, errlen, "invalid learner configuration (%s, dim %u, %u classes): %s",
                   ecl_learner_kind_name(kind), dim, p->max_classes, ecl_status_str(st));
        return 1;
    }
    if (bytes > CLI_MAX_LEARNER_BYTES) {
        cli_seterr(err, errlen, "learner would need %zu MiB of memory (limit %zu MiB)", bytes >> 20,
                   CLI_MAX_LEARNER_BYTES >> 20);
        return 1;
    }
    return 0;
}

int cli_learner_params_kind(const struct cli_learner_opts *o, enum ecl_learner_kind kind,
                            uint32_t dim, struct ecl_learner_params *p, char *err, size_t errlen) {
    if (dim == 0) {
        cli_seterr(err, errlen, "latent dimension is 0");
        return 1;
    }
    *p = ecl_learner_default_params(kind, dim, o->max_classes);
    return apply_opts(o, kind, dim, p, err, errlen);
}

int cli_learner_params(const struct cli_learner_opts *o, uint32_t dim, uint32_t n_first,
                       struct ecl_learner_params *p, char *err, size_t errlen) {
    if (dim == 0) {
        cli_seterr(err, errlen, "latent dimension is 0");
        return 1;
    }
    *p = learn_defaults_params(o->kind, dim, o->max_classes, n_first);
    if (CLI_SET(o, BATCH) && !CLI_SET(o, EPOCHS)) /* the epoch rule counts steps of this size */
        p->epochs = learn_defaults_epochs(n_first, o->batch);
    return apply_opts(o, o->kind, dim, p, err, errlen);
}

void cli_learner_opts_help(FILE *f, unsigned omit) {
    static const struct {
        unsigned group;
        const char *text;
    } lines[] = {
        {CLI_HELP_KIND, "  --learner naive|replay|slda|ncm   learner kind (default replay)\n"},
        {CLI_HELP_MAX_CLASSES, "  --max-classes N     class budget (default 50)\n"},
        {CLI_HELP_SEED, "  --seed N            random seed (weights, shuffling, replay)\n"},
        {0, "  --hidden N[,N..]    head hidden layer sizes, 0 = linear head (default 128)\n"},
        {0, "  --optimizer sgd|adam (default adam)\n"},
        {0, "  --lr X              learning rate of the first observe call (default 0.001)\n"},
        {0, "  --lr-after X        learning rate of later calls (<=0: keep --lr; learn's\n"
            "                      default 0: keep)\n"},
        {0, "  --momentum X        SGD momentum\n"},
        {0, "  --l2 X              L2 weight decay\n"},
        {0, "  --epochs N          most passes over each observed batch (learn's default:\n"
            "                      enough for 400 mini-batch steps on the first call, 4..100\n"
            "                      epochs: 3 images 100, 200 images 58, 1000 images 13; learn\n"
            "                      stops earlier when the loss settles, see --all-epochs)\n"},
        {0, "  --batch N           new samples per mini-batch (default 32)\n"},
        {0, "  --replay-batch N    replayed samples per mini-batch (replay; default 32)\n"},
        {CLI_HELP_REPLAY_MEM, "  --buffer N          replay memory capacity in samples (replay; "
                              "default 1500)\n"},
        {CLI_HELP_REPLAY_MEM, "  --policy random|fifo|balanced   replay replacement policy\n"},
        {CLI_HELP_REPLAY_MEM, "  --storage f32|u8    replay storage (u8: 4x smaller)\n"},
        {0, "  --replace-fraction X   random policy: share of the buffer replaced per batch\n"},
        {0, "  --shrinkage X       SLDA covariance shrinkage\n"},
    };
    fprintf(f, "learner options (used when a learner is created):\n");
    for (size_t k = 0; k < sizeof lines / sizeof lines[0]; k++)
        if (!(lines[k].group & omit)) fputs(lines[k].text, f);
}

void cli_learner_describe(const struct ecl_learner_params *p, char *buf, size_t len) {
    size_t o = 0;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (o < len) {                                                                             \
            int w_ = snprintf(buf + o, len - o, __VA_ARGS__);                                      \
            if (w_ > 0) o += (size_t)w_;                                                           \
        }                                                                                          \
    } while (0)
    if (!len) return;
    buf[0] = 0;
    ADD("%s, dim %u, max %u classes", ecl_learner_kind_name(p->kind), p->dim, p->max_classes);
    if (p->kind == ECL_LEARNER_NAIVE || p->kind == ECL_LEARNER_REPLAY) {
        ADD(", head %u", p->dim);
        for (uint32_t k = 0; k < p->head.n_hidden && k < ECL_HEAD_MAX_HIDDEN; k++)
            ADD("-%u", p->head.hidden[k]);
        ADD("-C, %s lr %g", cli_optimizer_name(p->head.optimizer), p->head.lr);
        if (p->lr_after_first > 0) ADD(" then %g", p->lr_after_first);
        ADD(", epochs %u, batch %u", p->epochs, p->batch_size);
    }
    if (p->kind == ECL_LEARNER_REPLAY)
        ADD(" + %u replayed, buffer %u (%s, %s)", p->replay_per_batch, p->replay.capacity,
            cli_policy_name(p->replay.policy), cli_storage_name(p->replay.storage));
    if (p->kind == ECL_LEARNER_SLDA) ADD(", shrinkage %g", p->slda_shrinkage);
#undef ADD
}

/* ----------------------------------------------------------------- progress */
static int last_pct = -1;

void cli_progress(const char *what, uint64_t i, uint64_t n) {
    if (n == 0) return;
    int pct = (int)(i * 100 / n);
    if (isatty(STDERR_FILENO)) {
        if (pct != last_pct)
            fprintf(stderr, "\r%s %llu/%llu (%d%%)", what, (unsigned long long)i,
                    (unsigned long long)n, pct);
    } else if (pct / 25 != last_pct / 25 && pct < 100 && i > 0) {
        /* Logs get a few lines, not a carriage-return storm. */
        fprintf(stderr, "%s %llu/%llu (%d%%)\n", what, (unsigned long long)i, (unsigned long long)n,
                pct);
    }
    last_pct = pct;
}

void cli_progress_done(const char *what, uint64_t n) {
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "\r%s %llu/%llu (100%%)\n", what, (unsigned long long)n,
                (unsigned long long)n);
    last_pct = -1;
}

void cli_json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

void cli_json_num(FILE *f, double v) {
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fputs("null", f);
}

void cli_forgetting_bwt(const double *R, uint32_t T, double *forgetting, double *bwt) {
    double fsum = 0, bsum = 0;
    uint32_t fc = 0;
    for (uint32_t j = 0; j + 1 < T; j++) {
        double fin = R[(size_t)(T - 1) * T + j], diag = R[(size_t)j * T + j];
        if (!isfinite(fin) || !isfinite(diag)) continue;
        double best = -1;
        for (uint32_t l = j; l + 1 < T; l++)
            if (R[(size_t)l * T + j] > best) best = R[(size_t)l * T + j];
        fsum += best - fin;
        bsum += fin - diag;
        fc++;
    }
    *forgetting = fc ? fsum / fc : NAN;
    *bwt = fc ? bsum / fc : NAN;
}

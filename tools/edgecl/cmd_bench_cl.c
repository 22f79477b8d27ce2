/* edgecl bench-cl - continual-learning benchmarks through the backbone.
 *
 * Pipeline: dataset -> (subset) -> backbone features at the cut layer, cached in a feature file
 * so a sweep over learners extracts once -> scenario batches (seeded per run) -> for each
 * learner configuration: observe batch by batch, test on the full test set after each batch.
 * This file: usage, options, main flow; the stages are bench_cl_pool.c (features and cache),
 * bench_cl_run.c (configurations, runs, metrics) and bench_cl_out.c (table, JSON, SVG).
 *
 * Metrics (R[b][g] = accuracy after batch b on the test samples of group g, where a group is
 * the batch that introduced the sample's class, or its domain; T batches):
 *   acc[b]      accuracy on the whole test set after batch b
 *   final_acc   acc[T-1];  avg_acc = mean_b acc[b]
 *   forgetting  mean over groups g first trained at b_g < T-1 of
 *               max_{b_g<=l<T-1} R[l][g] - R[T-1][g]
 *   bwt         mean over the same groups of R[T-1][g] - R[b_g][g] (Lopez-Paz & Ranzato 2017)
 *   time        observe() wall time per training sample (joint: its retraining counted too)
 *   memory      learner bytes (head + optimiser state + replay memory, ecl_learner_mem_size)
 *               + the backbone arena; joint also keeps every latent seen so far.
 * 'joint' is the cumulative upper bound. Two ways to compute it (--joint):
 *   retrain      after every batch, a fresh head (a naive learner, reset) is trained on all data
 *                seen so far: the textbook bound, but O(T^2) samples over T batches;
 *   incremental  the head is NOT reset; after every batch it keeps training on S samples drawn
 *                uniformly (without replacement) from all data seen so far, S = min(seen,
 *                max(--joint-samples, batch size)): i.i.d. training on the stream so far at
 *                O(T*S) cost, so NICv2-391 (390 batches of ~300) stays linear.
 *   auto (default) = retrain up to 20 batches, incremental beyond. */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_cl.h"
#include "cmds.h"

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: edgecl bench-cl --scenario S [options]\n"
        "\n"
        "Continual-learning benchmark: features through the backbone (cached), batches in\n"
        "order, accuracy on the full test set after every batch; forgetting, backward\n"
        "transfer, training time per sample and memory per learner configuration.\n"
        "\n"
        "scenarios:\n"
        "  split-fmnist | split-mnist   class-incremental, 5 batches of 2 classes\n"
        "  rot-fmnist | rot-mnist       domain-incremental, 5 batches = rotations 0,45,90,\n"
        "                               135,180 degrees, all 10 classes each\n"
        "  core50-ni | core50-nc | core50-nicv2-79 | core50-nicv2-196 | core50-nicv2-391\n"
        "                               (needs --core50 DIR, see docs/results.md)\n"
        "\n"
        "options:\n"
        "  --learner L[,L..]   naive, replay, slda, ncm, joint, all (default all)\n"
        "  --joint retrain|incremental|auto   how joint is computed (default auto: retrain\n"
        "                      from scratch after every batch up to %d batches, O(batches^2);\n"
        "                      beyond, keep training one head on --joint-samples samples\n"
        "                      drawn uniformly from all data seen so far after each batch)\n"
        "  --joint-samples N   incremental joint: samples per batch (default 3000)\n"
        "  --buffer N[,N..]    replay buffer sizes, one replay config per value (default 1500)\n"
        "  --policy P[,P..]    random, fifo, balanced (default random)\n"
        "  --storage S[,S..]   f32, u8 (default f32)\n"
        "  --runs N            runs with seeds seed..seed+N-1 (default 1); CORe50 batch\n"
        "                      orders and learner initialisations change per run\n"
        "  --seed N            base seed (default 1)\n"
        "  --class-order natural|shuffled   split-*: class order (default natural: 0/1, 2/3..)\n"
        "  --train-limit N     (Fashion-)MNIST training images per class (default 1000; 0 all)\n"
        "  --test-limit N      (Fashion-)MNIST test images per class (default 200; 0 all)\n"
        "  --data DIR          folder of the IDX files (default: Debian / npm copies)\n"
        "  --core50 DIR        CORe50 folder (sN/oM/C_NN_MM_FFF.png)\n"
        "  --core50-level object|category   50 or 10 classes (default object)\n"
        "  --core50-train-stride N   every N-th training frame (default 1)\n"
        "  --core50-test-stride N    every N-th test frame (default 20)\n"
        "  --model FILE        backbone .tflite (default %s)\n"
        "  --cut TENSOR        cut layer (default %s)\n"
        "  --threads N         backbone threads (default 1)\n"
        "  --cache DIR         feature cache folder (default $EDGECL_CACHE or\n"
        "                      ~/.cache/edgecl); --no-cache extracts every time\n"
        "  --json FILE         results as JSON;  --svg FILE  accuracy-vs-batch plot\n"
        "  --title TEXT        plot title\n"
        "  --replay-hist       replay: print the buffer's class histogram after every batch\n"
        "                      (a shadow buffer with the same policy fed the same batches)\n"
        "  -q, --quiet         no per-batch progress\n"
        "\n",
        BCL_JOINT_AUTO_MAX_BATCHES, fe_default_model_path(), FE_CUT_HELP);
    cli_learner_opts_help(f, CLI_HELP_KIND | CLI_HELP_MAX_CLASSES | CLI_HELP_SEED |
                                 CLI_HELP_REPLAY_MEM);
    fprintf(f, "\nexample:\n"
               "  edgecl bench-cl --scenario split-fmnist --learner naive,replay,joint \\\n"
               "      --buffer 100,1000 --storage f32,u8 --json r.json --svg r.svg\n");
}

/* The one-line error of bad input: exit status 2. */
static int bad(const char *err) {
    fprintf(stderr, "bench-cl: %s\n", err);
    return 2;
}

/* ------------------------------------------------------------------ options */
enum opt_type { OPT_STR, OPT_FLAG, OPT_U32, OPT_LIST, OPT_CHOICE };

struct choice {
    const char *name;
    int value;
};

/* One option: its value goes into the bcl_opts field at `off`. */
struct opt_row {
    const char *name;
    enum opt_type type;
    size_t off;
    size_t cap;                   /* OPT_LIST: the field's size */
    uint32_t lo, hi;              /* OPT_U32: the range */
    const struct choice *choices; /* OPT_CHOICE: {NULL}-terminated */
    const char *expected;         /* OPT_CHOICE: the message's list of choices */
};

static const struct choice JOINT_MODES[] = {{"auto", BCL_JOINT_AUTO},
                                            {"retrain", BCL_JOINT_RETRAIN},
                                            {"incremental", BCL_JOINT_INCREMENTAL},
                                            {NULL, 0}};
static const struct choice CLASS_ORDERS[] = {{"natural", 0}, {"shuffled", 1}, {NULL, 0}};
static const struct choice C50_LEVELS[] = {
    {"object", CORE50_OBJECT}, {"category", CORE50_CATEGORY}, {NULL, 0}};

#define FIELD(f) offsetof(struct bcl_opts, f)
#define STR(n, f)                                                                                  \
    { n, OPT_STR, FIELD(f), 0, 0, 0, NULL, NULL }
#define FLAG(n, f)                                                                                 \
    { n, OPT_FLAG, FIELD(f), 0, 0, 0, NULL, NULL }
#define U32(n, f, lo, hi)                                                                          \
    { n, OPT_U32, FIELD(f), 0, lo, hi, NULL, NULL }
#define LIST(n, f)                                                                                 \
    { n, OPT_LIST, FIELD(f), sizeof(((struct bcl_opts *)0)->f), 0, 0, NULL, NULL }
#define CHOICE(n, f, t, e)                                                                         \
    { n, OPT_CHOICE, FIELD(f), 0, 0, 0, t, e }
static const struct opt_row OPTS[] = {
    STR("--scenario", scenario),
    LIST("--learner", learners),
    CHOICE("--joint", joint_mode, JOINT_MODES, "retrain, incremental or auto"),
    U32("--joint-samples", joint_samples, 1, 100000000),
    LIST("--buffer", buffers),
    LIST("--policy", policies),
    LIST("--storage", storages),
    U32("--runs", runs, 1, 100),
    U32("--seed", seed, 0, 0x7fffffff),
    U32("--train-limit", train_limit, 0, 10000000),
    U32("--test-limit", test_limit, 0, 10000000),
    CHOICE("--class-order", shuffled_order, CLASS_ORDERS, "natural or shuffled"),
    STR("--data", data_dir),
    STR("--core50", core50_dir),
    CHOICE("--core50-level", c50_level, C50_LEVELS, "object or category"),
    U32("--core50-train-stride", c50_train_stride, 1, 1000),
    U32("--core50-test-stride", c50_test_stride, 1, 1000),
    STR("--model", model),
    STR("--cut", cut),
    U32("--threads", threads, 1, 64),
    STR("--cache", cache_dir),
    FLAG("--no-cache", no_cache),
    STR("--json", json),
    STR("--svg", svg),
    STR("--title", title),
    FLAG("--replay-hist", replay_hist),
    FLAG("-q", quiet),
    FLAG("--quiet", quiet),
};
#undef FIELD
#undef STR
#undef FLAG
#undef U32
#undef LIST
#undef CHOICE

static int choice_find(const struct choice *t, const char *s, int *out) {
    for (; t->name; t++)
        if (!strcmp(t->name, s)) {
            *out = t->value;
            return 0;
        }
    return 1;
}

/* argv[*i] against the table: 1 taken (*i past its value), 0 not an option of the table, -1 a
 * bad value (err). */
static int opt_take(struct bcl_opts *o, int argc, char **argv, int *i, char *err, size_t errlen) {
    for (size_t r = 0; r < sizeof OPTS / sizeof *OPTS; r++) {
        const struct opt_row *row = &OPTS[r];
        char *field = (char *)o + row->off;
        const char *v = NULL;
        if (row->type == OPT_FLAG) {
            if (!cli_flag(argv, *i, row->name)) continue;
            *(int *)field = 1;
            return 1;
        }
        if (!(v = cli_opt(argc, argv, i, row->name))) continue;
        if (row->type == OPT_STR)
            *(const char **)field = v;
        else if (row->type == OPT_LIST)
            snprintf(field, row->cap, "%s", v);
        else if (row->type == OPT_U32) {
            if (cli_parse_u32(row->name, v, row->lo, row->hi, (uint32_t *)field, err, errlen))
                return -1;
        } else if (choice_find(row->choices, v, (int *)field)) {
            snprintf(err, errlen, "%s: expected %s", row->name, row->expected);
            return -1;
        }
        return 1;
    }
    return 0;
}

static void opts_default(struct bcl_opts *o) {
    memset(o, 0, sizeof *o);
    o->train_limit = 1000;
    o->test_limit = 200;
    o->runs = 1;
    o->seed = 1;
    o->threads = 1;
    o->c50_train_stride = 1;
    o->c50_test_stride = 20;
    o->joint_samples = 3000;
    o->model = fe_default_model_path();
    o->cut = FE_CUT_DEFAULT;
    snprintf(o->learners, sizeof o->learners, "all");
    snprintf(o->buffers, sizeof o->buffers, "1500");
    snprintf(o->policies, sizeof o->policies, "random");
    snprintf(o->storages, sizeof o->storages, "f32");
}

/* The command line into o and lo: 0, or 2 (printed). */
static int opts_parse(int argc, char **argv, struct bcl_opts *o, struct cli_learner_opts *lo) {
    char err[512];
    opts_default(o);
    *lo = cli_learner_opts_default();
    for (int i = 1; i < argc; i++) {
        int r = opt_take(o, argc, argv, &i, err, sizeof err);
        if (r == 0) r = cli_learner_opt(lo, argc, argv, &i, err, sizeof err);
        if (r < 0) return bad(err);
        if (r == 0 && cli_bad_opt("bench-cl", argc, argv, i)) return 2;
    }
    if (!o->scenario) {
        fprintf(stderr, "bench-cl: --scenario is required (edgecl bench-cl --help)\n");
        return 2;
    }
    if (CLI_SET(lo, MAX_CLASSES)) {
        fprintf(stderr, "bench-cl: --max-classes is not an option here: the class budget is the "
                        "scenario's number of classes\n");
        return 2;
    }
    return 0;
}

/* ------------------------------------------------------------------ scenario and lists */
static const struct {
    const char *name;
    enum bcl_family fam;
    enum ds_kind ds;
} SCENARIOS[] = {
    {"split-fmnist", BCL_FAM_SPLIT, DS_FMNIST},
    {"split-mnist", BCL_FAM_SPLIT, DS_MNIST},
    {"rot-fmnist", BCL_FAM_ROT, DS_FMNIST},
    {"rot-mnist", BCL_FAM_ROT, DS_MNIST},
};

/* o->scenario into o->fam / ds / c50kind: 0, or 2 (printed). */
static int scenario_parse(struct bcl_opts *o) {
    for (size_t k = 0; k < sizeof SCENARIOS / sizeof *SCENARIOS; k++)
        if (!strcmp(o->scenario, SCENARIOS[k].name)) {
            o->fam = SCENARIOS[k].fam, o->ds = SCENARIOS[k].ds;
            return 0;
        }
    if (!strncmp(o->scenario, "core50-", 7) &&
        core50_kind_parse(o->scenario + 7, &o->c50kind) == ECL_OK) {
        o->fam = BCL_FAM_CORE50;
        return 0;
    }
    char err[512];
    snprintf(err, sizeof err,
             "unknown scenario '%s' (split-fmnist, split-mnist, rot-fmnist, "
             "rot-mnist, core50-ni, core50-nc, core50-nicv2-79|196|391)",
             o->scenario);
    return bad(err);
}

static const struct choice LEARNERS[] = {{"naive", BCL_K_NAIVE}, {"replay", BCL_K_REPLAY},
                                         {"slda", BCL_K_SLDA},   {"ncm", BCL_K_NCM},
                                         {"joint", BCL_K_JOINT}, {NULL, 0}};
static const struct choice POLICIES[] = {{"random", ECL_REPLAY_RANDOM},
                                         {"fifo", ECL_REPLAY_FIFO},
                                         {"balanced", ECL_REPLAY_BALANCED},
                                         {NULL, 0}};
static const struct choice STORAGES[] = {{"f32", ECL_REPLAY_F32}, {"u8", ECL_REPLAY_U8}, {NULL, 0}};

static int split_list(char *s, char **out, int max) {
    int n = 0;
    for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ","))
        out[n++] = tok;
    return n;
}

/* The lists of o (split in place) into L, before touching any data, so typos fail fast: 0, or
 * 2 (printed). */
static int lists_parse(struct bcl_opts *o, struct bcl_lists *L) {
    char err[512], *items[BCL_MAX_LIST];
    memset(L, 0, sizeof *L);
    int n_items = split_list(o->learners, items, BCL_MAX_LIST), v;
    for (int k = 0; k < n_items; k++) {
        if (!strcmp(items[k], "all"))
            for (int j = 0; j < BCL_N_KINDS; j++)
                L->want[j] = 1;
        else if (!choice_find(LEARNERS, items[k], &v))
            L->want[v] = 1;
        else {
            snprintf(err, sizeof err,
                     "--learner: unknown learner '%s' (naive, replay, slda, "
                     "ncm, joint, all)",
                     items[k]);
            return bad(err);
        }
    }
    if (n_items == 0) return bad("--learner: empty list");
    L->n_buf = split_list(o->buffers, items, BCL_MAX_LIST);
    for (int k = 0; k < L->n_buf; k++)
        if (cli_parse_u32("--buffer", items[k], 1, 10000000, &L->buffers[k], err, sizeof err))
            return bad(err);
    L->n_pol = split_list(o->policies, items, BCL_MAX_LIST);
    for (int k = 0; k < L->n_pol; k++) {
        if (choice_find(POLICIES, items[k], &v)) {
            snprintf(err, sizeof err, "--policy: unknown policy '%s' (random, fifo, balanced)",
                     items[k]);
            return bad(err);
        }
        L->policies[k] = (enum ecl_replay_policy)v;
    }
    L->n_sto = split_list(o->storages, items, BCL_MAX_LIST);
    for (int k = 0; k < L->n_sto; k++) {
        if (choice_find(STORAGES, items[k], &v)) {
            snprintf(err, sizeof err, "--storage: unknown storage '%s' (f32, u8)", items[k]);
            return bad(err);
        }
        L->storages[k] = (enum ecl_replay_storage)v;
    }
    if (!L->n_buf || !L->n_pol || !L->n_sto) return bad("--buffer/--policy/--storage: empty list");
    return 0;
}

/* --cache default: $EDGECL_CACHE, $XDG_CACHE_HOME/edgecl or ~/.cache/edgecl */
static void cache_dir_default(struct bcl_opts *o, char *buf, size_t cap) {
    if (o->cache_dir) return;
    const char *e = getenv("EDGECL_CACHE"), *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (e && *e)
        snprintf(buf, cap, "%s", e);
    else if (x && *x)
        snprintf(buf, cap, "%s/edgecl", x);
    else
        snprintf(buf, cap, "%s/.cache/edgecl", home ? home : ".");
    o->cache_dir = buf;
}

/* ------------------------------------------------------------------ main */
/* The backbone; o->cut becomes the resolved cut ("default"/"auto" -> its tensor, in cut_buf). */
static struct fe *backbone_open(struct bcl_opts *o, char *cut_buf, size_t cap) {
    char err[512];
    struct fe_opts fo = fe_default_opts();
    fo.cut = o->cut;
    fo.threads = (int)o->threads;
    struct fe *fe = NULL;
    if (fe_open(o->model, &fo, &fe, err, sizeof err) != ECL_OK) {
        fprintf(stderr, "bench-cl: %s\n", err);
        return NULL;
    }
    snprintf(cut_buf, cap, "%s", fe_cut_name(fe));
    o->cut = cut_buf;
    int iw, ih;
    fe_input_size(fe, &iw, &ih);
    if (!o->quiet)
        fprintf(stderr, "bench-cl: backbone %s, input %dx%d, cut %s -> %u-d, arena %.1f MiB\n",
                o->model, iw, ih, o->cut, fe_dim(fe), fe_arena_bytes(fe) / 1048576.0);
    return fe;
}

/* Pool, configurations, runs, report; closes fe. 0 or 1. */
static int bench(const struct bcl_opts *o, struct cli_learner_opts *lo, const struct bcl_lists *L,
                 struct fe *fe) {
    uint32_t dim = fe_dim(fe), T = 0;
    size_t arena = fe_arena_bytes(fe);
    int rc = 1, n_cfg = 0;
    struct bcl_pool P;
    memset(&P, 0, sizeof P);
    struct core50 c50;
    memset(&c50, 0, sizeof c50);
    struct cl_scenario sc;
    memset(&sc, 0, sizeof sc);
    struct bcl_config *cfg = calloc(BCL_MAX_CONFIGS, sizeof *cfg);
    struct bcl_result *res = calloc(BCL_MAX_CONFIGS, sizeof *res);
    if (!cfg || !res) goto out;
    if (o->fam == BCL_FAM_CORE50 ? bcl_pool_build_core50(o, fe, dim, &c50, &P)
                                 : bcl_pool_build_mnist(o, fe, dim, &P))
        goto out;
    fe_close(fe);
    fe = NULL;
    lo->max_classes = P.n_classes; /* --max-classes is refused: the scenario sets it */
    lo->set |= 1u << CLI_OPT_MAX_CLASSES;
    if (bcl_configs_build(L, lo, dim, cfg, &n_cfg)) goto out;
    if (bcl_run_all(o, cfg, n_cfg, &P, &c50, &sc, res, &T)) goto out;
    bcl_table_print(o, &P, &sc, arena, cfg, res, n_cfg, T);
    rc = 0;
    if (o->json && bcl_json_write(o, &P, &sc, arena, cfg, res, n_cfg, T)) rc = 1;
    if (o->svg && bcl_svg_write(o, cfg, res, n_cfg, T)) rc = 1;
    if (!o->quiet && rc == 0 && (o->json || o->svg))
        fprintf(stderr, "bench-cl: wrote%s%s%s%s\n", o->json ? " " : "", o->json ? o->json : "",
                o->svg ? " " : "", o->svg ? o->svg : "");
out:
    if (fe) fe_close(fe);
    cl_scenario_free(&sc);
    bcl_pool_free(&P);
    core50_free(&c50);
    bcl_results_free(res, BCL_MAX_CONFIGS);
    free(cfg);
    free(res);
    return rc;
}

int cmd_bench_cl(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    struct bcl_opts o;
    struct cli_learner_opts lo;
    struct bcl_lists L;
    int rc = opts_parse(argc, argv, &o, &lo);
    if (rc == 0) rc = scenario_parse(&o);
    if (rc == 0) rc = lists_parse(&o, &L);
    if (rc) return rc;
    char cache_buf[1024], cut_buf[256];
    cache_dir_default(&o, cache_buf, sizeof cache_buf);
    struct fe *fe = backbone_open(&o, cut_buf, sizeof cut_buf);
    if (!fe) return 1;
    return bench(&o, &lo, &L, fe);
}

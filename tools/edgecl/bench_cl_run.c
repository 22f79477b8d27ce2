/* tools/edgecl/bench_cl_run.c - bench-cl's runs: the learner configurations from the lists, the
 * scenario of each run (seeded per run), and one configuration observing it batch by batch with
 * a test on the full test set after every batch (the metrics: top of cmd_bench_cl.c). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_cl.h"

/* ------------------------------------------------------------------ small helpers */
double bcl_now_s(void) {
    return (double)ecl_port_now_ns() * 1e-9;
}

double bcl_mean(const double *v, uint32_t n) {
    double s = 0;
    for (uint32_t i = 0; i < n; i++)
        s += v[i];
    return n ? s / n : NAN;
}

double bcl_std(const double *v, uint32_t n) {
    if (n < 2) return 0;
    double m = bcl_mean(v, n), s = 0;
    for (uint32_t i = 0; i < n; i++)
        s += (v[i] - m) * (v[i] - m);
    return sqrt(s / (n - 1));
}

int bcl_joint_incremental(const struct bcl_opts *o, uint32_t n_batches) {
    return o->joint_mode == BCL_JOINT_INCREMENTAL ||
           (o->joint_mode == BCL_JOINT_AUTO && n_batches > BCL_JOINT_AUTO_MAX_BATCHES);
}

/* ------------------------------------------------------------------ learner configurations */
/* --learner kinds (the order of the configurations): the learner each creates */
static const struct {
    enum ecl_learner_kind kind;
} KINDS[BCL_N_KINDS] = {
    [BCL_K_NAIVE] = {ECL_LEARNER_NAIVE}, [BCL_K_REPLAY] = {ECL_LEARNER_REPLAY},
    [BCL_K_SLDA] = {ECL_LEARNER_SLDA},   [BCL_K_NCM] = {ECL_LEARNER_NCM},
    [BCL_K_JOINT] = {ECL_LEARNER_NAIVE},
};

/* replay-<buffer>-<policy>-<storage>[-rb<n>][-rf<x>] */
static void replay_name(struct bcl_config *c, const struct cli_learner_opts *lo, uint32_t buffer,
                        enum ecl_replay_policy policy, enum ecl_replay_storage storage) {
    int w = snprintf(c->name, sizeof c->name, "replay-%u-%s-%s", buffer, cli_policy_name(policy),
                     cli_storage_name(storage));
    size_t at = w > 0 && (size_t)w < sizeof c->name ? (size_t)w : 0;
    if (at && CLI_SET(lo, REPLAY_BATCH))
        at += (size_t)snprintf(c->name + at, sizeof c->name - at, "-rb%u", c->p.replay_per_batch);
    if (at < sizeof c->name && CLI_SET(lo, REPLACE_FRACTION))
        snprintf(c->name + at, sizeof c->name - at, "-rf%g", (double)c->p.replay.replace_fraction);
}

/* One configuration: kind k, for replay the list entries ib/ip/is. */
static int config_make(const struct bcl_lists *L, const struct cli_learner_opts *lo, uint32_t dim,
                       int k, int ib, int ip, int is, struct bcl_config *c) {
    char err[512];
    enum ecl_learner_kind kind = KINDS[k].kind;
    struct cli_learner_opts l2 = *lo;
    if (k == BCL_K_REPLAY) {
        l2.buffer = L->buffers[ib], l2.policy = L->policies[ip], l2.storage = L->storages[is];
        l2.set |= 1u << CLI_OPT_BUFFER | 1u << CLI_OPT_POLICY | 1u << CLI_OPT_STORAGE;
    }
    if (cli_learner_params_kind(&l2, kind, dim, &c->p, err, sizeof err)) {
        fprintf(stderr, "bench-cl: %s\n", err);
        return 1;
    }
    c->joint = k == BCL_K_JOINT;
    /* the joint bound trains one head on data of all batches so far: the lower learning rate
     * of later calls (--lr-after) would cripple the incremental joint, which observes once per
     * batch */
    if (c->joint) c->p.lr_after_first = 0;
    if (k == BCL_K_REPLAY)
        replay_name(c, lo, L->buffers[ib], L->policies[ip], L->storages[is]);
    else
        snprintf(c->name, sizeof c->name, "%s",
                 k == BCL_K_JOINT ? "joint" : ecl_learner_kind_name(kind));
    return 0;
}

int bcl_configs_build(const struct bcl_lists *L, const struct cli_learner_opts *lo, uint32_t dim,
                      struct bcl_config *cfg, int *n_cfg) {
    for (int k = 0; k < BCL_N_KINDS; k++) {
        if (!L->want[k]) continue;
        int nb = k == BCL_K_REPLAY ? L->n_buf : 1, np = k == BCL_K_REPLAY ? L->n_pol : 1,
            ns = k == BCL_K_REPLAY ? L->n_sto : 1;
        for (int ib = 0; ib < nb; ib++)
            for (int ip = 0; ip < np; ip++)
                for (int is = 0; is < ns; is++) {
                    if (*n_cfg == BCL_MAX_CONFIGS) {
                        fprintf(stderr, "bench-cl: more than %d learner configurations\n",
                                BCL_MAX_CONFIGS);
                        return 1;
                    }
                    if (config_make(L, lo, dim, k, ib, ip, is, &cfg[*n_cfg])) return 1;
                    (*n_cfg)++;
                }
    }
    return 0;
}

/* ------------------------------------------------------------------ one configuration, one run */
/* One stderr line: the share of each class in the buffer (run 1 only). */
static void print_replay_hist(const char *name, uint32_t b, const struct ecl_replay *r,
                              uint32_t n_classes) {
    uint32_t cnt[256] = {0}, n = ecl_replay_size(r), top = 0;
    for (uint32_t i = 0; i < n; i++) {
        int32_t y;
        if (ecl_replay_get(r, i, NULL, &y) == ECL_OK && y >= 0 && (uint32_t)y < 256) {
            cnt[y]++;
            if ((uint32_t)y + 1 > top) top = (uint32_t)y + 1;
        }
    }
    if (top > n_classes) top = n_classes;
    fprintf(stderr, "bench-cl: %s buffer after batch %u (%u):", name, b + 1, n);
    for (uint32_t c = 0; c < top; c++)
        fprintf(stderr, " %u", cnt[c]);
    fprintf(stderr, "\n");
}

/* The working memory of one run of one configuration. */
struct run_mem {
    float *bx;                /* the rows observed at once */
    int32_t *by;              /* their labels */
    uint32_t *perm;           /* their indices into sc->train_idx */
    double *Rg;               /* T x G accuracy per group after each batch */
    uint32_t *g_total, *g_ok; /* test samples per group, correct ones */
    float *scores;
    struct ecl_replay *shadow; /* --replay-hist */
    void *shadow_mem;
};

static void run_mem_free(struct run_mem *m) {
    free(m->shadow_mem);
    free(m->bx), free(m->by), free(m->perm), free(m->Rg), free(m->g_total), free(m->g_ok),
        free(m->scores);
}

/* 0, or 1 when out of memory */
static int run_mem_alloc(const struct bcl_opts *o, const struct bcl_config *c,
                         const struct ecl_learner_params *p, const struct bcl_pool *P,
                         const struct cl_scenario *sc, int incr, struct run_mem *m) {
    uint32_t T = sc->n_batches, dim = P->dim, G = T;
    size_t max_rows = c->joint ? (incr ? o->joint_samples : sc->n_train) : 0;
    if (max_rows > sc->n_train) max_rows = sc->n_train;
    for (uint32_t b = 0; b < T; b++) {
        uint32_t nb = sc->batch_start[b + 1] - sc->batch_start[b];
        if (nb > max_rows) max_rows = nb;
    }
    memset(m, 0, sizeof *m);
    m->bx = malloc(max_rows * dim * sizeof(float) + 1);
    m->by = malloc(max_rows * sizeof(int32_t) + 1);
    m->perm = malloc(max_rows * sizeof(uint32_t) + 1);
    m->Rg = calloc((size_t)T * G, sizeof(double));
    m->g_total = calloc(G, sizeof(uint32_t)), m->g_ok = calloc(G, sizeof(uint32_t));
    m->scores = malloc(p->max_classes * sizeof(float));
    if (!m->bx || !m->by || !m->perm || !m->Rg || !m->g_total || !m->g_ok || !m->scores) return 1;
    for (uint32_t k = 0; k < sc->n_test; k++)
        if (sc->test_group[k] >= 0 && (uint32_t)sc->test_group[k] < G)
            m->g_total[sc->test_group[k]]++;
    /* --replay-hist: the buffer's class make-up does not depend on the head, so a shadow buffer
     * with the same parameters, fed the same batches, shows it (with its own random draws). */
    if (o->replay_hist && p->kind == ECL_LEARNER_REPLAY && !c->joint) {
        size_t need = 0;
        if (ecl_replay_mem_size(&p->replay, &need) == ECL_OK && (m->shadow_mem = malloc(need)) &&
            ecl_replay_init(&p->replay, m->shadow_mem, need, &m->shadow) != ECL_OK)
            m->shadow = NULL;
    }
    return 0;
}

/* Fills m->bx / m->by with what batch b observes: its own rows, or for joint the data of all
 * batches so far (incremental: a uniform sample of it), shuffled. Returns the row count. */
static uint32_t batch_rows(const struct bcl_opts *o, const struct bcl_config *c,
                           const struct bcl_pool *P, const struct cl_scenario *sc, uint32_t b,
                           int incr, uint64_t *rng, struct run_mem *m) {
    uint32_t dim = P->dim;
    uint32_t from = c->joint ? 0 : sc->batch_start[b], to = sc->batch_start[b + 1];
    uint32_t n = to - from;
    if (incr) {
        /* S distinct samples, uniform over everything seen so far (Floyd's algorithm would
         * avoid the O(seen) pass, but the pass is negligible next to training). */
        uint32_t nb = to - sc->batch_start[b];
        uint32_t S = o->joint_samples > nb ? o->joint_samples : nb;
        if (S > n) S = n;
        uint32_t left = S, k = 0;
        for (uint32_t i = 0; i < n && left > 0; i++)
            if (ds_rand_below(rng, n - i) < left) m->perm[k++] = from + i, left--;
        n = S;
    } else {
        for (uint32_t k = 0; k < n; k++)
            m->perm[k] = from + k;
    }
    if (c->joint) ds_shuffle_u32(rng, m->perm, n); /* mix old and new data */
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = sc->train_idx[m->perm[k]];
        memcpy(m->bx + (size_t)k * dim, P->x + (size_t)i * dim, dim * sizeof(float));
        m->by[k] = P->y[i];
    }
    return n;
}

/* The full test set after batch b: *acc and row b of m->Rg (set only when every prediction
 * succeeded). */
static enum ecl_status test_all(struct ecl_learner *l, const struct bcl_pool *P,
                                const struct cl_scenario *sc, uint32_t b, struct run_mem *m,
                                double *acc) {
    uint32_t dim = P->dim, G = sc->n_batches, ok = 0;
    enum ecl_status st = ECL_OK;
    memset(m->g_ok, 0, G * sizeof *m->g_ok);
    for (uint32_t k = 0; k < sc->n_test && st == ECL_OK; k++) {
        uint32_t i = sc->test_idx[k];
        int32_t top = -1;
        st = ecl_learner_predict(l, P->x + (size_t)i * dim, m->scores, &top);
        if (top == P->y[i]) {
            ok++;
            if (sc->test_group[k] >= 0) m->g_ok[sc->test_group[k]]++;
        }
    }
    if (st != ECL_OK) return st;
    *acc = (double)ok / sc->n_test;
    for (uint32_t g = 0; g < G; g++)
        m->Rg[(size_t)b * G + g] = m->g_total[g] ? (double)m->g_ok[g] / m->g_total[g] : NAN;
    return ECL_OK;
}

/* Runs one configuration on one scenario; fills acc[0..T-1] and the scalar metrics. */
static int run_config(const struct bcl_opts *o, const struct bcl_config *c,
                      const struct bcl_pool *P, const struct cl_scenario *sc, uint32_t run,
                      uint32_t seed, struct bcl_result *R) {
    char err[512];
    struct ecl_learner_params p = c->p;
    p.seed = seed;
    p.head.seed = seed;
    p.replay.seed = seed ^ 0x9E3779B9u;
    struct cli_learner L;
    if (cli_learner_create(&p, &L, err, sizeof err)) {
        fprintf(stderr, "bench-cl: %s: %s\n", c->name, err);
        return 1;
    }
    uint32_t T = sc->n_batches, dim = P->dim;
    const int incr = c->joint && bcl_joint_incremental(o, T);
    struct run_mem m;
    if (run_mem_alloc(o, c, &p, P, sc, incr, &m)) {
        fprintf(stderr, "bench-cl: out of memory\n");
        cli_learner_free(&L);
        run_mem_free(&m);
        return 1;
    }
    double *acc = R->acc + (size_t)run * T;
    double train_s = 0;
    uint64_t n_train_seen = 0;
    uint64_t rng = ds_rng_seed(seed ^ 0x301A7u);
    enum ecl_status st = ECL_OK;
    for (uint32_t b = 0; b < T && st == ECL_OK; b++) {
        uint32_t n = batch_rows(o, c, P, sc, b, incr, &rng, &m);
        if (m.shadow && ecl_replay_add_batch(m.shadow, m.bx, m.by, n) == ECL_OK && run == 0)
            print_replay_hist(c->name, b, m.shadow, p.max_classes);
        double t0 = bcl_now_s();
        if (c->joint && !incr) st = ecl_learner_reset(L.l);
        if (st == ECL_OK) st = ecl_learner_observe(L.l, m.bx, m.by, n);
        train_s += bcl_now_s() - t0;
        n_train_seen += sc->batch_start[b + 1] - sc->batch_start[b];
        if (st != ECL_OK) {
            fprintf(stderr, "bench-cl: %s: observe failed on batch %u: %s\n", c->name, b + 1,
                    ecl_status_str(st));
            break;
        }
        st = test_all(L.l, P, sc, b, &m, &acc[b]);
        if (st != ECL_OK) {
            fprintf(stderr, "bench-cl: %s: predict failed: %s\n", c->name, ecl_status_str(st));
            break;
        }
        if (!o->quiet && (T <= 20 || (b + 1) % (T / 10) == 0 || b + 1 == T))
            fprintf(stderr, "bench-cl: run %u %-28s batch %3u/%u  acc %5.1f%%\n", run + 1, c->name,
                    b + 1, T, 100 * acc[b]);
    }
    if (st == ECL_OK) {
        R->final_acc[run] = acc[T - 1];
        R->avg_acc[run] = bcl_mean(acc, T);
        /* groups without test samples have NaN columns and are left out */
        cli_forgetting_bwt(m.Rg, T, &R->forgetting[run], &R->bwt[run]);
        R->us_per_sample[run] = n_train_seen ? 1e6 * train_s / (double)n_train_seen : 0;
        ecl_learner_mem_size(&p, &R->learner_bytes);
        R->replay_bytes = ecl_learner_replay_bytes(L.l);
        R->joint_bytes =
            c->joint ? (size_t)sc->n_train * (dim * sizeof(float) + sizeof(int32_t)) : 0;
    }
    cli_learner_free(&L);
    run_mem_free(&m);
    return st != ECL_OK;
}

/* ------------------------------------------------------------------ the runs */
/* CORe50: the protocol's batches for this seed; the test group of a sample is the batch that
 * introduced its class. */
static int scenario_core50(const struct bcl_opts *o, const struct bcl_pool *P, struct core50 *c50,
                           uint32_t seed, struct cl_scenario *sc) {
    char err[512];
    struct core50_scenario cs;
    if (core50_build(c50, o->c50kind, seed, &cs, err, sizeof err) != ECL_OK) {
        fprintf(stderr, "bench-cl: %s\n", err);
        return 1;
    }
    sc->n_batches = cs.n_batches, sc->n_train = cs.n_train, sc->n_test = cs.n_test;
    sc->n_classes = cs.n_classes;
    sc->batch_start = cs.batch_start, sc->train_idx = cs.train_idx, sc->test_idx = cs.test_idx;
    sc->test_group = malloc(cs.n_test * sizeof *sc->test_group);
    if (!sc->test_group) return 1;
    for (uint32_t k = 0; k < cs.n_test; k++)
        sc->test_group[k] = cs.first_batch[P->y[cs.test_idx[k]]];
    /* shuffle inside each batch (frames of a video are consecutive) */
    uint64_t rng = ds_rng_seed(seed ^ 0xF7A3Eu);
    for (uint32_t b = 0; b < sc->n_batches; b++)
        ds_shuffle_u32(&rng, sc->train_idx + sc->batch_start[b],
                       sc->batch_start[b + 1] - sc->batch_start[b]);
    return 0;
}

/* Split-*: 5 batches of 2 classes in natural or (per run) shuffled order. */
static enum ecl_status scenario_split(const struct bcl_opts *o, const struct bcl_pool *P,
                                      uint32_t run, uint32_t seed, struct cl_scenario *sc) {
    int32_t order[10];
    uint32_t tmp[10];
    for (uint32_t k = 0; k < 10; k++)
        tmp[k] = k;
    if (o->shuffled_order) {
        uint64_t rng = ds_rng_seed(seed ^ 0x0DE7u);
        ds_shuffle_u32(&rng, tmp, 10);
    }
    for (uint32_t k = 0; k < 10; k++)
        order[k] = (int32_t)tmp[k];
    enum ecl_status st = cl_split_classes(P->y, P->is_test, P->n, 10, 2, order, seed, sc);
    if (!o->quiet)
        fprintf(stderr, "bench-cl: run %u class order %d%d %d%d %d%d %d%d %d%d\n", run + 1,
                order[0], order[1], order[2], order[3], order[4], order[5], order[6], order[7],
                order[8], order[9]);
    return st;
}

/* The scenario of run `run` (seed) into sc (freed first). 0 or 1 (printed). */
static int scenario_build(const struct bcl_opts *o, const struct bcl_pool *P, struct core50 *c50,
                          uint32_t run, uint32_t seed, struct cl_scenario *sc) {
    cl_scenario_free(sc);
    enum ecl_status st;
    if (o->fam == BCL_FAM_CORE50) {
        if (scenario_core50(o, P, c50, seed, sc)) return 1;
        st = ECL_OK;
    } else if (o->fam == BCL_FAM_ROT) {
        st = cl_split_domains(P->y, P->is_test, P->domain, P->n, 10, BCL_N_ROT, seed, sc);
    } else {
        st = scenario_split(o, P, run, seed, sc);
    }
    if (st != ECL_OK) {
        fprintf(stderr, "bench-cl: cannot build the scenario: %s\n", ecl_status_str(st));
        return 1;
    }
    return 0;
}

/* The per-run arrays of every result (runs x T accuracies). 0, or 1 when out of memory. */
static int results_alloc(struct bcl_result *res, int n_cfg, uint32_t runs, uint32_t T) {
    for (int c = 0; c < n_cfg; c++) {
        struct bcl_result *R = &res[c];
        R->acc = calloc((size_t)runs * T, sizeof(double));
        R->final_acc = calloc(runs, sizeof(double));
        R->avg_acc = calloc(runs, sizeof(double));
        R->forgetting = calloc(runs, sizeof(double));
        R->bwt = calloc(runs, sizeof(double));
        R->us_per_sample = calloc(runs, sizeof(double));
        if (!R->acc || !R->final_acc || !R->avg_acc || !R->forgetting || !R->bwt ||
            !R->us_per_sample)
            return 1;
    }
    return 0;
}

void bcl_results_free(struct bcl_result *res, int n) {
    for (int c = 0; res && c < n; c++) {
        free(res[c].acc), free(res[c].final_acc), free(res[c].avg_acc);
        free(res[c].forgetting), free(res[c].bwt), free(res[c].us_per_sample);
    }
}

int bcl_run_all(const struct bcl_opts *o, const struct bcl_config *cfg, int n_cfg,
                const struct bcl_pool *P, struct core50 *c50, struct cl_scenario *sc,
                struct bcl_result *res, uint32_t *T) {
    for (uint32_t run = 0; run < o->runs; run++) {
        uint32_t seed = o->seed + run;
        if (scenario_build(o, P, c50, run, seed, sc)) return 1;
        if (run == 0) {
            *T = sc->n_batches;
            if (results_alloc(res, n_cfg, o->runs, *T)) return 1;
            if (!o->quiet)
                fprintf(stderr,
                        "bench-cl: %s: %u batches, %u training + %u test samples, "
                        "%u classes, %d learner configs x %u runs\n",
                        o->scenario, *T, sc->n_train, sc->n_test, sc->n_classes, n_cfg, o->runs);
        } else if (sc->n_batches != *T) {
            fprintf(stderr, "bench-cl: run %u has %u batches, run 1 had %u\n", run + 1,
                    sc->n_batches, *T);
            return 1;
        }
        for (int c = 0; c < n_cfg; c++)
            if (run_config(o, &cfg[c], P, sc, run, seed, &res[c])) return 1;
    }
    return 0;
}

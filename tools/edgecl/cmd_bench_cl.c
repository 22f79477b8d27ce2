/* edgecl bench-cl - continual-learning benchmarks through the backbone.
 *
 * Pipeline: dataset -> (subset) -> backbone features at the cut layer, cached in a feature file
 * so a sweep over learners extracts once -> scenario batches (seeded per run) -> for each
 * learner configuration: observe batch by batch, test on the full test set after each batch.
 *
 * Metrics (R[b][g] = accuracy after batch b on the test samples of group g, where a group is
 * the batch that introduced the sample's class, or its domain; T batches):
 *   acc[b]      accuracy on the whole test set after batch b
 *   final_acc   acc[T-1];  avg_acc = mean_b acc[b]
 *   forgetting  mean over groups g first trained at b_g < T-1 of max_{b_g<=l<T-1} R[l][g] -
 * R[T-1][g] bwt         mean over the same groups of R[T-1][g] - R[b_g][g]   (Lopez-Paz & Ranzato
 * 2017) time        observe() wall time per training sample (joint: its retraining counted too)
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
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "cmds.h"
#include "core50.h"
#include "datasets.h"
#include "edgecl/learner.h"
#include "edgecl/port.h"
#include "edgecl/replay.h"
#include "fe.h"
#include "featfile.h"
#include "image.h"
#include "svgplot.h"

#define MAX_CONFIGS 64
#define MAX_LIST 16
#define N_ROT 5
enum { JOINT_AUTO = 0, JOINT_RETRAIN = 1, JOINT_INCREMENTAL = 2 };
#define JOINT_AUTO_MAX_BATCHES 20 /* --joint auto: retrain up to this many batches */

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
        JOINT_AUTO_MAX_BATCHES, fe_default_model_path(), FE_CUT_HELP);
    cli_learner_opts_help(f, CLI_HELP_KIND | CLI_HELP_MAX_CLASSES | CLI_HELP_SEED |
                                 CLI_HELP_REPLAY_MEM);
    fprintf(f, "\nexample:\n"
               "  edgecl bench-cl --scenario split-fmnist --learner naive,replay,joint \\\n"
               "      --buffer 100,1000 --storage f32,u8 --json r.json --svg r.svg\n");
}

/* ------------------------------------------------------------------ small helpers */
static double now_s(void) {
    return (double)ecl_port_now_ns() * 1e-9;
}

static int split_list(char *s, char **out, int max) {
    int n = 0;
    for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ","))
        out[n++] = tok;
    return n;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001B3ull;
    return h;
}

static int mkdir_p(const char *path) {
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0755) && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

/* Progress of a long loop on stderr: at most every 2 s, with rate and ETA. */
struct progress {
    const char *what;
    double t0, last;
    int quiet;
};

static void progress_tick(struct progress *p, uint64_t i, uint64_t n) {
    double t = now_s();
    if (p->quiet || (t - p->last < 2.0 && i < n)) return;
    p->last = t;
    double rate = (t - p->t0) > 0 ? (double)i / (t - p->t0) : 0;
    fprintf(stderr, "bench-cl: %s %llu/%llu (%.0f%%, %.1f/s, ETA %.0f s)\n", p->what,
            (unsigned long long)i, (unsigned long long)n, n ? 100.0 * (double)i / (double)n : 100.0,
            rate, rate > 0 ? (double)(n - i) / rate : 0.0);
}

/* ------------------------------------------------------------------ the sample pool */
enum family { FAM_SPLIT, FAM_ROT, FAM_CORE50 };

struct pool {
    uint32_t n, dim;
    float *x; /* n x dim latents */
    int32_t *y;
    uint8_t *is_test;
    uint8_t *domain; /* rotation index for FAM_ROT */
    uint32_t n_classes;
    double extract_s; /* 0 when the cache was used */
    int from_cache;
    char cache_path[1024];
};

struct bench_opts {
    const char *scenario;
    enum family fam;
    enum ds_kind ds;
    enum core50_kind c50kind;
    const char *data_dir, *core50_dir, *model, *cut, *cache_dir, *json, *svg, *title;
    uint32_t train_limit, test_limit, runs, seed, threads, c50_train_stride, c50_test_stride;
    enum core50_level c50_level;
    int shuffled_order, no_cache, quiet;
    int joint_mode; /* JOINT_AUTO, JOINT_RETRAIN, JOINT_INCREMENTAL */
    uint32_t joint_samples;
    int replay_hist; /* print a replay buffer's class histogram after every batch */
};

static int joint_incremental(const struct bench_opts *o, uint32_t n_batches) {
    return o->joint_mode == JOINT_INCREMENTAL ||
           (o->joint_mode == JOINT_AUTO && n_batches > JOINT_AUTO_MAX_BATCHES);
}

/* Everything the extracted features depend on goes into the cache key. */
static void cache_path_for(const struct bench_opts *o, const char *desc, char *out, size_t cap) {
    uint64_t h = 0xCBF29CE484222325ull;
    struct stat st;
    h = fnv1a(h, desc, strlen(desc));
    h = fnv1a(h, o->model, strlen(o->model));
    if (stat(o->model, &st) == 0) {
        int64_t v[2] = {(int64_t)st.st_size, (int64_t)st.st_mtime};
        h = fnv1a(h, v, sizeof v);
    }
    h = fnv1a(h, o->cut, strlen(o->cut));
    const char *fam = o->fam == FAM_CORE50 ? "core50" : o->ds == DS_MNIST ? "mnist" : "fmnist";
    snprintf(out, cap, "%s/bench-%s%s-%016llx.ecf", o->cache_dir, o->fam == FAM_ROT ? "rot-" : "",
             fam, (unsigned long long)h);
}

/* Fills pool->y / is_test / domain (the layout) for (Fashion-)MNIST and returns, per pool
 * entry, the source image (set 0 = train, 1 = test; index) and rotation. */
struct src_ref {
    uint8_t set, rot;
    uint32_t idx;
};

static const float ROT_DEG[N_ROT] = {0, 45, 90, 135, 180};

static int pool_extract_and_cache(const struct bench_opts *o, struct pool *P, struct fe *fe,
                                  const char *desc,
                                  int (*get_rgb)(void *ctx, uint32_t i, uint8_t **rgb, int *w,
                                                 int *h, char *err, size_t errlen),
                                  void *ctx) {
    char err[512];
    if (!o->no_cache) {
        cache_path_for(o, desc, P->cache_path, sizeof P->cache_path);
        struct featfile ff;
        if (access(P->cache_path, R_OK) == 0 &&
            featfile_read(P->cache_path, &ff, err, sizeof err) == ECL_OK) {
            int ok = ff.n == P->n && ff.dim == P->dim;
            for (uint32_t i = 0; ok && i < P->n; i++)
                ok = ff.y[i] == P->y[i];
            if (ok) {
                memcpy(P->x, ff.x, (size_t)P->n * P->dim * sizeof(float));
                featfile_free(&ff);
                P->from_cache = 1;
                if (!o->quiet)
                    fprintf(stderr, "bench-cl: features from cache %s (%u x %u)\n", P->cache_path,
                            P->n, P->dim);
                return 0;
            }
            featfile_free(&ff);
            fprintf(stderr, "bench-cl: cache %s does not match, extracting again\n", P->cache_path);
        }
    }
    if (!fe) {
        fprintf(stderr, "bench-cl: no backbone to extract features with\n");
        return 1;
    }
    struct progress pr = {"extract", now_s(), now_s(), o->quiet};
    if (!o->quiet)
        fprintf(stderr, "bench-cl: extracting %u images through %s (cut %s, %u-d)\n", P->n,
                o->model, o->cut, P->dim);
    for (uint32_t i = 0; i < P->n; i++) {
        uint8_t *rgb = NULL;
        int w, h;
        if (get_rgb(ctx, i, &rgb, &w, &h, err, sizeof err)) {
            fprintf(stderr, "bench-cl: %s\n", err);
            return 1;
        }
        enum ecl_status st = fe_extract_rgb8(fe, rgb, w, h, P->x + (size_t)i * P->dim);
        free(rgb);
        if (st != ECL_OK) {
            fprintf(stderr, "bench-cl: feature extraction failed on image %u: %s\n", i,
                    ecl_status_str(st));
            return 1;
        }
        progress_tick(&pr, i + 1, P->n);
    }
    P->extract_s = now_s() - pr.t0;
    if (!o->quiet)
        fprintf(stderr, "bench-cl: extracted %u images in %.1f s (%.1f ms/image)\n", P->n,
                P->extract_s, 1e3 * P->extract_s / P->n);
    if (!o->no_cache) {
        struct featfile ff;
        featfile_init(&ff, P->dim);
        enum ecl_status st = ECL_OK;
        for (uint32_t i = 0; st == ECL_OK && i < P->n; i++)
            st = featfile_append(&ff, P->x + (size_t)i * P->dim, P->y[i]);
        if (st == ECL_OK && mkdir_p(o->cache_dir) == 0)
            st = featfile_write(P->cache_path, &ff, err, sizeof err);
        else if (st == ECL_OK)
            snprintf(err, sizeof err, "cannot create %s", o->cache_dir), st = ECL_EIO;
        else
            snprintf(err, sizeof err, "%s", ecl_status_str(st));
        if (st != ECL_OK)
            fprintf(stderr, "bench-cl: warning: feature cache not written: %s\n", err);
        else if (!o->quiet)
            fprintf(stderr, "bench-cl: features cached in %s\n", P->cache_path);
        featfile_free(&ff);
    }
    return 0;
}

struct mnist_ctx {
    struct ds_images *set[2];
    struct src_ref *ref;
};

static int mnist_rgb(void *vctx, uint32_t i, uint8_t **rgb, int *w, int *h, char *err,
                     size_t errlen) {
    struct mnist_ctx *c = vctx;
    const struct src_ref *r = &c->ref[i];
    const struct ds_images *d = c->set[r->set];
    size_t px = (size_t)d->w * d->h;
    const uint8_t *g = d->pix + (size_t)r->idx * px;
    *rgb = malloc(px * 4); /* RGB + room for the rotated grey image */
    if (!*rgb) {
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    if (r->rot) {
        uint8_t *tmp = *rgb + px * 3;
        ds_grey_rotate(g, (int)d->w, (int)d->h, ROT_DEG[r->rot], tmp);
        g = tmp;
    }
    ds_grey_to_rgb(g, (int)d->w, (int)d->h, *rgb);
    *w = (int)d->w;
    *h = (int)d->h;
    return 0;
}

static int core50_rgb(void *vctx, uint32_t i, uint8_t **rgb, int *w, int *h, char *err,
                      size_t errlen) {
    const struct core50 *ds = vctx;
    char path[CORE50_PATH_MAX + 64];
    core50_path(ds, i, path, sizeof path);
    return img_load_file(path, rgb, w, h, err, errlen) != ECL_OK;
}

static int pool_alloc(struct pool *P, uint32_t n, uint32_t dim) {
    P->n = n;
    P->dim = dim;
    P->x = malloc((size_t)n * dim * sizeof(float));
    P->y = malloc((size_t)n * sizeof(int32_t));
    P->is_test = calloc(n, 1);
    P->domain = calloc(n, 1);
    if (!P->x || !P->y || !P->is_test || !P->domain) {
        fprintf(stderr, "bench-cl: out of memory for %u x %u features\n", n, dim);
        return 1;
    }
    return 0;
}

static void pool_free(struct pool *P) {
    free(P->x), free(P->y), free(P->is_test), free(P->domain);
    memset(P, 0, sizeof *P);
}

static int build_pool_mnist(const struct bench_opts *o, struct fe *fe, uint32_t dim,
                            struct pool *P) {
    char err[512];
    struct ds_images tr, te;
    if (ds_load(o->ds, o->data_dir, 1, &tr, err, sizeof err) != ECL_OK) {
        fprintf(stderr, "bench-cl: %s\n", err);
        return 1;
    }
    if (ds_load(o->ds, o->data_dir, 0, &te, err, sizeof err) != ECL_OK) {
        fprintf(stderr, "bench-cl: %s\n", err);
        ds_images_free(&tr);
        return 1;
    }
    int rc = 1;
    uint32_t *itr = malloc(tr.n * sizeof *itr), *ite = malloc(te.n * sizeof *ite), ntr = 0, nte = 0;
    struct src_ref *ref = NULL;
    if (!itr || !ite) goto done;
    /* The subset depends on the limits only (fixed seed), so every run and every learner
     * configuration sees the same images and the cache is shared. */
    ds_subset_per_class(tr.y, tr.n, 10, o->train_limit, 1, itr, &ntr);
    ds_subset_per_class(te.y, te.n, 10, o->test_limit, 2, ite, &nte);
    uint32_t n_rot = o->fam == FAM_ROT ? N_ROT : 1;
    uint32_t n = (ntr + nte) * n_rot;
    if (pool_alloc(P, n, dim)) goto done;
    ref = malloc(n * sizeof *ref);
    if (!ref) goto done;
    uint32_t k = 0;
    for (uint32_t r = 0; r < n_rot; r++) {
        for (uint32_t i = 0; i < ntr; i++, k++) {
            ref[k] = (struct src_ref){0, (uint8_t)r, itr[i]};
            P->y[k] = tr.y[itr[i]], P->is_test[k] = 0, P->domain[k] = (uint8_t)r;
        }
        for (uint32_t i = 0; i < nte; i++, k++) {
            ref[k] = (struct src_ref){1, (uint8_t)r, ite[i]};
            P->y[k] = te.y[ite[i]], P->is_test[k] = 1, P->domain[k] = (uint8_t)r;
        }
    }
    P->n_classes = 10;
    char desc[256];
    snprintf(desc, sizeof desc, "mnistlike v1 ds=%d rot=%u train=%u/%u test=%u/%u dir=%s",
             (int)o->ds, n_rot, o->train_limit, tr.n, o->test_limit, te.n,
             o->data_dir ? o->data_dir : ds_default_dir(o->ds));
    struct mnist_ctx ctx = {{&tr, &te}, ref};
    if (!o->quiet)
        fprintf(stderr, "bench-cl: %s: %u training + %u test images%s\n",
                o->ds == DS_MNIST ? "MNIST" : "Fashion-MNIST", ntr, nte,
                n_rot > 1 ? " x 5 rotations" : "");
    rc = pool_extract_and_cache(o, P, fe, desc, mnist_rgb, &ctx);
done:
    free(itr), free(ite), free(ref);
    ds_images_free(&tr);
    ds_images_free(&te);
    return rc;
}

static int build_pool_core50(const struct bench_opts *o, struct fe *fe, uint32_t dim,
                             struct core50 *ds, struct pool *P) {
    char err[1200];
    struct core50_opts co = core50_default_opts();
    co.level = o->c50_level;
    co.train_stride = o->c50_train_stride;
    co.test_stride = o->c50_test_stride;
    if (!o->core50_dir) {
        fprintf(stderr, "bench-cl: %s needs --core50 DIR (the unpacked core50_128x128 folder)\n",
                o->scenario);
        return 1;
    }
    if (core50_scan(o->core50_dir, &co, ds, err, sizeof err) != ECL_OK) {
        fprintf(stderr, "bench-cl: %s\n", err);
        return 1;
    }
    if (pool_alloc(P, ds->n, dim)) return 1;
    for (uint32_t i = 0; i < ds->n; i++) {
        P->y[i] = core50_label(ds, i);
        P->is_test[i] = (uint8_t)core50_is_test_session(ds->img[i].session);
    }
    P->n_classes = co.level == CORE50_CATEGORY ? CORE50_CATEGORIES : CORE50_OBJECTS;
    /* the key covers the exact image list */
    uint64_t h = fnv1a(0xCBF29CE484222325ull, ds->img, (size_t)ds->n * sizeof *ds->img);
    char desc[1400];
    snprintf(desc, sizeof desc, "core50 v1 root=%s level=%d strides=%u/%u n=%u list=%016llx",
             ds->root, (int)co.level, co.train_stride, co.test_stride, ds->n,
             (unsigned long long)h);
    if (!o->quiet)
        fprintf(stderr, "bench-cl: CORe50 at %s: %u images (train stride %u, test stride %u)\n",
                ds->root, ds->n, co.train_stride, co.test_stride);
    return pool_extract_and_cache(o, P, fe, desc, core50_rgb, ds);
}

/* ------------------------------------------------------------------ learner configurations */
struct config {
    char name[64];
    int joint;
    struct ecl_learner_params p;
};

struct result {
    /* per run */
    double *acc; /* runs x T */
    double *final_acc, *avg_acc, *forgetting, *bwt, *us_per_sample;
    size_t learner_bytes, replay_bytes, joint_bytes;
};

static double mean_of(const double *v, uint32_t n) {
    double s = 0;
    for (uint32_t i = 0; i < n; i++)
        s += v[i];
    return n ? s / n : NAN;
}

static double std_of(const double *v, uint32_t n) {
    if (n < 2) return 0;
    double m = mean_of(v, n), s = 0;
    for (uint32_t i = 0; i < n; i++)
        s += (v[i] - m) * (v[i] - m);
    return sqrt(s / (n - 1));
}

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

/* Runs one configuration on one scenario; fills acc[0..T-1] and the scalar metrics. */
static int run_config(const struct bench_opts *o, const struct config *c, const struct pool *P,
                      const struct cl_scenario *sc, uint32_t run, uint32_t seed, struct result *R) {
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
    uint32_t T = sc->n_batches, dim = P->dim, G = T;
    const int incr = c->joint && joint_incremental(o, T);
    size_t max_rows = c->joint ? (incr ? o->joint_samples : sc->n_train) : 0;
    if (max_rows > sc->n_train) max_rows = sc->n_train;
    for (uint32_t b = 0; b < T; b++) {
        uint32_t nb = sc->batch_start[b + 1] - sc->batch_start[b];
        if (nb > max_rows) max_rows = nb;
    }
    float *bx = malloc(max_rows * dim * sizeof(float) + 1);
    int32_t *by = malloc(max_rows * sizeof(int32_t) + 1);
    uint32_t *perm = malloc(max_rows * sizeof(uint32_t) + 1);
    double *Rg = calloc((size_t)T * G, sizeof(double));
    uint32_t *g_total = calloc(G, sizeof(uint32_t)), *g_ok = calloc(G, sizeof(uint32_t));
    float *scores = malloc(p.max_classes * sizeof(float));
    if (!bx || !by || !perm || !Rg || !g_total || !g_ok || !scores) {
        fprintf(stderr, "bench-cl: out of memory\n");
        cli_learner_free(&L);
        free(bx), free(by), free(perm), free(Rg), free(g_total), free(g_ok), free(scores);
        return 1;
    }
    for (uint32_t k = 0; k < sc->n_test; k++)
        if (sc->test_group[k] >= 0 && (uint32_t)sc->test_group[k] < G) g_total[sc->test_group[k]]++;
    /* --replay-hist: the buffer's class make-up does not depend on the head, so a shadow buffer
     * with the same parameters, fed the same batches, shows it (with its own random draws). */
    struct ecl_replay *shadow = NULL;
    void *shadow_mem = NULL;
    if (o->replay_hist && p.kind == ECL_LEARNER_REPLAY && !c->joint) {
        size_t need = 0;
        if (ecl_replay_mem_size(&p.replay, &need) == ECL_OK && (shadow_mem = malloc(need)) &&
            ecl_replay_init(&p.replay, shadow_mem, need, &shadow) != ECL_OK)
            shadow = NULL;
    }

    double *acc = R->acc + (size_t)run * T;
    double train_s = 0;
    uint64_t n_train_seen = 0;
    uint64_t rng = ds_rng_seed(seed ^ 0x301A7u);
    enum ecl_status st = ECL_OK;
    for (uint32_t b = 0; b < T && st == ECL_OK; b++) {
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
                if (ds_rand_below(&rng, n - i) < left) perm[k++] = from + i, left--;
            n = S;
        } else {
            for (uint32_t k = 0; k < n; k++)
                perm[k] = from + k;
        }
        if (c->joint) ds_shuffle_u32(&rng, perm, n); /* mix old and new data */
        for (uint32_t k = 0; k < n; k++) {
            uint32_t i = sc->train_idx[perm[k]];
            memcpy(bx + (size_t)k * dim, P->x + (size_t)i * dim, dim * sizeof(float));
            by[k] = P->y[i];
        }
        if (shadow && ecl_replay_add_batch(shadow, bx, by, n) == ECL_OK && run == 0)
            print_replay_hist(c->name, b, shadow, p.max_classes);
        double t0 = now_s();
        if (c->joint && !incr) st = ecl_learner_reset(L.l);
        if (st == ECL_OK) st = ecl_learner_observe(L.l, bx, by, n);
        train_s += now_s() - t0;
        n_train_seen += sc->batch_start[b + 1] - sc->batch_start[b];
        if (st != ECL_OK) {
            fprintf(stderr, "bench-cl: %s: observe failed on batch %u: %s\n", c->name, b + 1,
                    ecl_status_str(st));
            break;
        }
        uint32_t ok = 0;
        memset(g_ok, 0, G * sizeof *g_ok);
        for (uint32_t k = 0; k < sc->n_test && st == ECL_OK; k++) {
            uint32_t i = sc->test_idx[k];
            int32_t top = -1;
            st = ecl_learner_predict(L.l, P->x + (size_t)i * dim, scores, &top);
            if (top == P->y[i]) {
                ok++;
                if (sc->test_group[k] >= 0) g_ok[sc->test_group[k]]++;
            }
        }
        if (st != ECL_OK) {
            fprintf(stderr, "bench-cl: %s: predict failed: %s\n", c->name, ecl_status_str(st));
            break;
        }
        acc[b] = (double)ok / sc->n_test;
        for (uint32_t g = 0; g < G; g++)
            Rg[(size_t)b * G + g] = g_total[g] ? (double)g_ok[g] / g_total[g] : NAN;
        if (!o->quiet && (T <= 20 || (b + 1) % (T / 10) == 0 || b + 1 == T))
            fprintf(stderr, "bench-cl: run %u %-28s batch %3u/%u  acc %5.1f%%\n", run + 1, c->name,
                    b + 1, T, 100 * acc[b]);
    }
    if (st == ECL_OK) {
        R->final_acc[run] = acc[T - 1];
        R->avg_acc[run] = mean_of(acc, T);
        /* groups without test samples have NaN columns and are left out */
        cli_forgetting_bwt(Rg, T, &R->forgetting[run], &R->bwt[run]);
        R->us_per_sample[run] = n_train_seen ? 1e6 * train_s / (double)n_train_seen : 0;
        ecl_learner_mem_size(&p, &R->learner_bytes);
        R->replay_bytes = ecl_learner_replay_bytes(L.l);
        R->joint_bytes =
            c->joint ? (size_t)sc->n_train * (dim * sizeof(float) + sizeof(int32_t)) : 0;
    }
    cli_learner_free(&L);
    free(shadow_mem);
    free(bx), free(by), free(perm), free(Rg), free(g_total), free(g_ok), free(scores);
    return st != ECL_OK;
}

/* ------------------------------------------------------------------ output */
static int write_json(const struct bench_opts *o, const struct pool *P,
                      const struct cl_scenario *sc0, size_t arena, const struct config *cfg,
                      const struct result *res, int n_cfg, uint32_t T) {
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", o->json, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "bench-cl: cannot write %s: %s\n", tmp, strerror(errno));
        return 1;
    }
    fprintf(f, "{\n  \"tool\": \"edgecl bench-cl\",\n  \"scenario\": ");
    cli_json_str(f, o->scenario);
    fprintf(f, ",\n  \"model\": ");
    cli_json_str(f, o->model);
    fprintf(f, ",\n  \"cut\": ");
    cli_json_str(f, o->cut);
    fprintf(f, ",\n  \"dim\": %u,\n  \"n_classes\": %u,\n  \"n_batches\": %u,\n", P->dim,
            sc0->n_classes, T);
    fprintf(f, "  \"n_train\": %u,\n  \"n_test\": %u,\n  \"runs\": %u,\n  \"seed\": %u,\n",
            sc0->n_train, sc0->n_test, o->runs, o->seed);
    if (o->fam != FAM_CORE50)
        fprintf(f, "  \"train_limit_per_class\": %u,\n  \"test_limit_per_class\": %u,\n",
                o->train_limit, o->test_limit);
    else
        fprintf(f, "  \"core50_train_stride\": %u,\n  \"core50_test_stride\": %u,\n",
                o->c50_train_stride, o->c50_test_stride);
    fprintf(f, "  \"features_from_cache\": %s,\n  \"extract_seconds\": ",
            P->from_cache ? "true" : "false");
    cli_json_num(f, P->extract_s);
    fprintf(f, ",\n  \"extract_ms_per_image\": ");
    cli_json_num(f, P->from_cache ? NAN : 1e3 * P->extract_s / P->n);
    fprintf(f, ",\n  \"arena_bytes\": %zu,\n  \"peak_rss_bytes\": %zu,\n", arena,
            ecl_port_peak_rss_bytes());
    fprintf(f, "  \"accuracy_unit\": \"fraction of the full test set\",\n  \"results\": [\n");
    for (int c = 0; c < n_cfg; c++) {
        const struct result *R = &res[c];
        const struct ecl_learner_params *p = &cfg[c].p;
        fprintf(f, "    {\n      \"name\": ");
        cli_json_str(f, cfg[c].name);
        fprintf(f, ",\n      \"learner\": ");
        cli_json_str(f, cfg[c].joint ? "joint" : ecl_learner_kind_name(p->kind));
        char desc[256];
        cli_learner_describe(p, desc, sizeof desc);
        fprintf(f, ",\n      \"config\": ");
        cli_json_str(f, desc);
        if (cfg[c].joint) {
            int incr = joint_incremental(o, T);
            fprintf(f, ",\n      \"joint_mode\": \"%s\"", incr ? "incremental" : "retrain");
            if (incr) fprintf(f, ", \"joint_samples\": %u", o->joint_samples);
        }
        if (p->kind == ECL_LEARNER_REPLAY && !cfg[c].joint) {
            fprintf(f, ",\n      \"buffer\": %u, \"policy\": \"%s\", \"storage\": \"%s\"",
                    p->replay.capacity, cli_policy_name(p->replay.policy),
                    cli_storage_name(p->replay.storage));
        }
        fprintf(f, ",\n      \"acc\": [");
        for (uint32_t b = 0; b < T; b++) {
            double v[256], s = 0;
            uint32_t nr = o->runs < 256 ? o->runs : 256;
            for (uint32_t r = 0; r < nr; r++)
                v[r] = R->acc[(size_t)r * T + b], s += v[r];
            fprintf(f, "%s", b ? ", " : "");
            cli_json_num(f, s / nr);
        }
        fprintf(f, "],\n      \"acc_std\": [");
        for (uint32_t b = 0; b < T; b++) {
            double v[256];
            uint32_t nr = o->runs < 256 ? o->runs : 256;
            for (uint32_t r = 0; r < nr; r++)
                v[r] = R->acc[(size_t)r * T + b];
            fprintf(f, "%s", b ? ", " : "");
            cli_json_num(f, std_of(v, nr));
        }
        fprintf(f, "]");
#define SCALAR(key, arr)                                                                           \
    fprintf(f, ",\n      \"" key "\": "), cli_json_num(f, mean_of(R->arr, o->runs)),               \
        fprintf(f, ", \"" key "_std\": "), cli_json_num(f, std_of(R->arr, o->runs))
        SCALAR("final_acc", final_acc);
        SCALAR("avg_acc", avg_acc);
        SCALAR("forgetting", forgetting);
        SCALAR("bwt", bwt);
        SCALAR("train_us_per_sample", us_per_sample);
#undef SCALAR
        fprintf(f,
                ",\n      \"learner_bytes\": %zu, \"replay_bytes\": %zu, "
                "\"joint_latent_bytes\": %zu, \"peak_bytes\": %zu",
                R->learner_bytes, R->replay_bytes, R->joint_bytes,
                R->learner_bytes + R->joint_bytes + arena);
        fprintf(f, ",\n      \"runs\": [");
        for (uint32_t r = 0; r < o->runs; r++) {
            fprintf(f, "%s\n        {\"seed\": %u, \"final_acc\": ", r ? "," : "", o->seed + r);
            cli_json_num(f, R->final_acc[r]);
            fprintf(f, ", \"forgetting\": ");
            cli_json_num(f, R->forgetting[r]);
            fprintf(f, ", \"bwt\": ");
            cli_json_num(f, R->bwt[r]);
            fprintf(f, ", \"acc\": [");
            for (uint32_t b = 0; b < T; b++) {
                fprintf(f, "%s", b ? ", " : "");
                cli_json_num(f, R->acc[(size_t)r * T + b]);
            }
            fprintf(f, "]}");
        }
        fprintf(f, "\n      ]\n    }%s\n", c + 1 < n_cfg ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, o->json) != 0) {
        int e = errno;
        remove(tmp);
        fprintf(stderr, "bench-cl: cannot write %s: %s\n", o->json, strerror(e));
        return 1;
    }
    return 0;
}

static int write_svg(const struct bench_opts *o, const struct config *cfg, const struct result *res,
                     int n_cfg, uint32_t T) {
    float *ys = malloc((size_t)n_cfg * T * sizeof(float));
    struct svgplot_series *s = calloc((size_t)n_cfg, sizeof *s);
    if (!ys || !s) {
        free(ys), free(s);
        return 1;
    }
    for (int c = 0; c < n_cfg; c++) {
        for (uint32_t b = 0; b < T; b++) {
            double m = 0;
            for (uint32_t r = 0; r < o->runs; r++)
                m += res[c].acc[(size_t)r * T + b];
            ys[(size_t)c * T + b] = (float)(100.0 * m / o->runs);
        }
        s[c].name = cfg[c].name;
        s[c].ys = ys + (size_t)c * T;
        s[c].n = T;
    }
    char title[256];
    if (o->title)
        snprintf(title, sizeof title, "%s", o->title);
    else
        snprintf(title, sizeof title, "%s: accuracy on the full test set%s", o->scenario,
                 o->runs > 1 ? " (mean over runs)" : "");
    struct svgplot p = svgplot_default(title, "training batch", "accuracy (%)");
    p.y_min = 0;
    p.y_max = 100;
    char err[256];
    int rc = svgplot_write(o->svg, &p, s, (size_t)n_cfg, err, sizeof err) != ECL_OK;
    if (rc) fprintf(stderr, "bench-cl: %s\n", err);
    free(ys), free(s);
    return rc;
}

/* ------------------------------------------------------------------ main */
int cmd_bench_cl(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    struct bench_opts o;
    memset(&o, 0, sizeof o);
    o.train_limit = 1000;
    o.test_limit = 200;
    o.runs = 1;
    o.seed = 1;
    o.threads = 1;
    o.c50_train_stride = 1;
    o.c50_test_stride = 20;
    o.joint_samples = 3000;
    o.model = fe_default_model_path();
    o.cut = FE_CUT_DEFAULT;
    char learners_buf[256] = "all", buffers_buf[256] = "1500", policies_buf[128] = "random",
         storages_buf[64] = "f32";
    struct cli_learner_opts lo = cli_learner_opts_default();
    char err[512];
    const char *v;
    for (int i = 1; i < argc; i++) {
        if ((v = cli_opt(argc, argv, &i, "--scenario")))
            o.scenario = v;
        else if ((v = cli_opt(argc, argv, &i, "--learner")))
            snprintf(learners_buf, sizeof learners_buf, "%s", v);
        else if ((v = cli_opt(argc, argv, &i, "--joint"))) {
            if (!strcmp(v, "auto"))
                o.joint_mode = JOINT_AUTO;
            else if (!strcmp(v, "retrain"))
                o.joint_mode = JOINT_RETRAIN;
            else if (!strcmp(v, "incremental"))
                o.joint_mode = JOINT_INCREMENTAL;
            else {
                snprintf(err, sizeof err, "--joint: expected retrain, incremental or auto");
                goto bad;
            }
        } else if ((v = cli_opt(argc, argv, &i, "--joint-samples"))) {
            if (cli_parse_u32("--joint-samples", v, 1, 100000000, &o.joint_samples, err,
                              sizeof err))
                goto bad;
        } else if ((v = cli_opt(argc, argv, &i, "--buffer")))
            snprintf(buffers_buf, sizeof buffers_buf, "%s", v);
        else if ((v = cli_opt(argc, argv, &i, "--policy")))
            snprintf(policies_buf, sizeof policies_buf, "%s", v);
        else if ((v = cli_opt(argc, argv, &i, "--storage")))
            snprintf(storages_buf, sizeof storages_buf, "%s", v);
        else if ((v = cli_opt(argc, argv, &i, "--runs"))) {
            if (cli_parse_u32("--runs", v, 1, 100, &o.runs, err, sizeof err)) goto bad;
        } else if ((v = cli_opt(argc, argv, &i, "--seed"))) {
            if (cli_parse_u32("--seed", v, 0, 0x7fffffff, &o.seed, err, sizeof err)) goto bad;
        } else if ((v = cli_opt(argc, argv, &i, "--train-limit"))) {
            if (cli_parse_u32("--train-limit", v, 0, 10000000, &o.train_limit, err, sizeof err))
                goto bad;
        } else if ((v = cli_opt(argc, argv, &i, "--test-limit"))) {
            if (cli_parse_u32("--test-limit", v, 0, 10000000, &o.test_limit, err, sizeof err))
                goto bad;
        } else if ((v = cli_opt(argc, argv, &i, "--class-order"))) {
            if (!strcmp(v, "natural"))
                o.shuffled_order = 0;
            else if (!strcmp(v, "shuffled"))
                o.shuffled_order = 1;
            else {
                snprintf(err, sizeof err, "--class-order: expected natural or shuffled");
                goto bad;
            }
        } else if ((v = cli_opt(argc, argv, &i, "--data")))
            o.data_dir = v;
        else if ((v = cli_opt(argc, argv, &i, "--core50")))
            o.core50_dir = v;
        else if ((v = cli_opt(argc, argv, &i, "--core50-level"))) {
            if (!strcmp(v, "object"))
                o.c50_level = CORE50_OBJECT;
            else if (!strcmp(v, "category"))
                o.c50_level = CORE50_CATEGORY;
            else {
                snprintf(err, sizeof err, "--core50-level: expected object or category");
                goto bad;
            }
        } else if ((v = cli_opt(argc, argv, &i, "--core50-train-stride"))) {
            if (cli_parse_u32("--core50-train-stride", v, 1, 1000, &o.c50_train_stride, err,
                              sizeof err))
                goto bad;
        } else if ((v = cli_opt(argc, argv, &i, "--core50-test-stride"))) {
            if (cli_parse_u32("--core50-test-stride", v, 1, 1000, &o.c50_test_stride, err,
                              sizeof err))
                goto bad;
        } else if ((v = cli_opt(argc, argv, &i, "--model")))
            o.model = v;
        else if ((v = cli_opt(argc, argv, &i, "--cut")))
            o.cut = v;
        else if ((v = cli_opt(argc, argv, &i, "--threads"))) {
            if (cli_parse_u32("--threads", v, 1, 64, &o.threads, err, sizeof err)) goto bad;
        } else if ((v = cli_opt(argc, argv, &i, "--cache")))
            o.cache_dir = v;
        else if (cli_flag(argv, i, "--no-cache"))
            o.no_cache = 1;
        else if ((v = cli_opt(argc, argv, &i, "--json")))
            o.json = v;
        else if ((v = cli_opt(argc, argv, &i, "--svg")))
            o.svg = v;
        else if ((v = cli_opt(argc, argv, &i, "--title")))
            o.title = v;
        else if (cli_flag(argv, i, "--replay-hist"))
            o.replay_hist = 1;
        else if (cli_flag(argv, i, "-q") || cli_flag(argv, i, "--quiet"))
            o.quiet = 1;
        else {
            int r = cli_learner_opt(&lo, argc, argv, &i, err, sizeof err);
            if (r < 0) goto bad;
            if (r == 0 && cli_bad_opt("bench-cl", argc, argv, i)) return 2;
        }
    }
    if (!o.scenario) {
        fprintf(stderr, "bench-cl: --scenario is required (edgecl bench-cl --help)\n");
        return 2;
    }
    if (CLI_SET(&lo, MAX_CLASSES)) {
        fprintf(stderr, "bench-cl: --max-classes is not an option here: the class budget is the "
                        "scenario's number of classes\n");
        return 2;
    }
    /* scenario */
    if (!strcmp(o.scenario, "split-fmnist"))
        o.fam = FAM_SPLIT, o.ds = DS_FMNIST;
    else if (!strcmp(o.scenario, "split-mnist"))
        o.fam = FAM_SPLIT, o.ds = DS_MNIST;
    else if (!strcmp(o.scenario, "rot-fmnist"))
        o.fam = FAM_ROT, o.ds = DS_FMNIST;
    else if (!strcmp(o.scenario, "rot-mnist"))
        o.fam = FAM_ROT, o.ds = DS_MNIST;
    else if (!strncmp(o.scenario, "core50-", 7) &&
             core50_kind_parse(o.scenario + 7, &o.c50kind) == ECL_OK)
        o.fam = FAM_CORE50;
    else {
        snprintf(err, sizeof err,
                 "unknown scenario '%s' (split-fmnist, split-mnist, rot-fmnist, "
                 "rot-mnist, core50-ni, core50-nc, core50-nicv2-79|196|391)",
                 o.scenario);
        goto bad;
    }
    /* configurations: parse the lists before touching any data, so typos fail fast */
    enum { K_NAIVE, K_REPLAY, K_SLDA, K_NCM, K_JOINT };
    int want[5] = {0};
    char *items[MAX_LIST];
    int n_items = split_list(learners_buf, items, MAX_LIST);
    for (int k = 0; k < n_items; k++) {
        if (!strcmp(items[k], "all"))
            want[0] = want[1] = want[2] = want[3] = want[4] = 1;
        else if (!strcmp(items[k], "naive"))
            want[K_NAIVE] = 1;
        else if (!strcmp(items[k], "replay"))
            want[K_REPLAY] = 1;
        else if (!strcmp(items[k], "slda"))
            want[K_SLDA] = 1;
        else if (!strcmp(items[k], "ncm"))
            want[K_NCM] = 1;
        else if (!strcmp(items[k], "joint"))
            want[K_JOINT] = 1;
        else {
            snprintf(err, sizeof err,
                     "--learner: unknown learner '%s' (naive, replay, slda, "
                     "ncm, joint, all)",
                     items[k]);
            goto bad;
        }
    }
    if (n_items == 0) {
        snprintf(err, sizeof err, "--learner: empty list");
        goto bad;
    }
    uint32_t buffers[MAX_LIST];
    enum ecl_replay_policy policies[MAX_LIST];
    enum ecl_replay_storage storages[MAX_LIST];
    int n_buf = split_list(buffers_buf, items, MAX_LIST);
    for (int k = 0; k < n_buf; k++)
        if (cli_parse_u32("--buffer", items[k], 1, 10000000, &buffers[k], err, sizeof err))
            goto bad;
    int n_pol = split_list(policies_buf, items, MAX_LIST);
    for (int k = 0; k < n_pol; k++) {
        if (!strcmp(items[k], "random"))
            policies[k] = ECL_REPLAY_RANDOM;
        else if (!strcmp(items[k], "fifo"))
            policies[k] = ECL_REPLAY_FIFO;
        else if (!strcmp(items[k], "balanced"))
            policies[k] = ECL_REPLAY_BALANCED;
        else {
            snprintf(err, sizeof err, "--policy: unknown policy '%s' (random, fifo, balanced)",
                     items[k]);
            goto bad;
        }
    }
    int n_sto = split_list(storages_buf, items, MAX_LIST);
    for (int k = 0; k < n_sto; k++) {
        if (!strcmp(items[k], "f32"))
            storages[k] = ECL_REPLAY_F32;
        else if (!strcmp(items[k], "u8"))
            storages[k] = ECL_REPLAY_U8;
        else {
            snprintf(err, sizeof err, "--storage: unknown storage '%s' (f32, u8)", items[k]);
            goto bad;
        }
    }
    if (!n_buf || !n_pol || !n_sto) {
        snprintf(err, sizeof err, "--buffer/--policy/--storage: empty list");
        goto bad;
    }
    char cache_buf[1024];
    if (!o.cache_dir) {
        const char *e = getenv("EDGECL_CACHE"), *x = getenv("XDG_CACHE_HOME"),
                   *home = getenv("HOME");
        if (e && *e)
            snprintf(cache_buf, sizeof cache_buf, "%s", e);
        else if (x && *x)
            snprintf(cache_buf, sizeof cache_buf, "%s/edgecl", x);
        else
            snprintf(cache_buf, sizeof cache_buf, "%s/.cache/edgecl", home ? home : ".");
        o.cache_dir = cache_buf;
    }

    /* backbone */
    struct fe_opts fo = fe_default_opts();
    fo.cut = o.cut;
    fo.threads = (int)o.threads;
    struct fe *fe = NULL;
    if (fe_open(o.model, &fo, &fe, err, sizeof err) != ECL_OK) {
        fprintf(stderr, "bench-cl: %s\n", err);
        return 1;
    }
    static char cut_buf[256]; /* the resolved cut ("default"/"auto" -> its tensor) */
    snprintf(cut_buf, sizeof cut_buf, "%s", fe_cut_name(fe));
    o.cut = cut_buf;
    uint32_t dim = fe_dim(fe);
    size_t arena = fe_arena_bytes(fe);
    int iw, ih;
    fe_input_size(fe, &iw, &ih);
    if (!o.quiet)
        fprintf(stderr, "bench-cl: backbone %s, input %dx%d, cut %s -> %u-d, arena %.1f MiB\n",
                o.model, iw, ih, o.cut, dim, arena / 1048576.0);

    int rc = 1;
    struct pool P;
    memset(&P, 0, sizeof P);
    struct core50 c50;
    memset(&c50, 0, sizeof c50);
    struct config *cfg = calloc(MAX_CONFIGS, sizeof *cfg);
    struct result *res = calloc(MAX_CONFIGS, sizeof *res);
    struct cl_scenario sc;
    memset(&sc, 0, sizeof sc);
    int n_cfg = 0;
    if (!cfg || !res) goto out;
    if (o.fam == FAM_CORE50 ? build_pool_core50(&o, fe, dim, &c50, &P)
                            : build_pool_mnist(&o, fe, dim, &P))
        goto out;
    fe_close(fe);
    fe = NULL;

    lo.max_classes = P.n_classes; /* --max-classes is refused above: the scenario sets it */
    lo.set |= 1u << CLI_OPT_MAX_CLASSES;
    for (int k = 0; k < 5; k++) {
        if (!want[k]) continue;
        enum ecl_learner_kind kind = k == K_REPLAY ? ECL_LEARNER_REPLAY
                                     : k == K_SLDA ? ECL_LEARNER_SLDA
                                     : k == K_NCM  ? ECL_LEARNER_NCM
                                                   : ECL_LEARNER_NAIVE;
        int nb = k == K_REPLAY ? n_buf : 1, np = k == K_REPLAY ? n_pol : 1,
            ns = k == K_REPLAY ? n_sto : 1;
        for (int ib = 0; ib < nb; ib++)
            for (int ip = 0; ip < np; ip++)
                for (int is = 0; is < ns; is++) {
                    if (n_cfg == MAX_CONFIGS) {
                        snprintf(err, sizeof err, "more than %d learner configurations",
                                 MAX_CONFIGS);
                        fprintf(stderr, "bench-cl: %s\n", err);
                        goto out;
                    }
                    struct config *c = &cfg[n_cfg];
                    struct cli_learner_opts l2 = lo;
                    if (k == K_REPLAY) {
                        l2.buffer = buffers[ib], l2.policy = policies[ip],
                        l2.storage = storages[is];
                        l2.set |=
                            1u << CLI_OPT_BUFFER | 1u << CLI_OPT_POLICY | 1u << CLI_OPT_STORAGE;
                    }
                    if (cli_learner_params_kind(&l2, kind, dim, &c->p, err, sizeof err)) {
                        fprintf(stderr, "bench-cl: %s\n", err);
                        goto out;
                    }
                    c->joint = k == K_JOINT;
                    /* the joint bound trains one head on data of all batches so far: the
                     * lower learning rate of later calls (--lr-after) would cripple the
                     * incremental joint, which observes once per batch */
                    if (c->joint) c->p.lr_after_first = 0;
                    if (k == K_REPLAY) {
                        int w =
                            snprintf(c->name, sizeof c->name, "replay-%u-%s-%s", buffers[ib],
                                     cli_policy_name(policies[ip]), cli_storage_name(storages[is]));
                        size_t at = w > 0 && (size_t)w < sizeof c->name ? (size_t)w : 0;
                        if (at && CLI_SET(&lo, REPLAY_BATCH))
                            at += (size_t)snprintf(c->name + at, sizeof c->name - at, "-rb%u",
                                                   c->p.replay_per_batch);
                        if (at < sizeof c->name && CLI_SET(&lo, REPLACE_FRACTION))
                            snprintf(c->name + at, sizeof c->name - at, "-rf%g",
                                     (double)c->p.replay.replace_fraction);
                    } else
                        snprintf(c->name, sizeof c->name, "%s",
                                 k == K_JOINT ? "joint" : ecl_learner_kind_name(kind));
                    n_cfg++;
                }
    }

    uint32_t T = 0;
    for (uint32_t run = 0; run < o.runs; run++) {
        uint32_t seed = o.seed + run;
        cl_scenario_free(&sc);
        enum ecl_status st;
        if (o.fam == FAM_CORE50) {
            struct core50_scenario cs;
            if (core50_build(&c50, o.c50kind, seed, &cs, err, sizeof err) != ECL_OK) {
                fprintf(stderr, "bench-cl: %s\n", err);
                goto out;
            }
            sc.n_batches = cs.n_batches, sc.n_train = cs.n_train, sc.n_test = cs.n_test;
            sc.n_classes = cs.n_classes;
            sc.batch_start = cs.batch_start, sc.train_idx = cs.train_idx, sc.test_idx = cs.test_idx;
            sc.test_group = malloc(cs.n_test * sizeof *sc.test_group);
            if (!sc.test_group) goto out;
            for (uint32_t k = 0; k < cs.n_test; k++)
                sc.test_group[k] = cs.first_batch[P.y[cs.test_idx[k]]];
            /* shuffle inside each batch (frames of a video are consecutive) */
            uint64_t rng = ds_rng_seed(seed ^ 0xF7A3Eu);
            for (uint32_t b = 0; b < sc.n_batches; b++)
                ds_shuffle_u32(&rng, sc.train_idx + sc.batch_start[b],
                               sc.batch_start[b + 1] - sc.batch_start[b]);
            st = ECL_OK;
        } else if (o.fam == FAM_ROT) {
            st = cl_split_domains(P.y, P.is_test, P.domain, P.n, 10, N_ROT, seed, &sc);
        } else {
            int32_t order[10];
            uint32_t tmp[10];
            for (uint32_t k = 0; k < 10; k++)
                tmp[k] = k;
            if (o.shuffled_order) {
                uint64_t rng = ds_rng_seed(seed ^ 0x0DE7u);
                ds_shuffle_u32(&rng, tmp, 10);
            }
            for (uint32_t k = 0; k < 10; k++)
                order[k] = (int32_t)tmp[k];
            st = cl_split_classes(P.y, P.is_test, P.n, 10, 2, order, seed, &sc);
            if (!o.quiet)
                fprintf(stderr, "bench-cl: run %u class order %d%d %d%d %d%d %d%d %d%d\n", run + 1,
                        order[0], order[1], order[2], order[3], order[4], order[5], order[6],
                        order[7], order[8], order[9]);
        }
        if (st != ECL_OK) {
            fprintf(stderr, "bench-cl: cannot build the scenario: %s\n", ecl_status_str(st));
            goto out;
        }
        if (run == 0) {
            T = sc.n_batches;
            for (int c = 0; c < n_cfg; c++) {
                struct result *R = &res[c];
                R->acc = calloc((size_t)o.runs * T, sizeof(double));
                R->final_acc = calloc(o.runs, sizeof(double));
                R->avg_acc = calloc(o.runs, sizeof(double));
                R->forgetting = calloc(o.runs, sizeof(double));
                R->bwt = calloc(o.runs, sizeof(double));
                R->us_per_sample = calloc(o.runs, sizeof(double));
                if (!R->acc || !R->final_acc || !R->avg_acc || !R->forgetting || !R->bwt ||
                    !R->us_per_sample)
                    goto out;
            }
            if (!o.quiet)
                fprintf(stderr,
                        "bench-cl: %s: %u batches, %u training + %u test samples, "
                        "%u classes, %d learner configs x %u runs\n",
                        o.scenario, T, sc.n_train, sc.n_test, sc.n_classes, n_cfg, o.runs);
        } else if (sc.n_batches != T) {
            fprintf(stderr, "bench-cl: run %u has %u batches, run 1 had %u\n", run + 1,
                    sc.n_batches, T);
            goto out;
        }
        for (int c = 0; c < n_cfg; c++)
            if (run_config(&o, &cfg[c], &P, &sc, run, seed, &res[c])) goto out;
    }

    /* table */
    printf("%s: %u batches, %u train / %u test samples, %u-d features (%s), %u run%s\n", o.scenario,
           T, sc.n_train, sc.n_test, P.dim, o.cut, o.runs, o.runs > 1 ? "s" : "");
    printf("%-28s %8s %8s %8s %8s %9s %11s %11s\n", "learner", "final%", "avg%", "forget", "bwt",
           "us/sample", "learner KiB", "replay KiB");
    for (int c = 0; c < n_cfg; c++) {
        const struct result *R = &res[c];
        char fin[32];
        if (o.runs > 1)
            snprintf(fin, sizeof fin, "%.1f+-%.1f", 100 * mean_of(R->final_acc, o.runs),
                     100 * std_of(R->final_acc, o.runs));
        else
            snprintf(fin, sizeof fin, "%.1f", 100 * R->final_acc[0]);
        printf("%-28s %8s %8.1f %8.1f %8.1f %9.1f %11.1f %11.1f\n", cfg[c].name, fin,
               100 * mean_of(R->avg_acc, o.runs), 100 * mean_of(R->forgetting, o.runs),
               100 * mean_of(R->bwt, o.runs), mean_of(R->us_per_sample, o.runs),
               (R->learner_bytes + R->joint_bytes) / 1024.0, R->replay_bytes / 1024.0);
    }
    printf("backbone arena %.1f KiB; peak RSS %.1f MiB\n", arena / 1024.0,
           ecl_port_peak_rss_bytes() / 1048576.0);
    rc = 0;
    if (o.json && write_json(&o, &P, &sc, arena, cfg, res, n_cfg, T)) rc = 1;
    if (o.svg && write_svg(&o, cfg, res, n_cfg, T)) rc = 1;
    if (!o.quiet && rc == 0 && (o.json || o.svg))
        fprintf(stderr, "bench-cl: wrote%s%s%s%s\n", o.json ? " " : "", o.json ? o.json : "",
                o.svg ? " " : "", o.svg ? o.svg : "");
out:
    if (fe) fe_close(fe);
    cl_scenario_free(&sc);
    pool_free(&P);
    core50_free(&c50);
    for (int c = 0; res && c < MAX_CONFIGS; c++) {
        free(res[c].acc), free(res[c].final_acc), free(res[c].avg_acc);
        free(res[c].forgetting), free(res[c].bwt), free(res[c].us_per_sample);
    }
    free(cfg);
    free(res);
    return rc;
bad:
    fprintf(stderr, "bench-cl: %s\n", err);
    return 2;
}

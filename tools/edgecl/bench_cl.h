/* tools/edgecl/bench_cl.h - the pieces of `edgecl bench-cl` (internal to the tool), one file per
 * stage: cmd_bench_cl.c (usage, options, main flow), bench_cl_pool.c (the sample pool: features
 * through the backbone, the feature cache, the (Fashion-)MNIST and CORe50 pools),
 * bench_cl_run.c (learner configurations, the runs, the metrics), bench_cl_out.c (the table,
 * JSON and SVG). Metrics and the joint bound are described at the top of cmd_bench_cl.c.
 *
 *     struct bcl_pool P = {0};
 *     if (bcl_pool_build_mnist(&o, fe, dim, &P)) ...       // or bcl_pool_build_core50
 *     bcl_configs_build(&lists, &lo, dim, cfg, &n_cfg);    // lo.max_classes = P.n_classes
 *     bcl_run_all(&o, cfg, n_cfg, &P, &c50, &sc, res, &T);  // every run, every configuration
 *     bcl_table_print(&o, &P, &sc, arena, cfg, res, n_cfg, T);
 *     bcl_json_write(&o, &P, &sc, arena, cfg, res, n_cfg, T);
 *     bcl_pool_free(&P);
 */
#ifndef EDGECL_BENCH_CL_H
#define EDGECL_BENCH_CL_H

#include <stddef.h>
#include <stdint.h>
#include "cli_util.h"
#include "core50.h"
#include "datasets.h"
#include "edgecl/learner.h"
#include "edgecl/replay.h"
#include "fe.h"

#define BCL_MAX_CONFIGS 64
#define BCL_MAX_LIST 16
#define BCL_N_ROT 5
enum { BCL_JOINT_AUTO = 0, BCL_JOINT_RETRAIN = 1, BCL_JOINT_INCREMENTAL = 2 };
#define BCL_JOINT_AUTO_MAX_BATCHES 20 /* --joint auto: retrain up to this many batches */

enum bcl_family { BCL_FAM_SPLIT, BCL_FAM_ROT, BCL_FAM_CORE50 };

struct bcl_opts {
    const char *scenario;
    enum bcl_family fam;
    enum ds_kind ds;
    enum core50_kind c50kind;
    const char *data_dir, *core50_dir, *model, *cut, *cache_dir, *json, *svg, *title;
    uint32_t train_limit, test_limit, runs, seed, threads, c50_train_stride, c50_test_stride;
    int c50_level; /* enum core50_level */
    int shuffled_order, no_cache, quiet;
    int joint_mode; /* BCL_JOINT_AUTO, BCL_JOINT_RETRAIN, BCL_JOINT_INCREMENTAL */
    uint32_t joint_samples;
    int replay_hist; /* print a replay buffer's class histogram after every batch */
    /* the comma-separated lists as given (parsed into struct bcl_lists) */
    char learners[256], buffers[256], policies[128], storages[64];
};

/* The learner kinds of --learner, in the order of the configurations. */
enum { BCL_K_NAIVE, BCL_K_REPLAY, BCL_K_SLDA, BCL_K_NCM, BCL_K_JOINT, BCL_N_KINDS };

/* The parsed lists: which kinds, and the replay variants (one configuration per combination). */
struct bcl_lists {
    int want[BCL_N_KINDS];
    uint32_t buffers[BCL_MAX_LIST];
    enum ecl_replay_policy policies[BCL_MAX_LIST];
    enum ecl_replay_storage storages[BCL_MAX_LIST];
    int n_buf, n_pol, n_sto;
};

/* The sample pool: every latent of the scenario's train and test images. */
struct bcl_pool {
    uint32_t n, dim;
    float *x; /* n x dim latents */
    int32_t *y;
    uint8_t *is_test;
    uint8_t *domain; /* rotation index for BCL_FAM_ROT */
    uint32_t n_classes;
    double extract_s; /* 0 when the cache was used */
    int from_cache;
    char cache_path[1024];
};

struct bcl_config {
    char name[64];
    int joint;
    struct ecl_learner_params p;
};

struct bcl_result {
    /* per run */
    double *acc; /* runs x T */
    double *final_acc, *avg_acc, *forgetting, *bwt, *us_per_sample;
    size_t learner_bytes, replay_bytes, joint_bytes;
};

/* bench_cl_run.c: helpers */
double bcl_now_s(void);
double bcl_mean(const double *v, uint32_t n);
double bcl_std(const double *v, uint32_t n); /* sample standard deviation; 0 below 2 values */
int bcl_joint_incremental(const struct bcl_opts *o, uint32_t n_batches);

/* bench_cl_pool.c: builds the pool (features from the cache or through fe); 0 or 1 (printed) */
int bcl_pool_build_mnist(const struct bcl_opts *o, struct fe *fe, uint32_t dim, struct bcl_pool *P);
int bcl_pool_build_core50(const struct bcl_opts *o, struct fe *fe, uint32_t dim, struct core50 *ds,
                          struct bcl_pool *P);
void bcl_pool_free(struct bcl_pool *P);

/* bench_cl_run.c: the configurations (lo: the learner options, max_classes set), at most
 * BCL_MAX_CONFIGS; then every run (scenario seeded per run) of every configuration into res
 * (allocated here, freed by bcl_results_free); *T the batch count. 0 or 1 (printed). */
int bcl_configs_build(const struct bcl_lists *L, const struct cli_learner_opts *lo, uint32_t dim,
                      struct bcl_config *cfg, int *n_cfg);
int bcl_run_all(const struct bcl_opts *o, const struct bcl_config *cfg, int n_cfg,
                const struct bcl_pool *P, struct core50 *c50, struct cl_scenario *sc,
                struct bcl_result *res, uint32_t *T);
void bcl_results_free(struct bcl_result *res, int n);

/* bench_cl_out.c: the table on stdout; JSON and SVG files (0 or 1, printed) */
void bcl_table_print(const struct bcl_opts *o, const struct bcl_pool *P,
                     const struct cl_scenario *sc, size_t arena, const struct bcl_config *cfg,
                     const struct bcl_result *res, int n_cfg, uint32_t T);
int bcl_json_write(const struct bcl_opts *o, const struct bcl_pool *P, const struct cl_scenario *sc,
                   size_t arena, const struct bcl_config *cfg, const struct bcl_result *res,
                   int n_cfg, uint32_t T);
int bcl_svg_write(const struct bcl_opts *o, const struct bcl_config *cfg,
                  const struct bcl_result *res, int n_cfg, uint32_t T);

#endif

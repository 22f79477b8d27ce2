/* tools/common/core50.h - the CORe50 benchmark protocol on a user's copy of the dataset.
 *
 * Layout read (the official core50_128x128.zip, unpacked):
 *     ROOT/sN/oM/C_NN_MM_FFF.png      N = session 1..11, M = object 1..50, FFF = frame
 * (ROOT may also be the folder that contains core50_128x128/). Labels are object-level
 * (50 classes, label = M-1) or category-level (10 classes, label = (M-1)/5).
 *
 * Protocol (Lomonaco & Maltoni 2017; NICv2: Lomonaco et al. 2019):
 *   test set      sessions 3, 7 and 10, all objects (optionally every test_stride-th frame);
 *   training      the other 8 sessions: 1, 2, 4, 5, 6, 8, 9, 11;
 *   NI            8 batches, one per training session, sessions in a seeded random order, each
 *                 batch holds all 50 objects of its session;
 *   NC            9 batches over objects in a seeded random order: the first has 10 objects,
 *                 each later one 5; every batch holds all 8 training sessions of its objects;
 *   NICv2-N       N = 79, 196 or 391 batches. The unit is one (object, training session) pair
 *                 (8 x 50 = 400 pairs, ~300 frames each). The first batch holds the 10 pairs
 *                 (o1, o6, ..., o46) x s1 (one object per category, first session, ~3000
 *                 images); the other 390 pairs follow in a seeded random order, 390/(N-1) =
 *                 5, 2 or 1 pairs per batch.
 * The official benchmark ships fixed batch file lists for 10 runs; here the batches are rebuilt
 * from these rules with a seed per run, so runs are comparable in structure, not frame-for-frame.
 *
 *     struct core50_opts o = core50_default_opts();
 *     o.test_stride = 20;                        // every 20th test frame
 *     struct core50 ds;
 *     if (core50_scan("/data/core50_128x128", &o, &ds, err, sizeof err)) ...
 *     struct core50_scenario sc;
 *     core50_build(&ds, CORE50_NICV2_391, 7, &sc, err, sizeof err);   // seed 7
 *     for (b = 0; b < sc.n_batches; b++)
 *         for (k = sc.batch_start[b]; k < sc.batch_start[b + 1]; k++)
 *             use(ds.img[sc.train_idx[k]], core50_label(&ds, sc.train_idx[k]));
 *     core50_scenario_free(&sc); core50_free(&ds);
 */
#ifndef EDGECL_TOOLS_CORE50_H
#define EDGECL_TOOLS_CORE50_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/status.h"

#define CORE50_SESSIONS 11
#define CORE50_OBJECTS 50
#define CORE50_CATEGORIES 10
#define CORE50_PATH_MAX 1024

enum core50_level { CORE50_OBJECT = 0, CORE50_CATEGORY = 1 };
enum core50_kind {
    CORE50_NI = 0,
    CORE50_NC = 1,
    CORE50_NICV2_79 = 2,
    CORE50_NICV2_196 = 3,
    CORE50_NICV2_391 = 4
};

struct core50_opts {
    enum core50_level level; /* default CORE50_OBJECT */
    uint32_t train_stride;   /* keep every n-th training frame (default 1 = all) */
    uint32_t test_stride;    /* keep every n-th test frame (default 1; 20 = a quick test set) */
};

struct core50_image {
    uint8_t session; /* 1..11 */
    uint8_t object;  /* 1..50 */
    uint16_t frame;  /* FFF of the file name */
};

struct core50 {
    char root[CORE50_PATH_MAX]; /* the folder holding s1..s11 */
    struct core50_opts opts;
    uint32_t n; /* images kept (after strides), sorted by session, object, frame */
    struct core50_image *img;
};

struct core50_scenario {
    enum core50_kind kind;
    uint32_t n_batches;
    uint32_t *batch_start; /* n_batches + 1 offsets into train_idx */
    uint32_t n_train;
    uint32_t *train_idx; /* indices into core50.img, batch by batch */
    uint32_t n_test;
    uint32_t *test_idx; /* indices into core50.img (sessions 3, 7, 10) */
    uint32_t n_classes; /* 50 or 10 */
    /* first_batch[c]: the batch in which class c first appears (-1: never). */
    int32_t first_batch[CORE50_OBJECTS];
    /* The seeded orders the batches were built from (for reports and tests):
     *   NI: session_order[0..7]; NC: object_order[0..49]; NICv2: unit order in pair_order,
     *   each entry session * 64 + object (first 10 = the fixed first batch). */
    uint8_t session_order[8];
    uint8_t object_order[CORE50_OBJECTS];
    uint16_t pair_order[8 * CORE50_OBJECTS];
};

struct core50_opts core50_default_opts(void);
/* Name <-> kind: "ni", "nc", "nicv2-79", "nicv2-196", "nicv2-391" (also with '_'). */
const char *core50_kind_name(enum core50_kind k);
enum ecl_status core50_kind_parse(const char *s, enum core50_kind *k);
/* 1 for sessions 3, 7, 10. */
int core50_is_test_session(int session);

/* Scans ROOT for sN/oM/C_NN_MM_FFF.png. Missing session or object folders are skipped (a
 * partial copy works); no image at all, or an unreadable ROOT, is an error. Files whose name
 * does not match the folder they are in are rejected with a message naming them. */
enum ecl_status core50_scan(const char *root, const struct core50_opts *o, struct core50 *ds,
                            char *err, size_t errlen);
void core50_free(struct core50 *ds);
/* Label of image i at the dataset's level. */
int32_t core50_label(const struct core50 *ds, uint32_t i);
/* Writes ROOT/sN/oM/C_NN_MM_FFF.png of image i into path. */
void core50_path(const struct core50 *ds, uint32_t i, char *path, size_t cap);

/* Builds the batches of a scenario for one run (seed). Batches left empty by a partial copy
 * are dropped; if the scenario ends up with no training image, or no test image, it fails. */
enum ecl_status core50_build(const struct core50 *ds, enum core50_kind kind, uint32_t seed,
                             struct core50_scenario *sc, char *err, size_t errlen);
void core50_scenario_free(struct core50_scenario *sc);

#endif

/* tools/common/core50.h - the CORe50 benchmark protocol on a user's copy of the dataset.
 *
 * Layout read (the official core50_128x128.zip, unpacked):
 *     ROOT/sN/oM/C_NN_MM_FFF.png      N = session 1..11, M = object 1..50, FFF = frame
 * (ROOT may also be the folder that contains core50_128x128/). Labels are object-level
 * (50 classes, label = M-1) or category-level (10 classes, label = (M-1)/5).
 *
 * Protocol. Sources: Lomonaco & Maltoni, "CORe50: a New Dataset and Benchmark for Continuous
 * Object Recognition", CoRL 2017 (arXiv:1705.03550); Lomonaco, Maltoni & Pellegrini,
 * "Rehearsal-Free Continual Learning over Small Non-I.I.D. Batches", CVPR-W 2020
 * (arXiv:1907.03799, NICv2); the batch-list generators core/create_sI_filelist.py,
 * create_sII_filelist.py, create_sIII_filelist.py and extras/test_filelist_reduced.txt in
 * https://github.com/vlomonaco/core50; batch counts as in Avalanche
 * avalanche/benchmarks/classic/core50.py (ni 8, nc 9, nicv2_79/196/391).
 *   test set      sessions 3, 7 and 10, all 50 objects. NI/NC use every frame (~45k); the
 *                 reduced list shipped with the NICv2 results keeps every 20th frame of each
 *                 (session, object) video from its first frame (~2250): test_stride = 20;
 *   training      the other 8 sessions: 1, 2, 4, 5, 6, 8, 9, 11;
 *   NI            8 batches, one per training session, sessions in a seeded random order
 *                 (session_order), each batch holds all 50 objects of its session;
 *   NC            9 batches with FIXED contents, only the order of batches 2..9 is seeded:
 *                 batch 1 = o1, o6, ..., o46 (the first object of each category); the other 8
 *                 batches each hold 5 objects, the same object index i (1..4 within the
 *                 category) of categories 0-4 or of categories 5-9 (e.g. o2, o7, o12, o17, o22);
 *                 every batch holds all 8 training sessions of its objects. (The official lists
 *                 also renumber labels in order of appearance; labels here stay object ids,
 *                 which does not change any accuracy.)
 *   NICv2-N       N = 79, 196 or 391 batches. The unit is one (object, training session) pair
 *                 (8 x 50 = 400 pairs, ~300 frames each). The first batch holds the 10 pairs
 *                 (o1, o6, ..., o46) x s1 (one object per category, first session, ~3000
 *                 images, as batch 0 of the original NIC generator); the other 390 pairs follow
 *                 in a seeded random order, 390/(N-1) = 5, 2 or 1 pairs per batch.
 * The official benchmark ships fixed batch file lists for 10 runs; here the batches are rebuilt
 * from these rules with a seed per run, so runs are comparable in structure, not frame-for-frame.
 * Not verified against a published text: whether the official NICv2 orders put any constraint
 * on the sequence of later pairs (here: uniform shuffle).
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
     *   NI: session_order[0..7]; NC: object_order[0..49] (10, then 5 per batch);
     *   NICv2: unit order in pair_order,
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

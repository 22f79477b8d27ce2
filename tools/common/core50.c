/* core50.c - CORe50 folder scan and scenario builder (see core50.h for the protocol).
 *
 * The scan walks the fixed sN/oM grid instead of recursing, so a stray folder never turns into
 * a class, and it checks that each file name agrees with its folder: a copy mixed up during
 * unpacking would otherwise train on wrong labels without any sign. */
#define _POSIX_C_SOURCE 200809L
#include "core50.h"
#include "datasets.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void seterr(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

struct core50_opts core50_default_opts(void) {
    struct core50_opts o = {CORE50_OBJECT, 1, 1};
    return o;
}

static const char *KIND_NAMES[] = {"ni", "nc", "nicv2-79", "nicv2-196", "nicv2-391"};

const char *core50_kind_name(enum core50_kind k) {
    return (unsigned)k < 5 ? KIND_NAMES[k] : "?";
}

enum ecl_status core50_kind_parse(const char *s, enum core50_kind *k) {
    char buf[32];
    size_t n = strlen(s);
    if (n >= sizeof buf) return ECL_EINVAL;
    for (size_t i = 0; i <= n; i++)
        buf[i] = s[i] == '_' ? '-' : s[i];
    for (int i = 0; i < 5; i++)
        if (!strcmp(buf, KIND_NAMES[i])) {
            *k = (enum core50_kind)i;
            return ECL_OK;
        }
    return ECL_EINVAL;
}

int core50_is_test_session(int s) {
    return s == 3 || s == 7 || s == 10;
}

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cmp_u16(const void *a, const void *b) {
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

/* Parses C_NN_MM_FFF.png; returns 1 and the three numbers on success. */
static int parse_name(const char *name, int *s, int *o, int *f) {
    int len = 0;
    if (sscanf(name, "C_%2d_%2d_%3d.png%n", s, o, f, &len) != 3) return 0;
    return len == (int)strlen(name) && len == 15;
}

enum ecl_status core50_scan(const char *root, const struct core50_opts *o, struct core50 *ds,
                            char *err, size_t errlen) {
    memset(ds, 0, sizeof *ds);
    ds->opts = o ? *o : core50_default_opts();
    if (ds->opts.train_stride == 0) ds->opts.train_stride = 1;
    if (ds->opts.test_stride == 0) ds->opts.test_stride = 1;
    if (!root || !*root) {
        seterr(err, errlen, "core50: no dataset folder given");
        return ECL_EINVAL;
    }
    if (!is_dir(root)) {
        seterr(err, errlen, "core50: '%s' is not a folder", root);
        return ECL_ENOTFOUND;
    }
    char path[CORE50_PATH_MAX + 64];
    if (strlen(root) + 16 >= sizeof ds->root) {
        seterr(err, errlen, "core50: folder name too long");
        return ECL_ERANGE;
    }
    snprintf(ds->root, sizeof ds->root, "%s", root);
    snprintf(path, sizeof path, "%s/core50_128x128", root);
    if (is_dir(path)) memcpy(ds->root, path, strlen(path) + 1);

    uint32_t cap = 0;
    uint16_t frames[4096];
    for (int s = 1; s <= CORE50_SESSIONS; s++) {
        uint32_t stride = core50_is_test_session(s) ? ds->opts.test_stride : ds->opts.train_stride;
        for (int ob = 1; ob <= CORE50_OBJECTS; ob++) {
            snprintf(path, sizeof path, "%s/s%d/o%d", ds->root, s, ob);
            DIR *d = opendir(path);
            if (!d) continue;
            uint32_t nf = 0;
            struct dirent *e;
            enum ecl_status st = ECL_OK;
            while ((e = readdir(d))) {
                if (e->d_name[0] == '.') continue;
                int fs, fo, ff;
                size_t L = strlen(e->d_name);
                if (L < 4 || strcmp(e->d_name + L - 4, ".png")) continue; /* e.g. depth maps */
                if (!parse_name(e->d_name, &fs, &fo, &ff) || fs != s || fo != ob) {
                    seterr(err, errlen,
                           "core50: %s/%s does not match the expected name C_%02d_%02d_FFF.png",
                           path, e->d_name, s, ob);
                    st = ECL_EFORMAT;
                    break;
                }
                if (nf == sizeof frames / sizeof frames[0]) {
                    seterr(err, errlen, "core50: more than %zu frames in %s",
                           sizeof frames / sizeof frames[0], path);
                    st = ECL_ERANGE;
                    break;
                }
                frames[nf++] = (uint16_t)ff;
            }
            closedir(d);
            if (st != ECL_OK) {
                core50_free(ds);
                return st;
            }
            qsort(frames, nf, sizeof frames[0], cmp_u16);
            for (uint32_t k = 0; k < nf; k += stride) {
                if (ds->n == cap) {
                    cap = cap ? cap * 2 : 4096;
                    void *p = realloc(ds->img, cap * sizeof *ds->img);
                    if (!p) {
                        core50_free(ds);
                        seterr(err, errlen, "core50: out of memory");
                        return ECL_EOOM;
                    }
                    ds->img = p;
                }
                ds->img[ds->n++] = (struct core50_image){(uint8_t)s, (uint8_t)ob, frames[k]};
            }
        }
    }
    if (ds->n == 0) {
        seterr(err, errlen, "core50: no C_NN_MM_FFF.png image under %s/sN/oM/", ds->root);
        core50_free(ds);
        return ECL_ENOTFOUND;
    }
    return ECL_OK;
}

void core50_free(struct core50 *ds) {
    free(ds->img);
    ds->img = NULL;
    ds->n = 0;
}

int32_t core50_label(const struct core50 *ds, uint32_t i) {
    int32_t ob = ds->img[i].object - 1;
    return ds->opts.level == CORE50_CATEGORY ? ob / 5 : ob;
}

void core50_path(const struct core50 *ds, uint32_t i, char *path, size_t cap) {
    const struct core50_image *m = &ds->img[i];
    snprintf(path, cap, "%s/s%d/o%d/C_%02d_%02d_%03d.png", ds->root, m->session, m->object,
             m->session, m->object, m->frame);
}

static const uint8_t TRAIN_SESSIONS[8] = {1, 2, 4, 5, 6, 8, 9, 11};

void core50_scenario_free(struct core50_scenario *sc) {
    free(sc->batch_start);
    free(sc->train_idx);
    free(sc->test_idx);
    sc->batch_start = sc->train_idx = sc->test_idx = NULL;
    sc->n_batches = sc->n_train = sc->n_test = 0;
}

/* Units: a batch is a list of (session, object) pairs; images are appended pair by pair. The
 * dataset is sorted by session then object, so one pass finds each pair's image range. */
struct pair_range {
    uint32_t begin, end;
};

enum ecl_status core50_build(const struct core50 *ds, enum core50_kind kind, uint32_t seed,
                             struct core50_scenario *sc, char *err, size_t errlen) {
    memset(sc, 0, sizeof *sc);
    sc->kind = kind;
    sc->n_classes = ds->opts.level == CORE50_CATEGORY ? CORE50_CATEGORIES : CORE50_OBJECTS;
    for (int c = 0; c < CORE50_OBJECTS; c++)
        sc->first_batch[c] = -1;
    if ((unsigned)kind > CORE50_NICV2_391) {
        seterr(err, errlen, "core50: unknown scenario %d", (int)kind);
        return ECL_EINVAL;
    }

    struct pair_range range[CORE50_SESSIONS + 1][CORE50_OBJECTS + 1];
    memset(range, 0, sizeof range);
    for (uint32_t i = 0; i < ds->n; i++) {
        struct pair_range *r = &range[ds->img[i].session][ds->img[i].object];
        if (r->end == 0) r->begin = i;
        r->end = i + 1;
    }

    /* The batch plan: up to 400 units (session*64+object), with a batch boundary list. */
    uint16_t units[8 * CORE50_OBJECTS];
    uint32_t n_units = 0, bounds[8 * CORE50_OBJECTS + 1], n_b = 0;
    uint64_t rng = ds_rng_seed(seed ^ 0xC0E50u ^ ((uint64_t)kind << 32));

    if (kind == CORE50_NI) {
        memcpy(sc->session_order, TRAIN_SESSIONS, 8);
        for (uint32_t i = 7; i > 0; i--) {
            uint32_t j = ds_rand_below(&rng, i + 1);
            uint8_t t = sc->session_order[i];
            sc->session_order[i] = sc->session_order[j];
            sc->session_order[j] = t;
        }
        for (int b = 0; b < 8; b++) {
            bounds[n_b++] = n_units;
            for (int ob = 1; ob <= CORE50_OBJECTS; ob++)
                units[n_units++] = (uint16_t)(sc->session_order[b] * 64 + ob);
        }
    } else if (kind == CORE50_NC) {
        /* Fixed batch contents (the official lists keep them fixed across runs, only the order
         * of batches 2..9 changes): batch 1 = the first object of every category; later batch
         * j (1..8) = object ceil(j/2) (0-based within its category) of categories 0-4 when j is
         * odd, of categories 5-9 when j is even. */
        uint8_t content[9][10];
        for (int c = 0; c < 10; c++)
            content[0][c] = (uint8_t)(c * 5 + 1);
        for (int j = 1; j < 9; j++)
            for (int c = 0; c < 5; c++)
                content[j][c] = (uint8_t)((j % 2 ? c : c + 5) * 5 + (j + 1) / 2 + 1);
        uint8_t order[8];
        for (int j = 0; j < 8; j++)
            order[j] = (uint8_t)(j + 1);
        for (uint32_t i = 7; i > 0; i--) {
            uint32_t j = ds_rand_below(&rng, i + 1);
            uint8_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int k = 0;
        for (int b = 0; b < 9; b++) {
            int j = b == 0 ? 0 : order[b - 1], n = b == 0 ? 10 : 5;
            for (int c = 0; c < n; c++)
                sc->object_order[k++] = content[j][c];
        }
        for (k = 0; k < CORE50_OBJECTS; k++) {
            if (k == 0 || (k >= 10 && (k - 10) % 5 == 0)) bounds[n_b++] = n_units;
            for (int s = 0; s < 8; s++)
                units[n_units++] = (uint16_t)(TRAIN_SESSIONS[s] * 64 + sc->object_order[k]);
        }
    } else {
        uint32_t per = kind == CORE50_NICV2_79 ? 5 : kind == CORE50_NICV2_196 ? 2 : 1;
        uint32_t np = 0;
        for (int c = 0; c < CORE50_CATEGORIES; c++)
            sc->pair_order[np++] = (uint16_t)(1 * 64 + c * 5 + 1);
        uint32_t first_rest = np;
        for (int s = 0; s < 8; s++)
            for (int ob = 1; ob <= CORE50_OBJECTS; ob++) {
                if (TRAIN_SESSIONS[s] == 1 && (ob - 1) % 5 == 0) continue;
                sc->pair_order[np++] = (uint16_t)(TRAIN_SESSIONS[s] * 64 + ob);
            }
        for (uint32_t i = np - 1; i > first_rest; i--) {
            uint32_t j = first_rest + ds_rand_below(&rng, i - first_rest + 1);
            uint16_t t = sc->pair_order[i];
            sc->pair_order[i] = sc->pair_order[j];
            sc->pair_order[j] = t;
        }
        for (uint32_t k = 0; k < np; k++) {
            if (k == 0 || (k >= first_rest && (k - first_rest) % per == 0)) bounds[n_b++] = n_units;
            units[n_units++] = sc->pair_order[k];
        }
    }
    bounds[n_b] = n_units;

    /* Materialise image indices, dropping batches a partial copy leaves empty. */
    uint32_t n_img = 0;
    for (uint32_t u = 0; u < n_units; u++) {
        struct pair_range r = range[units[u] / 64][units[u] % 64];
        n_img += r.end - r.begin;
    }
    uint32_t n_test = 0;
    for (uint32_t i = 0; i < ds->n; i++)
        n_test += core50_is_test_session(ds->img[i].session);
    sc->train_idx = malloc((n_img ? n_img : 1) * sizeof *sc->train_idx);
    sc->batch_start = malloc((n_b + 1) * sizeof *sc->batch_start);
    sc->test_idx = malloc((n_test ? n_test : 1) * sizeof *sc->test_idx);
    if (!sc->train_idx || !sc->batch_start || !sc->test_idx) {
        core50_scenario_free(sc);
        seterr(err, errlen, "core50: out of memory");
        return ECL_EOOM;
    }
    for (uint32_t b = 0; b < n_b; b++) {
        uint32_t start = sc->n_train;
        for (uint32_t u = bounds[b]; u < bounds[b + 1]; u++) {
            struct pair_range r = range[units[u] / 64][units[u] % 64];
            for (uint32_t i = r.begin; i < r.end; i++)
                sc->train_idx[sc->n_train++] = i;
        }
        if (sc->n_train == start) continue;
        for (uint32_t k = start; k < sc->n_train; k++) {
            int32_t c = core50_label(ds, sc->train_idx[k]);
            if (sc->first_batch[c] < 0) sc->first_batch[c] = (int32_t)sc->n_batches;
        }
        sc->batch_start[sc->n_batches++] = start;
    }
    sc->batch_start[sc->n_batches] = sc->n_train;
    for (uint32_t i = 0; i < ds->n; i++)
        if (core50_is_test_session(ds->img[i].session)) sc->test_idx[sc->n_test++] = i;
    if (sc->n_train == 0 || sc->n_test == 0) {
        seterr(err, errlen,
               "core50: %s has no %s images under %s (training sessions 1,2,4,5,6,"
               "8,9,11; test sessions 3,7,10)",
               core50_kind_name(kind), sc->n_train == 0 ? "training" : "test", ds->root);
        core50_scenario_free(sc);
        return ECL_ENOTFOUND;
    }
    return ECL_OK;
}

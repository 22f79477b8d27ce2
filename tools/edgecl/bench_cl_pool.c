/* tools/edgecl/bench_cl_pool.c - bench-cl's sample pool: the scenario's train and test images
 * through the backbone once, their latents cached in a feature file keyed by everything they
 * depend on (image list, model file, cut), so a sweep over learners extracts once. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_cl.h"
#include "featfile.h"
#include "image.h"

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
    double t = bcl_now_s();
    if (p->quiet || (t - p->last < 2.0 && i < n)) return;
    p->last = t;
    double rate = (t - p->t0) > 0 ? (double)i / (t - p->t0) : 0;
    fprintf(stderr, "bench-cl: %s %llu/%llu (%.0f%%, %.1f/s, ETA %.0f s)\n", p->what,
            (unsigned long long)i, (unsigned long long)n, n ? 100.0 * (double)i / (double)n : 100.0,
            rate, rate > 0 ? (double)(n - i) / rate : 0.0);
}

/* Everything the extracted features depend on goes into the cache key. */
static void cache_path_for(const struct bcl_opts *o, const char *desc, char *out, size_t cap) {
    uint64_t h = 0xCBF29CE484222325ull;
    struct stat st;
    h = fnv1a(h, desc, strlen(desc));
    h = fnv1a(h, o->model, strlen(o->model));
    if (stat(o->model, &st) == 0) {
        int64_t v[2] = {(int64_t)st.st_size, (int64_t)st.st_mtime};
        h = fnv1a(h, v, sizeof v);
    }
    h = fnv1a(h, o->cut, strlen(o->cut));
    const char *fam = o->fam == BCL_FAM_CORE50 ? "core50" : o->ds == DS_MNIST ? "mnist" : "fmnist";
    snprintf(out, cap, "%s/bench-%s%s-%016llx.ecf", o->cache_dir,
             o->fam == BCL_FAM_ROT ? "rot-" : "", fam, (unsigned long long)h);
}

/* Fills pool->y / is_test / domain (the layout) for (Fashion-)MNIST and returns, per pool
 * entry, the source image (set 0 = train, 1 = test; index) and rotation. */
struct src_ref {
    uint8_t set, rot;
    uint32_t idx;
};

static const float ROT_DEG[BCL_N_ROT] = {0, 45, 90, 135, 180};

static int pool_extract_and_cache(const struct bcl_opts *o, struct bcl_pool *P, struct fe *fe,
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
    struct progress pr = {"extract", bcl_now_s(), bcl_now_s(), o->quiet};
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
    P->extract_s = bcl_now_s() - pr.t0;
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

static int pool_alloc(struct bcl_pool *P, uint32_t n, uint32_t dim) {
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

void bcl_pool_free(struct bcl_pool *P) {
    free(P->x), free(P->y), free(P->is_test), free(P->domain);
    memset(P, 0, sizeof *P);
}

int bcl_pool_build_mnist(const struct bcl_opts *o, struct fe *fe, uint32_t dim,
                         struct bcl_pool *P) {
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
    uint32_t n_rot = o->fam == BCL_FAM_ROT ? BCL_N_ROT : 1;
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

int bcl_pool_build_core50(const struct bcl_opts *o, struct fe *fe, uint32_t dim, struct core50 *ds,
                          struct bcl_pool *P) {
    char err[1200];
    struct core50_opts co = core50_default_opts();
    co.level = (enum core50_level)o->c50_level;
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

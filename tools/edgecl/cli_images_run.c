/* The backbone over image files on several threads (cli_images_run.h). Each worker takes the
 * next image index from a shared counter, decodes it, runs its own extractor and writes the
 * latent into that image's row: the order of the output never depends on which thread ran
 * which image, and every image goes through the same kernels on the same thread count, so the
 * bytes are those of a one-thread run. */
#define _DEFAULT_SOURCE
#include "cli_images_run.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "edgecl/port.h"
#include "image.h"

struct worker {
    struct img_run_job *job;
    struct fe *fe;
    pthread_t th;
    int started;
};

struct img_run_job {
    char *const *paths;
    int n, quiet;
    atomic_int next, done, shown;
    uint64_t t0;
    pthread_mutex_t mu; /* the progress bar */
    struct img_run *r;
};

/* The bar appears with the first image that loaded (a lone unreadable file gets just its
 * message). */
static void progress(struct img_run_job *j, int loaded) {
    int d = atomic_fetch_add(&j->done, 1) + 1;
    if (j->quiet || (!loaded && !atomic_load(&j->shown))) return;
    pthread_mutex_lock(&j->mu);
    atomic_store(&j->shown, 1);
    double el = (double)(ecl_port_now_ns() - j->t0) / 1e9;
    int bar = (int)(30.0 * d / j->n);
    fprintf(stderr, "\r[%.*s%*s] %d/%d  %.1f img/s ", bar, "##############################",
            30 - bar, "", d, j->n, el > 0 ? d / el : 0.0);
    pthread_mutex_unlock(&j->mu);
}

static void *work(void *arg) {
    struct worker *w = arg;
    struct img_run_job *j = w->job;
    struct img_run *r = j->r;
    for (;;) {
        int i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n) break;
        uint8_t *rgb;
        int iw, ih;
        r->load[i] = img_load_file(j->paths[i], &rgb, &iw, &ih, r->err[i], IMG_RUN_ERR);
        if (r->load[i] == ECL_OK) {
            r->st[i] = fe_extract_rgb8(w->fe, rgb, iw, ih, r->lat + (size_t)i * r->dim);
            free(rgb);
        }
        progress(j, r->load[i] == ECL_OK);
    }
    return NULL;
}

void img_run_free(struct img_run *r) {
    free(r->lat);
    free(r->load);
    free(r->st);
    free(r->err);
    memset(r, 0, sizeof *r);
}

int img_run(const char *model, const struct fe_opts *fo, int threads, char *const *paths, int n,
            int quiet, struct img_run *r, char *err, size_t errlen) {
    memset(r, 0, sizeof *r);
    if (threads < 1) threads = 1;
    int nw = n < threads ? (n > 0 ? n : 1) : threads;
    struct fe_opts o = *fo;
    o.threads = threads / nw; /* spare threads: inside each image */
    struct worker *w = calloc((size_t)nw, sizeof *w);
    struct img_run_job j;
    memset(&j, 0, sizeof j);
    j.paths = paths, j.n = n, j.quiet = quiet, j.r = r;
    int rc = 0;
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return 1;
    }
    for (int k = 0; k < nw; k++)
        if (fe_open(model, &o, &w[k].fe, err, errlen)) {
            w[k].fe = NULL;
            rc = 1;
            break;
        }
    if (!rc) {
        r->dim = fe_dim(w[0].fe);
        r->lat = malloc((size_t)(n ? n : 1) * r->dim * sizeof *r->lat);
        r->load = calloc((size_t)(n ? n : 1), sizeof *r->load);
        r->st = calloc((size_t)(n ? n : 1), sizeof *r->st);
        r->err = calloc((size_t)(n ? n : 1), sizeof *r->err);
        if (!r->lat || !r->load || !r->st || !r->err) {
            snprintf(err, errlen, "out of memory");
            rc = 1;
        }
    }
    if (!rc) {
        pthread_mutex_init(&j.mu, NULL);
        j.t0 = ecl_port_now_ns();
        for (int k = 0; k < nw; k++) {
            w[k].job = &j;
            if (k > 0) w[k].started = pthread_create(&w[k].th, NULL, work, &w[k]) == 0;
        }
        work(&w[0]); /* the caller is worker 0; a worker that did not start costs only speed */
        for (int k = 1; k < nw; k++)
            if (w[k].started) pthread_join(w[k].th, NULL);
        pthread_mutex_destroy(&j.mu);
        if (atomic_load(&j.shown)) fprintf(stderr, "\n");
    }
    for (int k = 0; k < nw; k++)
        if (w[k].fe) fe_close(w[k].fe);
    free(w);
    if (rc) img_run_free(r);
    return rc;
}

/* tools/edgecl/cli_images_run.h - the backbone over a list of image files on several threads:
 * whole images in parallel, one feature extractor (interpreter + arena) per thread, results in
 * the list's order, identical to one thread's.
 *
 *     struct img_run r;
 *     if (img_run(model, &fo, threads, paths, n, quiet, &r, err, sizeof err)) ... err
 *     for (i = 0; i < n; i++) r.load[i] / r.err[i] / r.st[i] / r.lat + i * r.dim
 *     img_run_free(&r);
 *
 * threads workers (at most one per image); with fewer images than threads the spare threads go
 * to the kernels of each image (fo->threads). fo->threads is otherwise ignored. */
#ifndef EDGECL_CLI_IMAGES_RUN_H
#define EDGECL_CLI_IMAGES_RUN_H

#include <stdint.h>
#include "edgecl/status.h"
#include "fe.h"

#define IMG_RUN_ERR 512

struct img_run {
    uint32_t dim;          /* latent size (fe_dim) */
    float *lat;            /* n * dim */
    enum ecl_status *load; /* img_load_file's status per image (err[i]: its message) */
    enum ecl_status *st;   /* fe_extract_rgb8's status when the image loaded */
    char (*err)[IMG_RUN_ERR];
};

/* Returns 0, or 1 with a one-line message in err (the model could not be opened: the message
 * of fe_open; out of memory). A progress bar on stderr unless quiet. */
int img_run(const char *model, const struct fe_opts *fo, int threads, char *const *paths, int n,
            int quiet, struct img_run *r, char *err, size_t errlen);
void img_run_free(struct img_run *r);

#endif

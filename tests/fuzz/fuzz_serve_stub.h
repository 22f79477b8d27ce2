/* tests/fuzz/fuzz_serve_stub.h - what the demo-server harnesses (fuzz_http, fuzz_http_raw)
 * use instead of the real backbone and the generated web assets: an 8-d stand-in extractor
 * (fuzz_serve_extractor) and a one-page serve_assets table. Include it in one file per
 * executable (it defines serve_assets). */
#ifndef EDGECL_FUZZ_SERVE_STUB_H
#define EDGECL_FUZZ_SERVE_STUB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "serve_app.h"

#define DIM 8u

/* A stand-in backbone: per-channel means over 4 horizontal bands and a contrast term. */
static enum ecl_status fake_extract(void *ctx, const uint8_t *rgb, int w, int h, float *lat) {
    (void)ctx;
    double s[DIM] = {0};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *p = rgb + ((size_t)y * (size_t)w + (size_t)x) * 3;
            int band = (int)((int64_t)y * 4 / h);
            s[band] += p[0] + p[1] + p[2];
            s[4 + (p[0] > p[2])] += 1;
            s[6] += p[1];
        }
    double n = (double)w * (double)h;
    for (unsigned i = 0; i < DIM; i++)
        lat[i] = (float)(s[i] / (n * 255.0));
    lat[7] = (float)w / (float)(w + h);
    return ECL_OK;
}

/* serve_web_get's embedded page, normally generated from web/ at build time. */
struct serve_asset {
    const char *name;
    const unsigned char *data;
    size_t len;
};
static const unsigned char index_html[] = "<!doctype html><title>t</title>";
const struct serve_asset serve_assets[] = {{"index.html", index_html, sizeof index_html - 1},
                                           {0, 0, 0}};
const size_t serve_n_assets = 1;

static const struct serve_extractor fuzz_serve_extractor = {NULL, DIM, fake_extract, "fuzz", NULL};

/* Removes a demo state file and its companions (the writer's lock, the pending-samples
 * journal), so that one input's journal is never replayed into the next input's server. */
static inline void fuzz_unlink_state(const char *path) {
    char p[700];
    unlink(path);
    snprintf(p, sizeof p, "%s.pending", path);
    unlink(p);
    snprintf(p, sizeof p, "%s.lock", path);
    unlink(p);
}

#endif

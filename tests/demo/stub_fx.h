/* stub_fx.h - stand-in backbone for the demo server's tests: mean colour on a 4x4 grid (48-d).
 * Separates solid colours and coloured scenes, which is all the HTTP/state tests need. */
#ifndef DEMO_STUB_FX_H
#define DEMO_STUB_FX_H
#include <stdint.h>
#include "edgecl/status.h"

#define GRID 4
#define DIM (GRID * GRID * 3)

static enum ecl_status stub_extract(void *ctx, const uint8_t *rgb, int w, int h, float *lat) {
    (void)ctx;
    double acc[DIM] = {0};
    int cnt[GRID * GRID] = {0};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int cell = (y * GRID / h) * GRID + x * GRID / w;
            for (int c = 0; c < 3; c++)
                acc[cell * 3 + c] += rgb[((size_t)y * w + x) * 3 + c];
            cnt[cell]++;
        }
    for (int i = 0; i < DIM; i++)
        lat[i] = (float)(acc[i] / (cnt[i / 3] ? cnt[i / 3] : 1) / 255.0);
    return ECL_OK;
}

#endif

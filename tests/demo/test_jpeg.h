/* test_jpeg.h - one-colour test JPEGs for the demo server's tests (test_serve, test_serve_samples,
 * test_serve_persist). Include after <stdio.h> and <stdlib.h> (jpeglib.h uses FILE).
 *
 *     unsigned long len;
 *     unsigned char *jpg = test_jpeg(64, 48, 20, 85, 200, 30, 30, seed, &len);  // free() it
 */
#ifndef EDGECL_TEST_JPEG_H
#define EDGECL_TEST_JPEG_H
#include <jpeglib.h>

/* A w x h JPEG of colour (r, g, b) with uniform sensor noise in [-noise, noise] per pixel (an
 * LCG from seed; noise 0: none) at JPEG quality (0: libjpeg's default). */
static inline unsigned char *test_jpeg(int w, int h, int noise, int quality, int r, int g, int b,
                                       unsigned seed, unsigned long *len) {
    unsigned char *rgb = malloc((size_t)w * h * 3), *out = NULL;
    for (size_t i = 0; i < (size_t)w * h; i++) {
        seed = seed * 1103515245u + 12345u;
        int n = noise ? (int)((seed >> 16) % (unsigned)(2 * noise + 1)) - noise : 0;
        int v[3] = {r + n, g + n, b + n};
        for (int c = 0; c < 3; c++)
            rgb[i * 3 + c] = (unsigned char)(v[c] < 0 ? 0 : v[c] > 255 ? 255 : v[c]);
    }
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr je;
    ci.err = jpeg_std_error(&je);
    jpeg_create_compress(&ci);
    *len = 0;
    jpeg_mem_dest(&ci, &out, len);
    ci.image_width = (JDIMENSION)w;
    ci.image_height = (JDIMENSION)h;
    ci.input_components = 3;
    ci.in_color_space = JCS_RGB;
    jpeg_set_defaults(&ci);
    if (quality) jpeg_set_quality(&ci, quality, TRUE);
    jpeg_start_compress(&ci, TRUE);
    while (ci.next_scanline < ci.image_height) {
        JSAMPROW row = rgb + (size_t)ci.next_scanline * w * 3;
        jpeg_write_scanlines(&ci, &row, 1);
    }
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    free(rgb);
    return out;
}

#endif

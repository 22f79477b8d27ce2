/* tools/common/image.h - image decoding for the tools (PNG via libpng, JPEG via libjpeg-turbo,
 * BMP by bmp.c: uncompressed 24/32-bit and 8-bit paletted).
 * Output is always 8-bit RGB, row-major, malloc'd (free() it). Grey and palette images are
 * expanded, alpha is dropped. Errors go to err as one line.
 *
 * A JPEG that libjpeg can only decode with warnings (truncated or corrupt entropy data, which
 * libjpeg would pad with grey) is refused: ECL_EFORMAT, "bad JPEG: corrupt JPEG data (...)".
 * A side over the limit is ECL_ERANGE before any pixel buffer is allocated.
 *
 *     uint8_t *rgb; int w, h; char err[256];
 *     if (img_decode_mem_fit(buf, len, 4096, 448, &rgb, &w, &h, err, sizeof err)) ...;
 *     // w, h >= 448 (or the original size if smaller); a 4000x3000 JPEG comes out 1000x750
 */
#ifndef EDGECL_TOOLS_IMAGE_H
#define EDGECL_TOOLS_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/status.h"

/* The largest image side any edgecl tool accepts, the CLI and the web demo alike (docs/cli.md,
 * docs/demo.md): 4096 x 4096 RGB is 48 MB decoded; a backbone sees 224 x 224 anyway. A larger
 * image is refused (ECL_ERANGE, "image too large") from its header, before any pixel buffer. */
#define IMG_MAX_SIDE 4096

enum ecl_status img_load_file(const char *path, uint8_t **rgb, int *w, int *h, char *err,
                              size_t errlen);
enum ecl_status img_decode_mem(const void *buf, size_t len, uint8_t **rgb, int *w, int *h,
                               char *err, size_t errlen); /* PNG, JPEG or BMP by magic */
/* img_decode_mem for callers that only need about want_side pixels per side (a server feeding a
 * 224x224 backbone): refuses a side over max_side (ECL_ERANGE, max_side <= IMG_MAX_SIDE), and
 * decodes a JPEG at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling: several times faster and
 * anti-aliased) as long as both output sides stay >= want_side. want_side 0: full size. */
enum ecl_status img_decode_mem_fit(const void *buf, size_t len, int max_side, int want_side,
                                   uint8_t **rgb, int *w, int *h, char *err, size_t errlen);

#endif

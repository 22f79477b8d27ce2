/* tools/common/bmp.h - Windows BMP decoding for the tools (no library needed).
 * Supported: uncompressed 24-bit and 32-bit (BI_RGB, or BI_BITFIELDS with 8-bit masks), 8-bit
 * paletted; bottom-up (positive height) and top-down (negative height); header versions
 * BITMAPCOREHEADER (12 bytes) to BITMAPV5HEADER (124). Alpha is dropped. Anything else
 * (RLE/JPEG/PNG compression, 1/2/4/16 bits per pixel) is refused with a one-line reason.
 * Every offset and size is checked against the buffer before it is read; a side over max_side
 * is ECL_ERANGE before any allocation.
 *
 *     uint8_t *rgb; int w, h; char err[160];
 *     if (bmp_decode(buf, len, IMG_MAX_SIDE, &rgb, &w, &h, err, sizeof err)) puts(err);
 *     else { ... rgb[(y * w + x) * 3 + c], top row first ...; free(rgb); }
 */
#ifndef EDGECL_TOOLS_BMP_H
#define EDGECL_TOOLS_BMP_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/status.h"

/* 1 if buf starts like a BMP file ("BM"). */
int bmp_is_bmp(const void *buf, size_t len);
/* Output: w*h*3 bytes RGB8, top row first, malloc'd (free() it). Errors: ECL_EFORMAT (damaged
 * or truncated), ECL_EUNSUPPORTED (a valid variant we do not decode), ECL_ERANGE (too large),
 * ECL_EOOM; err gets "bad BMP: ..." / "unsupported BMP: ...". */
enum ecl_status bmp_decode(const void *buf, size_t len, int max_side, uint8_t **rgb, int *w, int *h,
                           char *err, size_t errlen);

#endif

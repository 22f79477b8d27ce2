/* tools/common/image.h - image decoding for the tools (PNG via libpng, JPEG via libjpeg-turbo).
 * Output is always 8-bit RGB, row-major, malloc'd (free() it). Grey and palette images are
 * expanded, alpha is dropped. Errors go to err as one line. */
#ifndef EDGECL_TOOLS_IMAGE_H
#define EDGECL_TOOLS_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/status.h"

#define IMG_MAX_SIDE 8192

enum ecl_status img_load_file(const char *path, uint8_t **rgb, int *w, int *h, char *err,
                              size_t errlen);
enum ecl_status img_decode_mem(const void *buf, size_t len, uint8_t **rgb, int *w, int *h,
                               char *err, size_t errlen); /* PNG or JPEG by magic */

#endif

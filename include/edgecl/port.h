/* edgecl/port.h - the platform layer: files, clocks, threads, logging.
 * The library proper (head, replay, learners, interpreter) never calls these; tools do.
 *
 *   ecl_port_save_atomic(path, buf, len): write path.tmp.<pid>, fsync it, rename over path,
 *     fsync the directory. On any failure the previous file at path is untouched and the temp
 *     file is removed. After a successful save, temp files of the same path left by writers
 *     that died mid-save (their pid no longer exists) are removed.
 *   ecl_port_read_file(path, &buf, &len): whole file into a malloc'd buffer (free() it).
 */
#ifndef EDGECL_PORT_H
#define EDGECL_PORT_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ecl_status ecl_port_save_atomic(const char *path, const void *buf, size_t len);
enum ecl_status ecl_port_read_file(const char *path, void **buf, size_t *len);
uint64_t ecl_port_now_ns(void);       /* monotonic clock */
size_t ecl_port_peak_rss_bytes(void); /* peak resident set size of the process, 0 if unknown */

#ifdef __cplusplus
}
#endif
#endif

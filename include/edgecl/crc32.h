/* edgecl/crc32.h - CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as used by zlib/PNG.
 *
 * Incremental: start from crc = 0 and feed the bytes in any number of pieces.
 *
 *     uint32_t c = ecl_crc32(0, hdr, hdr_len);
 *     c = ecl_crc32(c, body, body_len);        // == ecl_crc32(0, hdr||body, ...)
 *     // ecl_crc32(0, "123456789", 9) == 0xCBF43926
 */
#ifndef EDGECL_CRC32_H
#define EDGECL_CRC32_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint32_t ecl_crc32(uint32_t crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif

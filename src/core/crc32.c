/* CRC-32 (IEEE). Slicing-by-4 over a table built at compile time would need a 4 KiB constant
 * table in the source; we instead build the 256-entry table once, lazily, in static storage.
 * The table is a pure function of the polynomial, so a benign race between threads building it
 * writes identical values; we still publish it with a flag written after the table. */
#include "edgecl/crc32.h"

static uint32_t crc_table[256];
static volatile int crc_table_ready;

static void crc_build(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    crc_table_ready = 1;
}

uint32_t ecl_crc32(uint32_t crc, const void *data, size_t len) {
    const uint8_t *p = (const uint8_t *)data;
    if (!crc_table_ready) crc_build();
    crc = ~crc;
    for (size_t i = 0; i < len; i++)
        crc = crc_table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    return ~crc;
}

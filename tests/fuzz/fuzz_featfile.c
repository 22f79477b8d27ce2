/* tests/fuzz/fuzz_featfile.c - feature-file reader (tools/common/featfile.c) on arbitrary bytes.
 *
 * Input: byte 0 picks the format (bit 0 clear: binary .ecf, set: .csv) and, for binary, whether
 * the trailing CRC is recomputed first (bit 1, see fuzz_fix_crc); the rest is the file. The
 * reader only takes a path, so the bytes go through a per-process temp file.
 * Properties beyond "no crash, no leak, no UB":
 *  - on failure the error message is non-empty;
 *  - on success every label is >= -1, every value finite, n <= cap, names NUL-terminated;
 *  - binary round trip: writing what was read and reading it back gives identical records. */
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "featfile.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int csv = data[0] & 1;
    uint8_t *copy = malloc(size);
    FUZZ_CHECK(copy);
    memcpy(copy, data + 1, size - 1);
    if (!csv && (data[0] & 2)) fuzz_fix_crc(copy, size - 1);
    const char *path = fuzz_tmpfile("ff", csv ? ".csv" : ".ecf", copy, size - 1);
    free(copy);
    struct featfile ff;
    memset(&ff, 0, sizeof ff);
    char err[256] = "";
    enum ecl_status st = featfile_read(path, &ff, err, sizeof err);
    if (st != ECL_OK) {
        FUZZ_CHECK(err[0] != 0);
        unlink(path);
        return 0;
    }
    FUZZ_CHECK(ff.n <= ff.cap || ff.n == 0);
    FUZZ_CHECK(ff.dim > 0);
    for (uint32_t i = 0; i < ff.n; i++) {
        FUZZ_CHECK(ff.y[i] >= -1);
        for (uint32_t d = 0; d < ff.dim; d++)
            FUZZ_CHECK(isfinite(ff.x[(size_t)i * ff.dim + d]));
    }
    for (uint32_t i = 0; i < ff.n_names; i++)
        FUZZ_CHECK(memchr(ff.names[i], 0, FEATFILE_NAME_MAX) != NULL);

    /* Round trip through the binary format. */
    char path2[600];
    snprintf(path2, sizeof path2, "%s.rt.ecf", path);
    char err2[256] = "";
    FUZZ_CHECK(featfile_write(path2, &ff, err2, sizeof err2) == ECL_OK);
    struct featfile back;
    memset(&back, 0, sizeof back);
    if (featfile_read(path2, &back, err2, sizeof err2) != ECL_OK) {
        fprintf(stderr, "round trip read failed: %s\n", err2);
        abort();
    }
    FUZZ_CHECK(back.dim == ff.dim && back.n == ff.n && back.n_names == ff.n_names);
    FUZZ_CHECK(ff.n == 0 || !memcmp(back.y, ff.y, ff.n * sizeof *ff.y));
    FUZZ_CHECK(ff.n == 0 || !memcmp(back.x, ff.x, (size_t)ff.n * ff.dim * sizeof *ff.x));
    for (uint32_t i = 0; i < ff.n_names; i++)
        FUZZ_CHECK(!strcmp(back.names[i], ff.names[i]));
    featfile_free(&back);
    featfile_free(&ff);
    unlink(path2);
    unlink(path);
    return 0;
}

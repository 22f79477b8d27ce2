/* tests/fuzz/fuzz_state.c - learner state reader on arbitrary bytes:
 * ecl_learner_state_params -> ecl_learner_mem_size -> ecl_learner_init -> ecl_learner_state_read.
 *
 * Input: byte 0 is a mode (bit 0 set: make the image's length field (offset 8) and trailing CRC
 * consistent first, so mutations reach the section parsers), the rest is the state image.
 *
 * Properties beyond "no crash, no leak, no UB":
 *  - a refused image leaves the learner as it was (compared against a fresh learner's image);
 *  - an accepted image is usable: predict on a zero and a ramp vector works and gives a top class
 *    in -1..n_classes-1, and writing the state back gives exactly the bytes that were read
 *    (nothing half-loaded or silently defaulted);
 *  - params from a header never ask for absurd memory without an error (we cap at 64 MiB and
 *    treat larger, but valid, requests as uninteresting). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgecl/learner.h"
#include "fuzz_util.h"

#define MEM_CAP (64u << 20)

static int write_state(const struct ecl_learner *l, uint8_t **out, size_t *len) {
    size_t sz = 0, w = 0;
    if (ecl_learner_state_size(l, &sz) != ECL_OK) return -1;
    *out = malloc(sz ? sz : 1);
    FUZZ_CHECK(*out);
    if (ecl_learner_state_write(l, *out, sz, &w) != ECL_OK) {
        free(*out);
        return -1;
    }
    *len = w;
    return 0;
}

static void one(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *raw, size_t rsize) {
    if (rsize < 1) return 0;
    size_t size = rsize - 1;
    uint8_t *data = malloc(size ? size : 1); /* exact size: ASan sees overreads */
    FUZZ_CHECK(data);
    memcpy(data, raw + 1, size);
    if ((raw[0] & 1) && size >= 20) {
        for (int i = 0; i < 8; i++)
            data[8 + i] = (uint8_t)((uint64_t)size >> (8 * i));
        fuzz_fix_crc(data, size);
    }
    one(data, size);
    free(data);
    return 0;
}

static void one(const uint8_t *data, size_t size) {
    struct ecl_learner_params p;
    if (ecl_learner_state_params(data, size, &p) != ECL_OK) return;
    size_t need = 0;
    if (ecl_learner_mem_size(&p, &need) != ECL_OK || need > MEM_CAP) return;
    void *mem = malloc(need ? need : 1);
    FUZZ_CHECK(mem);
    struct ecl_learner *l = NULL;
    if (ecl_learner_init(&p, mem, need, &l) != ECL_OK) {
        free(mem);
        return;
    }
    uint8_t *before = NULL, *after = NULL;
    size_t before_len = 0, after_len = 0;
    FUZZ_CHECK(write_state(l, &before, &before_len) == 0);

    enum ecl_status st = ecl_learner_state_read(l, data, size);
    FUZZ_CHECK(write_state(l, &after, &after_len) == 0);
    if (st != ECL_OK) {
        /* Refused: the learner must be untouched. */
        FUZZ_CHECK(after_len == before_len && !memcmp(after, before, before_len));
    } else {
        FUZZ_CHECK(after_len == size && !memcmp(after, data, size));
        const struct ecl_learner_params *lp = ecl_learner_params(l);
        uint32_t dim = lp->dim, mc = lp->max_classes;
        float *x = calloc(dim, sizeof *x);
        float *scores = calloc(mc ? mc : 1, sizeof *scores);
        FUZZ_CHECK(x && scores);
        for (int pass = 0; pass < 2; pass++) {
            int32_t top = -2;
            if (ecl_learner_predict(l, x, scores, &top) == ECL_OK)
                FUZZ_CHECK(top >= -1 && top < (int32_t)mc);
            for (uint32_t d = 0; d < dim; d++)
                x[d] = (float)d / (float)dim - 0.5f;
        }
        for (uint32_t c = 0; c < mc && c < 64; c++) {
            const char *nm = ecl_learner_class_name(l, (int32_t)c);
            FUZZ_CHECK(nm && strlen(nm) < ECL_CLASS_NAME_MAX);
        }
        free(x);
        free(scores);
    }
    free(before);
    free(after);
    free(mem);
}

/* The demo's state container (demostate.h). A reader only: the CLI never writes the container
 * (learn on a demo state writes a plain learner state elsewhere, see docs/cli.md), so the
 * server stays the only writer of its two-learner file. */
#include "demostate.h"

#include <stdio.h>
#include <string.h>
#include "edgecl/crc32.h"

static uint32_t u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int demostate_is(const void *buf, size_t len) {
    return len >= 4 && !memcmp(buf, DEMOSTATE_MAGIC, 4);
}

enum ecl_status demostate_parse(const void *buf, size_t len, struct demostate *d, char *err,
                                size_t errlen) {
    const uint8_t *b = buf;
    memset(d, 0, sizeof *d);
    if (!demostate_is(buf, len)) {
        snprintf(err, errlen, "not an edgecl demo state (no ECLD magic)");
        return ECL_EFORMAT;
    }
    if (len < 28) {
        snprintf(err, errlen, "demo state is truncated");
        return ECL_ETRUNCATED;
    }
    if (u32(b + 4) != DEMOSTATE_VERSION) {
        snprintf(err, errlen, "demo state version %u, this edgecl reads version %u", u32(b + 4),
                 DEMOSTATE_VERSION);
        return ECL_EVERSION;
    }
    if (ecl_crc32(0, b, len - 4) != u32(b + len - 4)) {
        snprintf(err, errlen, "demo state is truncated or corrupted (CRC mismatch)");
        return ECL_ECORRUPT;
    }
    d->dim = u32(b + 8);
    d->max_classes = u32(b + 12);
    d->n_classes = u32(b + 16);
    d->rounds = u32(b + 20);
    size_t off = 24, end = len - 4;
    if (d->n_classes > d->max_classes || (end - off) / 36 < d->n_classes) {
        snprintf(err, errlen, "demo state: bad class table (%u of %u classes)", d->n_classes,
                 d->max_classes);
        return ECL_ECORRUPT;
    }
    off += (size_t)d->n_classes * 36;
    while (off < end) {
        if (d->n_learners == DEMOSTATE_MAX_LEARNERS || end - off < 12) {
            snprintf(err, errlen, "demo state: bad learner record %u", d->n_learners);
            return ECL_ECORRUPT;
        }
        uint32_t kind = u32(b + off);
        uint64_t ll = (uint64_t)u32(b + off + 4) | (uint64_t)u32(b + off + 8) << 32;
        off += 12;
        if (kind > ECL_LEARNER_NCM || ll > end - off) {
            snprintf(err, errlen, "demo state: bad learner record %u", d->n_learners);
            return ECL_ECORRUPT;
        }
        d->l[d->n_learners].kind = (enum ecl_learner_kind)kind;
        d->l[d->n_learners].img = b + off;
        d->l[d->n_learners++].len = (size_t)ll;
        off += (size_t)ll;
    }
    if (!d->n_learners) {
        snprintf(err, errlen, "demo state holds no learner");
        return ECL_ECORRUPT;
    }
    return ECL_OK;
}

const struct demostate_learner *demostate_find(const struct demostate *d,
                                               enum ecl_learner_kind kind) {
    for (uint32_t i = 0; i < d->n_learners; i++)
        if (d->l[i].kind == kind) return &d->l[i];
    return NULL;
}

void demostate_kinds(const struct demostate *d, char *buf, size_t len) {
    size_t o = 0;
    if (!len) return;
    buf[0] = 0;
    for (uint32_t i = 0; i < d->n_learners && o < len; i++) {
        int w =
            snprintf(buf + o, len - o, "%s%s", i ? ", " : "", ecl_learner_kind_name(d->l[i].kind));
        if (w > 0) o += (size_t)w;
    }
}

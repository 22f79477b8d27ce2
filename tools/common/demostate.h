/* tools/common/demostate.h - the web demo's state container ("ECLD"), read by the CLI (`info`,
 * `predict`, `learn` choose one of its learners with --learner) so that a model taught in the
 * browser can be used anywhere. One reader for the CLI and (when it adopts it) the server.
 *
 * Layout (little-endian; docs/demo.md, written by tools/edgecl/serve_app.c):
 *   0   char[4] "ECLD"   4 u32 version (1)   8 u32 dim   12 u32 max_classes
 *   16  u32 n_classes    20 u32 rounds
 *   24  n_classes x { char name[32] (NUL-padded); u32 trained }
 *       n_learners x { u32 kind (enum ecl_learner_kind); u64 len; len bytes: an ECLS learner
 *                      state image, the library's own format (ecl_learner_state_read) }
 *   end u32 CRC32 (IEEE) of every byte before it
 * Every length is checked against the buffer before use; learner images are not copied.
 *
 *     struct demostate d;
 *     if (demostate_parse(buf, len, &d, err, sizeof err)) ...;
 *     const struct demostate_learner *r = demostate_find(&d, ECL_LEARNER_REPLAY);
 *     ecl_learner_state_read(l, r->img, r->len);
 */
#ifndef EDGECL_TOOLS_DEMOSTATE_H
#define EDGECL_TOOLS_DEMOSTATE_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/learner.h"
#include "edgecl/status.h"

#define DEMOSTATE_MAGIC "ECLD"
#define DEMOSTATE_VERSION 1u
#define DEMOSTATE_MAX_LEARNERS 4

struct demostate_learner {
    enum ecl_learner_kind kind;
    const uint8_t *img; /* points into the parsed buffer */
    size_t len;
};

struct demostate {
    uint32_t dim, max_classes, n_classes, rounds;
    uint32_t n_learners;
    struct demostate_learner l[DEMOSTATE_MAX_LEARNERS];
};

/* 1 if buf starts with the container's magic. */
int demostate_is(const void *buf, size_t len);
/* ECL_OK, or EFORMAT/EVERSION/ECORRUPT/ETRUNCATED with a one-line reason in err. */
enum ecl_status demostate_parse(const void *buf, size_t len, struct demostate *d, char *err,
                                size_t errlen);
/* The learner of that kind, or NULL. */
const struct demostate_learner *demostate_find(const struct demostate *d,
                                               enum ecl_learner_kind kind);
/* "replay, naive" into buf: the kinds the container holds. */
void demostate_kinds(const struct demostate *d, char *buf, size_t len);

#endif

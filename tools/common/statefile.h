/* tools/common/statefile.h - the demo's state container ("ECLD"), read and written in one
 * place so that `edgecl serve`/`demo` and the CLI (`info`, `predict`, `learn`, `export`,
 * choosing a learner with --learner) agree on it. Pure byte handling: no allocation, no I/O,
 * no learner instances; the learner images inside are the standard ECLS format
 * (include/edgecl/learner.h), read with ecl_learner_state_params/_read.
 *
 * Layout (little-endian), docs/demo.md "State file":
 *   "ECLD" u32 version (1 or 2) u32 dim u32 max_classes u32 n_classes u32 rounds
 *   [v2: u32 flags]                       bit 0: learners hold training not in the samples
 *   n_classes x { char name[32] (NUL-padded); u32 samples_trained }
 *   [v2: u32 n_learners (1..STATEFILE_MAX_LEARNERS)]   v1: always 2 (replay, naive)
 *   n_learners x { u32 learner kind; u64 length; the learner's ECLS state image }
 *   [v2: u32 n_samples u32 thumb_side
 *        n_samples x { u32 id; u32 class; u32 round (1..rounds); dim f32; thumb_side^2 x RGB8 }]
 *   u32 CRC32 (IEEE) of all preceding bytes
 *
 * Reading (buf stays owned by the caller and must outlive sf):
 *
 *     struct statefile_class cls[STATEFILE_MAX_CLASSES];
 *     struct statefile sf;
 *     if (statefile_parse(buf, len, cls, &sf, err, sizeof err)) { puts(err); ... }
 *     int i = statefile_find_learner(&sf, ECL_LEARNER_REPLAY);      // -1: not in the file
 *     ecl_learner_state_params(sf.learners[i].img, sf.learners[i].len, &p);  // then _read
 *
 * Writing: fill a struct statefile (classes, learners[i].img/len, samples via a callback),
 * statefile_size() bytes, then statefile_write() (always version 2).
 */
#ifndef EDGECL_TOOLS_STATEFILE_H
#define EDGECL_TOOLS_STATEFILE_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/learner.h"
#include "edgecl/status.h"

#define STATEFILE_MAGIC "ECLD"
#define STATEFILE_VERSION 2u
#define STATEFILE_MAX_LEARNERS 4
#define STATEFILE_MAX_CLASSES 256
#define STATEFILE_FOREIGN 1u /* flags: learners hold training the samples do not cover */

struct statefile_class {
    char name[ECL_CLASS_NAME_MAX];
    uint32_t trained;
};

struct statefile_learner {
    uint32_t kind; /* enum ecl_learner_kind */
    const void *img;
    size_t len;
};

/* One kept sample (a trained latent and its thumbnail). */
struct statefile_sample {
    uint32_t id, cls, round;
    const float *x;       /* dim floats (write) */
    const uint8_t *thumb; /* thumb_side^2 x RGB8 (write; NULL: grey) */
};

struct statefile {
    uint32_t version, dim, max_classes, n_classes, rounds, flags;
    struct statefile_class *classes;
    uint32_t n_learners;
    struct statefile_learner learners[STATEFILE_MAX_LEARNERS];
    uint32_t n_samples, thumb_side;
    /* write: fills s with sample i (0 <= i < n_samples) */
    void (*sample)(void *ctx, uint32_t i, struct statefile_sample *s);
    void *sample_ctx;
    const uint8_t *sample_data; /* parse: the raw sample records (use statefile_sample_get) */
};

/* 1 if buf starts like a container (magic "ECLD"), else 0. */
int statefile_is_container(const void *buf, size_t len);
/* Checks magic, version, CRC, every length and class name; classes (room for
 * STATEFILE_MAX_CLASSES) receives the class table. err gets one line on failure. */
enum ecl_status statefile_parse(const void *buf, size_t len, struct statefile_class *classes,
                                struct statefile *sf, char *err, size_t errlen);
/* Index of the first learner of this kind, -1 if none. */
int statefile_find_learner(const struct statefile *sf, enum ecl_learner_kind kind);
/* Sample i of a parsed file: id, class, round, dim floats into x, thumbnail into thumb
 * (thumb_side^2*3 bytes; may be NULL). */
void statefile_sample_get(const struct statefile *sf, uint32_t i, uint32_t *id, uint32_t *cls,
                          uint32_t *round, float *x, uint8_t *thumb);
size_t statefile_size(const struct statefile *sf);
/* Writes the container (version 2) into buf; ECL_ERANGE if cap is too small. */
enum ecl_status statefile_write(const struct statefile *sf, void *buf, size_t cap, size_t *written);

#endif

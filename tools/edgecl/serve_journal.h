/* tools/edgecl/serve_journal.h - the demo server's pending samples survive a crash.
 *
 * The page acknowledges a captured frame ("pending") long before the next "Train" saves the
 * state file; without this a kill -9 or a power cut lost every acknowledged frame (issue 13,
 * finding 6). Each class added and each pending latent is appended to "<state>.pending" and
 * fdatasync'ed before the request is answered. The journal names the state file it extends
 * by the CRC32 of that file's bytes: after every successful save (or load) the journal is
 * rewritten (atomically) to hold just the samples still pending, based on the new file. On
 * start, a journal whose base matches the state file is replayed; one that does not (the
 * process died between saving the state and rewriting the journal: its samples were trained
 * and saved) is discarded. A torn last record (killed mid-append) is dropped.
 *
 * Layout (little-endian): "ECLP" u32 version=1 u32 dim u32 base_exists u32 base_crc, then
 * records { u32 type (1 class, 2 sample), u32 len, len bytes, u32 CRC32 of type+len+bytes }:
 * class: char name[32]; sample: u32 class id, dim f32, SERVE_THUMB_BYTES of RGB8 thumbnail
 * (records without the thumbnail, from before it existed, are still replayed).
 *
 *     struct serve_journal *j;
 *     serve_journal_open("demo.ecls", dim, base_exists, base_crc, &j, &cb, ctx, err, n);
 *     serve_journal_add_sample(j, id, latent, thumb);     // before answering the request
 *     serve_journal_rewrite(j, 1, crc_of_saved_file, &cb_list, ctx);   // after a save
 */
#ifndef EDGECL_SERVE_JOURNAL_H
#define EDGECL_SERVE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/status.h"

struct serve_journal;

/* Each sample keeps a small thumbnail for the page (centre square, RGB8). */
#define SERVE_THUMB_SIDE 32
#define SERVE_THUMB_BYTES (SERVE_THUMB_SIDE * SERVE_THUMB_SIDE * 3)

/* What the journal holds, handed back on replay and asked for on rewrite. */
struct serve_journal_cb {
    /* replay: a class was added (its id is the next one); 0 = applied */
    int (*add_class)(void *ctx, const char *name);
    /* replay: a pending sample (thumb: SERVE_THUMB_BYTES or NULL); 0 = applied */
    int (*add_sample)(void *ctx, uint32_t cls, const float *x, const uint8_t *thumb);
    /* rewrite: the i-th pending sample now (return 0 and fill *cls, *x, *thumb; 1 = no more) */
    int (*pending)(void *ctx, uint32_t i, uint32_t *cls, const float **x, const uint8_t **thumb);
};

/* Opens (creating or replaying) the journal of state_path. base_exists/base_crc: the state
 * file as loaded. *replayed receives the number of samples restored. */
enum ecl_status serve_journal_open(const char *state_path, uint32_t dim, int base_exists,
                                   uint32_t base_crc, const struct serve_journal_cb *cb, void *ctx,
                                   struct serve_journal **out, uint32_t *replayed, char *err,
                                   size_t errlen);
enum ecl_status serve_journal_add_class(struct serve_journal *j, const char *name);
enum ecl_status serve_journal_add_sample(struct serve_journal *j, uint32_t cls, const float *x,
                                         const uint8_t *thumb);
/* After the state file was replaced (base = the new file) or reloaded: the journal then holds
 * only what cb->pending lists. */
enum ecl_status serve_journal_rewrite(struct serve_journal *j, int base_exists, uint32_t base_crc,
                                      const struct serve_journal_cb *cb, void *ctx);
void serve_journal_close(struct serve_journal *j); /* NULL: no-op */

#endif

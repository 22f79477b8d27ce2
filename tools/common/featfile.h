/* tools/common/featfile.h - feature files: labelled latent vectors, the currency between
 * `edgecl extract` (writes them), `learn`, `predict`, `eval` and `bench-cl` (read them).
 *
 * Binary format (.ecf, all little-endian):
 *   0  char[4]  magic "ECLF"
 *   4  u32      version (1)
 *   8  u32      dim
 *  12  u32      n (records)
 *  16  u32      n_names (class-name table entries, may be 0)
 *  20  n_names x char[32]   class names, NUL-padded (index = label)
 *      n x { i32 label; f32 x[dim] }
 *  end u32      CRC32 (IEEE) of every byte before it
 * CSV format (.csv): one record per line, `label,x1,x2,...,xdim`; lines starting with '#' and a
 * header line whose first field is not a number are skipped. Labels are integers >= 0
 * (-1 = unlabelled, accepted only by predict).
 */
#ifndef EDGECL_TOOLS_FEATFILE_H
#define EDGECL_TOOLS_FEATFILE_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/learner.h"
#include "edgecl/status.h"

#define FEATFILE_NAME_MAX 32
/* Largest magnitude of a feature value: what the learners accept (ECL_LEARNER_MAX_ABS, 1e6).
 * Larger values are refused when read (with the CSV line and column) and when appended. */
#define FEATFILE_MAX_ABS ECL_LEARNER_MAX_ABS

struct featfile {
    uint32_t dim, n, cap;
    float *x;   /* n x dim */
    int32_t *y; /* n */
    uint32_t n_names;
    char (*names)[FEATFILE_NAME_MAX];
};

/* Reads .csv by extension, anything else as binary (magic checked). */
enum ecl_status featfile_read(const char *path, struct featfile *ff, char *err, size_t errlen);
/* Writes binary unless path ends in .csv; atomically (temp + fsync + rename). */
enum ecl_status featfile_write(const char *path, const struct featfile *ff, char *err,
                               size_t errlen);
/* Building a file in memory: init empty, append records, set names. */
void featfile_init(struct featfile *ff, uint32_t dim);
enum ecl_status featfile_append(struct featfile *ff, const float *x, int32_t y);
enum ecl_status featfile_set_name(struct featfile *ff, int32_t label, const char *name);
void featfile_free(struct featfile *ff);

#endif

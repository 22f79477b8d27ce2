/* tools/common/featfile.c - reading and writing feature files (see featfile.h for the format).
 *
 * Why it is written this way:
 * - Feature files come from other programs and other machines, so every number in a header is
 *   distrusted: dim and the name count are bounded, and the record count must match the file
 *   size exactly *before* anything is allocated. A forged header can therefore never make us
 *   allocate gigabytes or read past the end.
 * - The CRC is computed while streaming the file, so a flipped bit anywhere (header, names or
 *   data) is reported as corruption rather than silently producing wrong latents.
 * - The CRC lives here (a small table-driven IEEE CRC32) rather than in the library so that the
 *   tools do not depend on when the library grows its own; the polynomial is the same.
 * - Writing goes through ecl_port_save_atomic: a crash mid-write leaves the old file intact.
 * - CSV is for humans and other tools (numpy, spreadsheets). Class names, which the format
 *   has no column for, travel as comment lines `# class <label> <name>`; other readers skip
 *   them as comments.
 */
#define _POSIX_C_SOURCE 200809L
#include "featfile.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "edgecl/crc32.h"
#include "edgecl/learner.h"
#include "edgecl/port.h"

#define FF_MAGIC "ECLF"
#define FF_VERSION 1u
#define FF_HEADER 20u
#define FF_MAX_DIM (1u << 20)
#define FF_MAX_NAMES (1u << 16)
#define FF_MAX_LABEL (1 << 24)
#define FF_MAX_BYTES ((uint64_t)1 << 40) /* refuse absurd sizes before trusting them */

/* ------------------------------------------------------------------ helpers */
static void seterr(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static uint32_t rd_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static float rd_f32(const unsigned char *p) {
    uint32_t u = rd_u32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static void wr_f32(unsigned char *p, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    wr_u32(p, u);
}

static int ends_with_csv(const char *path) {
    size_t n = strlen(path);
    if (n < 4) return 0;
    const char *e = path + n - 4;
    return e[0] == '.' && (e[1] == 'c' || e[1] == 'C') && (e[2] == 's' || e[2] == 'S') &&
           (e[3] == 'v' || e[3] == 'V');
}

/* ------------------------------------------------------------------ in-memory building */
void featfile_init(struct featfile *ff, uint32_t dim) {
    memset(ff, 0, sizeof *ff);
    ff->dim = dim;
}

void featfile_free(struct featfile *ff) {
    if (!ff) return;
    free(ff->x);
    free(ff->y);
    free(ff->names);
    memset(ff, 0, sizeof *ff);
}

/* Grow to hold at least `need` records. */
static enum ecl_status ff_reserve(struct featfile *ff, uint32_t need) {
    if (need <= ff->cap) return ECL_OK;
    uint64_t cap = ff->cap ? (uint64_t)ff->cap * 2 : 64;
    if (cap < need) cap = need;
    if (cap > UINT32_MAX) cap = UINT32_MAX;
    uint64_t xbytes = cap * (uint64_t)ff->dim * sizeof(float);
    if (xbytes > SIZE_MAX / 2 || xbytes > FF_MAX_BYTES) return ECL_ERANGE;
    float *x = realloc(ff->x, xbytes ? (size_t)xbytes : 1);
    if (!x) return ECL_EOOM;
    ff->x = x;
    int32_t *y = realloc(ff->y, (size_t)cap * sizeof(int32_t));
    if (!y) return ECL_EOOM;
    ff->y = y;
    ff->cap = (uint32_t)cap;
    return ECL_OK;
}

enum ecl_status featfile_append(struct featfile *ff, const float *x, int32_t y) {
    if (!ff || !x || ff->dim == 0 || ff->dim > FF_MAX_DIM) return ECL_EINVAL;
    if (y < -1 || y > FF_MAX_LABEL) return ECL_ERANGE;
    for (uint32_t d = 0; d < ff->dim; d++) /* never write what no reader accepts */
        if (!(fabsf(x[d]) <= FEATFILE_MAX_ABS)) return ECL_ERANGE;
    if (ff->n == UINT32_MAX) return ECL_EFULL;
    enum ecl_status st = ff_reserve(ff, ff->n + 1);
    if (st) return st;
    memcpy(ff->x + (size_t)ff->n * ff->dim, x, ff->dim * sizeof(float));
    ff->y[ff->n++] = y;
    return ECL_OK;
}

enum ecl_status featfile_set_name(struct featfile *ff, int32_t label, const char *name) {
    if (!ff || !name || label < 0 || (uint32_t)label >= FF_MAX_NAMES) return ECL_EINVAL;
    if ((uint32_t)label >= ff->n_names) {
        uint32_t nn = (uint32_t)label + 1;
        char(*names)[FEATFILE_NAME_MAX] = realloc(ff->names, nn * sizeof *names);
        if (!names) return ECL_EOOM;
        memset(names + ff->n_names, 0, (nn - ff->n_names) * sizeof *names);
        ff->names = names;
        ff->n_names = nn;
    }
    memset(ff->names[label], 0, FEATFILE_NAME_MAX);
    strncpy(ff->names[label], name, FEATFILE_NAME_MAX - 1);
    return ECL_OK;
}

/* ------------------------------------------------------------------ binary */
static enum ecl_status read_binary(const char *path, struct featfile *ff, char *err,
                                   size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return errno == ENOENT ? ECL_ENOTFOUND : ECL_EIO;
    }
    enum ecl_status st = ECL_OK;
    unsigned char *rec = NULL;
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        seterr(err, errlen, "%s: not a regular file", path);
        st = ECL_EIO;
        goto out;
    }
    uint64_t fsize = (uint64_t)sb.st_size;
    unsigned char hdr[FF_HEADER];
    if (fsize < FF_HEADER + 4 || fread(hdr, 1, FF_HEADER, f) != FF_HEADER) {
        if (fsize >= 4 && fsize < FF_HEADER + 4) {
            /* Might be the start of a feature file or something else entirely. */
            unsigned char m[4];
            rewind(f);
            if (fread(m, 1, 4, f) == 4 && memcmp(m, FF_MAGIC, 4) == 0) {
                seterr(err, errlen, "%s: truncated feature file (%llu bytes)", path,
                       (unsigned long long)fsize);
                st = ECL_ETRUNCATED;
                goto out;
            }
        }
        seterr(err, errlen, "%s: not a feature file (too short; expected magic ECLF)", path);
        st = ECL_EFORMAT;
        goto out;
    }
    if (memcmp(hdr, FF_MAGIC, 4) != 0) {
        seterr(err, errlen, "%s: not a feature file (bad magic; expected ECLF or a .csv name)",
               path);
        st = ECL_EFORMAT;
        goto out;
    }
    uint32_t version = rd_u32(hdr + 4), dim = rd_u32(hdr + 8), n = rd_u32(hdr + 12),
             n_names = rd_u32(hdr + 16);
    if (version != FF_VERSION) {
        seterr(err, errlen, "%s: unsupported feature file version %u (this build reads %u)", path,
               version, FF_VERSION);
        st = ECL_EVERSION;
        goto out;
    }
    if (dim == 0 || dim > FF_MAX_DIM) {
        seterr(err, errlen, "%s: bad dimension %u (must be 1..%u)", path, dim, FF_MAX_DIM);
        st = ECL_ECORRUPT;
        goto out;
    }
    if (n_names > FF_MAX_NAMES) {
        seterr(err, errlen, "%s: bad class-name count %u (max %u)", path, n_names, FF_MAX_NAMES);
        st = ECL_ECORRUPT;
        goto out;
    }
    uint64_t recbytes = 4 + 4 * (uint64_t)dim;
    uint64_t expect =
        FF_HEADER + (uint64_t)n_names * FEATFILE_NAME_MAX + (uint64_t)n * recbytes + 4;
    if (fsize != expect) {
        seterr(err, errlen,
               "%s: size %llu bytes does not match header (dim %u, %u records, %u names -> "
               "%llu bytes): %s",
               path, (unsigned long long)fsize, dim, n, n_names, (unsigned long long)expect,
               fsize < expect ? "truncated" : "trailing garbage or corrupt header");
        st = fsize < expect ? ECL_ETRUNCATED : ECL_ECORRUPT;
        goto out;
    }
    if ((uint64_t)n * dim * sizeof(float) > SIZE_MAX / 2) {
        seterr(err, errlen, "%s: too large for this machine", path);
        st = ECL_ERANGE;
        goto out;
    }

    featfile_init(ff, dim);
    uint32_t crc = ecl_crc32(0, hdr, FF_HEADER);
    if (n_names) {
        ff->names = calloc(n_names, FEATFILE_NAME_MAX);
        if (!ff->names) {
            st = ECL_EOOM;
            goto nomem;
        }
        ff->n_names = n_names;
        if (fread(ff->names, FEATFILE_NAME_MAX, n_names, f) != n_names) goto ioerr;
        crc = ecl_crc32(crc, ff->names, (size_t)n_names * FEATFILE_NAME_MAX);
        for (uint32_t i = 0; i < n_names; i++)
            ff->names[i][FEATFILE_NAME_MAX - 1] = 0;
    }
    if (n) {
        st = ff_reserve(ff, n);
        if (st) goto nomem;
    }
    rec = malloc((size_t)recbytes);
    if (!rec) {
        st = ECL_EOOM;
        goto nomem;
    }
    int bad_label = 0;
    uint32_t bad_at = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (fread(rec, 1, (size_t)recbytes, f) != recbytes) goto ioerr;
        crc = ecl_crc32(crc, rec, (size_t)recbytes);
        int32_t y = (int32_t)rd_u32(rec);
        if ((y < -1 || y > FF_MAX_LABEL) && !bad_label) {
            bad_label = 1;
            bad_at = i;
        }
        ff->y[i] = y;
        float *x = ff->x + (size_t)i * dim;
        for (uint32_t d = 0; d < dim; d++)
            x[d] = rd_f32(rec + 4 + 4 * (size_t)d);
    }
    unsigned char tail[4];
    if (fread(tail, 1, 4, f) != 4) goto ioerr;
    if (rd_u32(tail) != crc) {
        seterr(err, errlen, "%s: CRC mismatch (stored %08x, computed %08x): file is corrupt", path,
               rd_u32(tail), crc);
        st = ECL_ECORRUPT;
        featfile_free(ff);
        goto out;
    }
    if (bad_label) {
        seterr(err, errlen, "%s: record %u has invalid label %d (must be -1..%d)", path, bad_at,
               ff->y[bad_at], FF_MAX_LABEL);
        st = ECL_ECORRUPT;
        featfile_free(ff);
        goto out;
    }
    for (uint64_t i = 0; i < (uint64_t)n * dim; i++) {
        if (!isfinite(ff->x[i])) {
            seterr(err, errlen, "%s: record %llu has a non-finite value (NaN/Inf)", path,
                   (unsigned long long)(i / dim));
            st = ECL_ECORRUPT;
            featfile_free(ff);
            goto out;
        }
        if (fabsf(ff->x[i]) > FEATFILE_MAX_ABS) {
            seterr(err, errlen,
                   "%s: record %llu, value %llu is %g, beyond the supported magnitude %g", path,
                   (unsigned long long)(i / dim), (unsigned long long)(i % dim + 1),
                   (double)ff->x[i], (double)FEATFILE_MAX_ABS);
            st = ECL_ERANGE;
            featfile_free(ff);
            goto out;
        }
    }
    ff->n = n;
    goto out;

ioerr:
    seterr(err, errlen, "%s: read error or unexpected end of file", path);
    st = ECL_EIO;
    featfile_free(ff);
    goto out;
nomem:
    seterr(err, errlen, "%s: out of memory (dim %u, %u records)", path, dim, n);
    featfile_free(ff);
out:
    free(rec);
    fclose(f);
    return st;
}

static enum ecl_status write_binary(const char *path, const struct featfile *ff, char *err,
                                    size_t errlen) {
    uint64_t recbytes = 4 + 4 * (uint64_t)ff->dim;
    uint64_t total =
        FF_HEADER + (uint64_t)ff->n_names * FEATFILE_NAME_MAX + (uint64_t)ff->n * recbytes + 4;
    if (total > SIZE_MAX / 2) {
        seterr(err, errlen, "%s: file would be too large", path);
        return ECL_ERANGE;
    }
    unsigned char *buf = malloc((size_t)total);
    if (!buf) {
        seterr(err, errlen, "%s: out of memory", path);
        return ECL_EOOM;
    }
    unsigned char *p = buf;
    memcpy(p, FF_MAGIC, 4);
    wr_u32(p + 4, FF_VERSION);
    wr_u32(p + 8, ff->dim);
    wr_u32(p + 12, ff->n);
    wr_u32(p + 16, ff->n_names);
    p += FF_HEADER;
    for (uint32_t i = 0; i < ff->n_names; i++) {
        memset(p, 0, FEATFILE_NAME_MAX);
        strncpy((char *)p, ff->names[i], FEATFILE_NAME_MAX - 1);
        p += FEATFILE_NAME_MAX;
    }
    for (uint32_t i = 0; i < ff->n; i++) {
        wr_u32(p, (uint32_t)ff->y[i]);
        const float *x = ff->x + (size_t)i * ff->dim;
        for (uint32_t d = 0; d < ff->dim; d++)
            wr_f32(p + 4 + 4 * (size_t)d, x[d]);
        p += recbytes;
    }
    wr_u32(p, ecl_crc32(0, buf, (size_t)(p - buf)));
    enum ecl_status st = ecl_port_save_atomic(path, buf, (size_t)total);
    free(buf);
    if (st) seterr(err, errlen, "cannot write: %s", ecl_port_error());
    return st;
}

/* ------------------------------------------------------------------ CSV */
static int is_blank(const char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return *s == 0;
}

/* Parses "# class <label> <name>" comment lines (our own extension). */
static void csv_class_comment(struct featfile *ff, const char *line) {
    long label;
    char name[FEATFILE_NAME_MAX];
    int used = 0;
    if (sscanf(line, "# class %ld %n", &label, &used) != 1 || used <= 0) return;
    const char *s = line + used;
    size_t k = 0;
    while (s[k] && s[k] != '\n' && s[k] != '\r' && k < FEATFILE_NAME_MAX - 1) {
        name[k] = s[k];
        k++;
    }
    name[k] = 0;
    if (label >= 0 && label < (long)FF_MAX_NAMES && k > 0)
        (void)featfile_set_name(ff, (int32_t)label, name);
}

static enum ecl_status read_csv(const char *path, struct featfile *ff, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return errno == ENOENT ? ECL_ENOTFOUND : ECL_EIO;
    }
    enum ecl_status st = ECL_OK;
    char *line = NULL;
    size_t linecap = 0;
    float *row = NULL;
    uint32_t rowcap = 0;
    unsigned long lineno = 0;
    int seen_data = 0;
    featfile_init(ff, 0);
    ssize_t len;
    while ((len = getline(&line, &linecap, f)) >= 0) {
        lineno++;
        if (line[0] == '#') {
            csv_class_comment(ff, line);
            continue;
        }
        if (is_blank(line)) continue;
        /* Label. */
        char *s = line, *end;
        while (*s == ' ' || *s == '\t')
            s++;
        errno = 0;
        long label = strtol(s, &end, 10);
        if (end == s) {
            if (!seen_data && ff->n == 0) { /* header line */
                seen_data = 1;
                continue;
            }
            seterr(err, errlen, "%s:%lu: expected an integer label", path, lineno);
            st = ECL_EFORMAT;
            goto fail;
        }
        seen_data = 1;
        while (*end == ' ' || *end == '\t')
            end++;
        if (*end != ',' && !is_blank(end)) {
            seterr(err, errlen, "%s:%lu: label must be an integer", path, lineno);
            st = ECL_EFORMAT;
            goto fail;
        }
        if (errno || label < -1 || label > FF_MAX_LABEL) {
            seterr(err, errlen, "%s:%lu: label %ld out of range (-1..%d)", path, lineno, label,
                   FF_MAX_LABEL);
            st = ECL_ERANGE;
            goto fail;
        }
        /* Values. */
        uint32_t k = 0;
        s = end;
        while (*s == ',') {
            s++;
            errno = 0;
            float v = strtof(s, &end);
            if (end == s) {
                seterr(err, errlen, "%s:%lu: value %u is not a number", path, lineno, k + 1);
                st = ECL_EFORMAT;
                goto fail;
            }
            if (!isfinite(v) && errno != ERANGE) {
                seterr(err, errlen, "%s:%lu: value %u is not finite", path, lineno, k + 1);
                st = ECL_EFORMAT;
                goto fail;
            }
            if (!(fabsf(v) <= FEATFILE_MAX_ABS)) { /* also what overflowed float: 1e39 */
                int n0 = (int)strspn(s, " \t"), w = (int)strcspn(s + n0, ", \t\r\n");
                seterr(err, errlen,
                       "%s:%lu: column %u (value %u) is %.*s, beyond the supported magnitude %g",
                       path, lineno, k + 2, k + 1, w > 40 ? 40 : w, s + n0,
                       (double)FEATFILE_MAX_ABS);
                st = ECL_ERANGE;
                goto fail;
            }
            if (k >= FF_MAX_DIM) {
                seterr(err, errlen, "%s:%lu: more than %u values", path, lineno, FF_MAX_DIM);
                st = ECL_ERANGE;
                goto fail;
            }
            if (k >= rowcap) {
                uint32_t nc = rowcap ? rowcap * 2 : 256;
                float *r = realloc(row, nc * sizeof(float));
                if (!r) {
                    st = ECL_EOOM;
                    seterr(err, errlen, "%s: out of memory", path);
                    goto fail;
                }
                row = r;
                rowcap = nc;
            }
            row[k++] = v;
            s = end;
            while (*s == ' ' || *s == '\t')
                s++;
        }
        if (!is_blank(s)) {
            seterr(err, errlen, "%s:%lu: unexpected text after value %u", path, lineno, k);
            st = ECL_EFORMAT;
            goto fail;
        }
        if (k == 0) {
            seterr(err, errlen, "%s:%lu: record has no values", path, lineno);
            st = ECL_EFORMAT;
            goto fail;
        }
        if (ff->dim == 0) ff->dim = k;
        if (k != ff->dim) {
            seterr(err, errlen, "%s:%lu: %u values, but earlier records have %u", path, lineno, k,
                   ff->dim);
            st = ECL_EFORMAT;
            goto fail;
        }
        st = featfile_append(ff, row, (int32_t)label);
        if (st) {
            seterr(err, errlen, "%s:%lu: %s", path, lineno, ecl_status_str(st));
            goto fail;
        }
    }
    if (ferror(f)) {
        seterr(err, errlen, "%s: read error", path);
        st = ECL_EIO;
        goto fail;
    }
    if (ff->n == 0) {
        seterr(err, errlen, "%s: no records", path);
        st = ECL_EFORMAT;
        goto fail;
    }
    free(line);
    free(row);
    fclose(f);
    return ECL_OK;
fail:
    free(line);
    free(row);
    fclose(f);
    featfile_free(ff);
    return st;
}

static enum ecl_status write_csv(const char *path, const struct featfile *ff, char *err,
                                 size_t errlen) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) {
        seterr(err, errlen, "%s: out of memory", path);
        return ECL_EOOM;
    }
    fprintf(m, "# edgecl features: dim %u, %u records; label,x1..x%u\n", ff->dim, ff->n, ff->dim);
    for (uint32_t i = 0; i < ff->n_names; i++)
        if (ff->names[i][0]) fprintf(m, "# class %u %.31s\n", i, ff->names[i]);
    for (uint32_t i = 0; i < ff->n; i++) {
        fprintf(m, "%d", ff->y[i]);
        const float *x = ff->x + (size_t)i * ff->dim;
        for (uint32_t d = 0; d < ff->dim; d++)
            fprintf(m, ",%.9g", x[d]); /* %.9g round-trips float32 exactly */
        fputc('\n', m);
    }
    if (fclose(m) != 0 || !buf) {
        free(buf);
        seterr(err, errlen, "%s: out of memory", path);
        return ECL_EOOM;
    }
    enum ecl_status st = ecl_port_save_atomic(path, buf, len);
    free(buf);
    if (st) seterr(err, errlen, "cannot write: %s", ecl_port_error());
    return st;
}

/* ------------------------------------------------------------------ public */
enum ecl_status featfile_read(const char *path, struct featfile *ff, char *err, size_t errlen) {
    if (err && errlen) err[0] = 0;
    if (!path || !ff) {
        seterr(err, errlen, "featfile_read: invalid argument");
        return ECL_EINVAL;
    }
    memset(ff, 0, sizeof *ff);
    return ends_with_csv(path) ? read_csv(path, ff, err, errlen)
                               : read_binary(path, ff, err, errlen);
}

enum ecl_status featfile_write(const char *path, const struct featfile *ff, char *err,
                               size_t errlen) {
    if (err && errlen) err[0] = 0;
    if (!path || !ff || ff->dim == 0 || ff->dim > FF_MAX_DIM || (ff->n && (!ff->x || !ff->y)) ||
        (ff->n_names && !ff->names)) {
        seterr(err, errlen, "featfile_write: invalid feature set");
        return ECL_EINVAL;
    }
    return ends_with_csv(path) ? write_csv(path, ff, err, errlen)
                               : write_binary(path, ff, err, errlen);
}

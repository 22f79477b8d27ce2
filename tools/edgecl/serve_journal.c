/* serve_journal.c - append-only journal of the demo's pending samples (see serve_journal.h).
 *
 * Why append + fdatasync per sample rather than rewriting a file: a capture session adds
 * frames at camera speed, and rewriting all pending latents each time would be quadratic.
 * One record is one write() of a few KB and one fdatasync (~1 ms on a local disk, next to a
 * 10-40 ms backbone run per frame). Every record carries its own CRC, so a record torn by a
 * kill is recognised and dropped together with anything after it. */
#define _POSIX_C_SOURCE 200809L
#include "serve_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edgecl/crc32.h"
#include "edgecl/learner.h"
#include "edgecl/port.h"

#define J_MAGIC "ECLP"
#define J_VERSION 1u
#define J_HDR 20u
#define T_CLASS 1u
#define T_SAMPLE 2u

struct serve_journal {
    char *path;
    int fd;
    uint32_t dim;
};

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void header(uint8_t *h, uint32_t dim, int base_exists, uint32_t base_crc) {
    memcpy(h, J_MAGIC, 4);
    put32(h + 4, J_VERSION);
    put32(h + 8, dim);
    put32(h + 12, base_exists ? 1u : 0u);
    put32(h + 16, base_exists ? base_crc : 0u);
}

/* A record into b (room for 12 + len bytes); returns its size. */
static size_t record(uint8_t *b, uint32_t type, const void *payload, uint32_t len) {
    put32(b, type);
    put32(b + 4, len);
    memcpy(b + 8, payload, len);
    put32(b + 8 + len, ecl_crc32(0, b, 8 + (size_t)len));
    return 12 + (size_t)len;
}

static size_t sample_payload(uint8_t *p, uint32_t dim, uint32_t cls, const float *x,
                             const uint8_t *thumb) {
    put32(p, cls);
    for (uint32_t d = 0; d < dim; d++) {
        uint32_t u;
        memcpy(&u, &x[d], 4);
        put32(p + 4 + 4 * (size_t)d, u);
    }
    if (thumb)
        memcpy(p + 4 + 4 * (size_t)dim, thumb, SERVE_THUMB_BYTES);
    else
        memset(p + 4 + 4 * (size_t)dim, 128, SERVE_THUMB_BYTES);
    return 4 + 4 * (size_t)dim + SERVE_THUMB_BYTES;
}

static enum ecl_status reopen(struct serve_journal *j) {
    if (j->fd >= 0) close(j->fd);
    j->fd = open(j->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    return j->fd >= 0 ? ECL_OK : ECL_EIO;
}

/* Replays the records of buf (a journal matching the base); returns the length of the valid
 * prefix. */
static size_t replay(struct serve_journal *j, const uint8_t *buf, size_t len,
                     const struct serve_journal_cb *cb, void *ctx, uint32_t *replayed) {
    size_t off = J_HDR;
    float *x = malloc(sizeof(float) * j->dim);
    if (!x) return off;
    while (len - off >= 12) {
        uint32_t type = get32(buf + off), rl = get32(buf + off + 4);
        if (rl > len - off - 12) break;
        if (ecl_crc32(0, buf + off, 8 + (size_t)rl) != get32(buf + off + 8 + rl)) break;
        const uint8_t *p = buf + off + 8;
        if (type == T_CLASS && rl == ECL_CLASS_NAME_MAX && memchr(p, 0, rl)) {
            if (cb->add_class(ctx, (const char *)p)) break;
        } else if (type == T_SAMPLE &&
                   (rl == 4 + 4 * j->dim || rl == 4 + 4 * j->dim + SERVE_THUMB_BYTES)) {
            for (uint32_t d = 0; d < j->dim; d++) {
                uint32_t u = get32(p + 4 + 4 * (size_t)d);
                memcpy(&x[d], &u, 4);
            }
            /* records of journals written before thumbnails existed have none */
            const uint8_t *thumb = rl > 4 + 4 * j->dim ? p + 4 + 4 * (size_t)j->dim : NULL;
            if (cb->add_sample(ctx, get32(p), x, thumb)) break;
            (*replayed)++;
        } else {
            break;
        }
        off += 12 + (size_t)rl;
    }
    free(x);
    return off;
}

enum ecl_status serve_journal_open(const char *state_path, uint32_t dim, int base_exists,
                                   uint32_t base_crc, const struct serve_journal_cb *cb, void *ctx,
                                   struct serve_journal **out, uint32_t *replayed, char *err,
                                   size_t errlen) {
    *out = NULL;
    *replayed = 0;
    struct serve_journal *j = calloc(1, sizeof *j);
    size_t n = strlen(state_path) + 9;
    if (j) j->path = malloc(n);
    if (!j || !j->path) {
        free(j);
        snprintf(err, errlen, "out of memory");
        return ECL_EOOM;
    }
    snprintf(j->path, n, "%s.pending", state_path);
    j->fd = -1;
    j->dim = dim;
    void *buf = NULL;
    size_t len = 0;
    enum ecl_status st = ecl_port_read_file(j->path, &buf, &len);
    if (st != ECL_OK && st != ECL_ENOTFOUND) {
        snprintf(err, errlen, "cannot read the pending samples: %s", ecl_port_error());
        free(j->path);
        free(j);
        return st;
    }
    uint8_t want[J_HDR];
    header(want, dim, base_exists, base_crc);
    size_t valid = 0;
    if (st == ECL_OK && len >= J_HDR && !memcmp(buf, want, J_HDR))
        valid = replay(j, buf, len, cb, ctx, replayed);
    if (valid == 0) {
        /* none, or made for another version of the state file: start afresh */
        st = ecl_port_save_atomic(j->path, want, J_HDR);
    } else if (valid < len) {
        /* a torn last record: keep the valid prefix */
        st = ecl_port_save_atomic(j->path, buf, valid);
    } else {
        st = ECL_OK;
    }
    free(buf);
    if (st == ECL_OK) st = reopen(j);
    if (st != ECL_OK) {
        snprintf(err, errlen, "cannot write the pending samples: %s",
                 ecl_port_error()[0] ? ecl_port_error() : strerror(errno));
        serve_journal_close(j);
        return st;
    }
    *out = j;
    return ECL_OK;
}

static enum ecl_status append(struct serve_journal *j, const uint8_t *b, size_t n) {
    if (!j) return ECL_OK; /* no state file: nothing is kept */
    if (j->fd < 0) return ECL_EIO;
    while (n) {
        ssize_t w = write(j->fd, b, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return ECL_EIO;
        b += w;
        n -= (size_t)w;
    }
    return fdatasync(j->fd) == 0 ? ECL_OK : ECL_EIO;
}

enum ecl_status serve_journal_add_class(struct serve_journal *j, const char *name) {
    uint8_t p[ECL_CLASS_NAME_MAX] = {0}, b[12 + ECL_CLASS_NAME_MAX];
    size_t k = strlen(name);
    memcpy(p, name, k < sizeof p - 1 ? k : sizeof p - 1);
    return append(j, b, record(b, T_CLASS, p, sizeof p));
}

enum ecl_status serve_journal_add_sample(struct serve_journal *j, uint32_t cls, const float *x,
                                         const uint8_t *thumb) {
    if (!j) return ECL_OK;
    size_t pl = 4 + 4 * (size_t)j->dim + SERVE_THUMB_BYTES;
    uint8_t *b = malloc(12 + 2 * pl);
    if (!b) return ECL_EOOM;
    uint8_t *p = b + 12 + pl;
    sample_payload(p, j->dim, cls, x, thumb);
    enum ecl_status st = append(j, b, record(b, T_SAMPLE, p, (uint32_t)pl));
    free(b);
    return st;
}

enum ecl_status serve_journal_rewrite(struct serve_journal *j, int base_exists, uint32_t base_crc,
                                      const struct serve_journal_cb *cb, void *ctx) {
    if (!j) return ECL_OK;
    size_t pl = 4 + 4 * (size_t)j->dim + SERVE_THUMB_BYTES, n = 0, cap = J_HDR;
    uint32_t cls;
    const float *x;
    const uint8_t *thumb;
    while (!cb->pending(ctx, (uint32_t)n, &cls, &x, &thumb))
        n++;
    cap += n * (12 + pl);
    uint8_t *b = malloc(cap), *tmp = malloc(pl);
    if (!b || !tmp) {
        free(b);
        free(tmp);
        return ECL_EOOM;
    }
    header(b, j->dim, base_exists, base_crc);
    size_t off = J_HDR;
    for (uint32_t i = 0; i < n && !cb->pending(ctx, i, &cls, &x, &thumb); i++) {
        sample_payload(tmp, j->dim, cls, x, thumb);
        off += record(b + off, T_SAMPLE, tmp, (uint32_t)pl);
    }
    enum ecl_status st = ecl_port_save_atomic(j->path, b, off);
    free(b);
    free(tmp);
    if (st == ECL_OK) st = reopen(j);
    return st;
}

void serve_journal_close(struct serve_journal *j) {
    if (!j) return;
    if (j->fd >= 0) close(j->fd);
    free(j->path);
    free(j);
}

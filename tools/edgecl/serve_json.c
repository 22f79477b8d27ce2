/* serve_json.c - the demo server's JSON: a growable writer for responses and a small, strict,
 * validating reader for request bodies. Request bodies are tiny ({"name": "..."}), so the
 * reader walks the whole text once, checks it is well-formed JSON (depth-limited, so hostile
 * input cannot blow the stack; strings must be valid UTF-8, as RFC 8259 requires, so nothing
 * malformed reaches a class name or a response) and picks out one top-level string member. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "serve_app.h"

void jb_init(struct jbuf *b) {
    memset(b, 0, sizeof *b);
}

static int jb_reserve(struct jbuf *b, size_t extra) {
    if (b->oom) return -1;
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void jb_puts(struct jbuf *b, const char *s) {
    size_t n = strlen(s);
    if (jb_reserve(b, n)) return;
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

void jb_printf(struct jbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || jb_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void jb_str(struct jbuf *b, const char *s) {
    jb_puts(b, "\"");
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"')
            jb_puts(b, "\\\"");
        else if (*c == '\\')
            jb_puts(b, "\\\\");
        else if (*c == '\n')
            jb_puts(b, "\\n");
        else if (*c < 0x20 || *c == 0x7f)
            jb_printf(b, "\\u%04x", *c);
        else {
            char t[2] = {(char)*c, 0};
            jb_puts(b, t);
        }
    }
    jb_puts(b, "\"");
}

/* ---------------------------------------------------------------- reader */

struct jr {
    const char *p, *end, *start;
    char *err;
    size_t errlen;
    int failed;
};

static int jr_fail(struct jr *r, const char *what) {
    if (!r->failed)
        snprintf(r->err, r->errlen, "bad JSON: %s at byte %zu", what, (size_t)(r->p - r->start));
    r->failed = 1;
    return -1;
}

static void jr_ws(struct jr *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static void put_utf8(char *out, size_t outlen, size_t *o, unsigned cp) {
    char t[4];
    size_t n;
    if (cp < 0x80) {
        t[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        t[0] = (char)(0xC0 | (cp >> 6));
        t[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        t[0] = (char)(0xE0 | (cp >> 12));
        t[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        t[0] = (char)(0xF0 | (cp >> 18));
        t[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        t[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        t[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    if (out && *o + n < outlen) memcpy(out + *o, t, n);
    *o += n;
}

static int hex4(const char *p, unsigned *v) {
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        *v <<= 4;
        if (c >= '0' && c <= '9')
            *v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            *v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            *v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    return 0;
}

/* Length of the well-formed UTF-8 sequence at p (lead byte >= 0x80), 0 if it is not one:
 * no overlong forms, no surrogates (U+D800..DFFF), nothing above U+10FFFF. */
size_t utf8_seq_len(const unsigned char *p, size_t avail) {
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else
        return 0;
    if (avail < n || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    return n;
}

/* Reads a string; if out != NULL stores it (truncated to outlen-1, NUL-terminated). *n gets the
 * full decoded length so callers can reject over-long values. */
static int jr_string(struct jr *r, char *out, size_t outlen, size_t *n) {
    size_t o = 0;
    if (r->p >= r->end || *r->p != '"') return jr_fail(r, "expected string");
    r->p++;
    for (;;) {
        if (r->p >= r->end) return jr_fail(r, "unterminated string");
        unsigned char c = (unsigned char)*r->p++;
        if (c == '"') break;
        if (c < 0x20) return jr_fail(r, "control character in string");
        if (c >= 0x80) {
            size_t k = utf8_seq_len((const unsigned char *)r->p - 1, (size_t)(r->end - r->p) + 1);
            if (!k) {
                r->p--;
                return jr_fail(r, "invalid UTF-8 in string");
            }
            for (size_t i = 0; i < k; i++) {
                if (out && o + 1 < outlen) out[o] = r->p[(ptrdiff_t)i - 1];
                o++;
            }
            r->p += k - 1;
            continue;
        }
        if (c != '\\') {
            if (out && o + 1 < outlen) out[o] = (char)c;
            o++;
            continue;
        }
        if (r->p >= r->end) return jr_fail(r, "unterminated escape");
        char e = *r->p++;
        unsigned cp;
        switch (e) {
        case '"':
            cp = '"';
            break;
        case '\\':
            cp = '\\';
            break;
        case '/':
            cp = '/';
            break;
        case 'b':
            cp = '\b';
            break;
        case 'f':
            cp = '\f';
            break;
        case 'n':
            cp = '\n';
            break;
        case 'r':
            cp = '\r';
            break;
        case 't':
            cp = '\t';
            break;
        case 'u':
            if (r->end - r->p < 4 || hex4(r->p, &cp)) return jr_fail(r, "bad \\u escape");
            r->p += 4;
            if (cp >= 0xD800 && cp < 0xDC00) { /* surrogate pair */
                unsigned lo;
                if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' || hex4(r->p + 2, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return jr_fail(r, "bad surrogate pair");
                r->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                return jr_fail(r, "bad surrogate pair");
            }
            if (cp == 0) return jr_fail(r, "NUL in string");
            break;
        default:
            return jr_fail(r, "bad escape");
        }
        put_utf8(out, outlen, &o, cp);
    }
    if (out && outlen) out[o < outlen ? o : outlen - 1] = 0;
    if (n) *n = o;
    return 0;
}

static int jr_lit(struct jr *r, const char *lit) {
    size_t n = strlen(lit);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, lit, n)) return jr_fail(r, "bad literal");
    r->p += n;
    return 0;
}

static int jr_number(struct jr *r) {
    const char *s = r->p;
    if (r->p < r->end && *r->p == '-') r->p++;
    if (r->p >= r->end) return jr_fail(r, "bad number");
    if (*r->p == '0')
        r->p++;
    else if (*r->p >= '1' && *r->p <= '9')
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    else
        return jr_fail(r, "bad number");
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (r->p >= r->end || *r->p < '0' || *r->p > '9') return jr_fail(r, "bad number");
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-')) r->p++;
        if (r->p >= r->end || *r->p < '0' || *r->p > '9') return jr_fail(r, "bad number");
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    }
    return r->p > s ? 0 : jr_fail(r, "bad number");
}

#define JR_MAX_DEPTH 32

static int jr_value(struct jr *r, int depth, const char *key, char *out, size_t outlen, int *found);

static int jr_object(struct jr *r, int depth, const char *key, char *out, size_t outlen,
                     int *found) {
    r->p++; /* '{' */
    jr_ws(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return 0;
    }
    for (;;) {
        char name[64];
        size_t nlen;
        jr_ws(r);
        if (jr_string(r, name, sizeof name, &nlen)) return -1;
        jr_ws(r);
        if (r->p >= r->end || *r->p != ':') return jr_fail(r, "expected ':'");
        r->p++;
        jr_ws(r);
        int want = depth == 1 && key && nlen < sizeof name && !strcmp(name, key);
        if (want && r->p < r->end && *r->p == '"') {
            size_t vlen;
            if (jr_string(r, out, outlen, &vlen)) return -1;
            *found = vlen < outlen ? 1 : 2; /* 2: too long */
        } else if (jr_value(r, depth, NULL, NULL, 0, NULL)) {
            return -1;
        }
        jr_ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == '}') {
            r->p++;
            return 0;
        }
        return jr_fail(r, "expected ',' or '}'");
    }
}

static int jr_value(struct jr *r, int depth, const char *key, char *out, size_t outlen,
                    int *found) {
    jr_ws(r);
    if (r->p >= r->end) return jr_fail(r, "unexpected end");
    if (depth >= JR_MAX_DEPTH) return jr_fail(r, "nested too deeply");
    switch (*r->p) {
    case '{':
        return jr_object(r, depth + 1, key, out, outlen, found);
    case '[':
        r->p++;
        jr_ws(r);
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            return 0;
        }
        for (;;) {
            if (jr_value(r, depth + 1, NULL, NULL, 0, NULL)) return -1;
            jr_ws(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                continue;
            }
            if (r->p < r->end && *r->p == ']') {
                r->p++;
                return 0;
            }
            return jr_fail(r, "expected ',' or ']'");
        }
    case '"':
        return jr_string(r, NULL, 0, NULL);
    case 't':
        return jr_lit(r, "true");
    case 'f':
        return jr_lit(r, "false");
    case 'n':
        return jr_lit(r, "null");
    default:
        return jr_number(r);
    }
}

int json_object_get_string(const char *body, size_t len, const char *key, char *out, size_t outlen,
                           char *err, size_t errlen) {
    struct jr r = {body, body + len, body, err, errlen, 0};
    int found = 0;
    if (out && outlen) out[0] = 0;
    jr_ws(&r);
    if (r.p >= r.end || *r.p != '{') {
        snprintf(err, errlen, "bad JSON: expected an object");
        return -1;
    }
    if (jr_value(&r, 0, key, out, outlen, &found)) return -1; /* jr_fail wrote err */
    jr_ws(&r);
    if (r.p != r.end) {
        snprintf(err, errlen, "bad JSON: trailing characters at byte %zu", (size_t)(r.p - body));
        return -1;
    }
    if (found == 2) {
        snprintf(err, errlen, "'%s' is too long (at most %zu bytes)", key, outlen - 1);
        return -1;
    }
    return found;
}

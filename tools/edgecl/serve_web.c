/* serve_web.c - static files of the demo page. The page (the files of web/) is compiled into the
 * binary by tools/serve.cmake (serve_web_assets.c, generated), so `edgecl demo` works after `make
 * install` without knowing where the sources were; --web DIR serves from disk instead, for editing
 * the page without rebuilding. Only flat file names are served (no '/', no leading '.'), which
 * rules out path traversal by construction. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "serve_app.h"

struct serve_asset {
    const char *name;
    const unsigned char *data;
    size_t len;
};
extern const struct serve_asset serve_assets[];
extern const size_t serve_n_assets;

static const char *mime_of(const char *name) {
    const char *dot = strrchr(name, '.');
    if (!dot) return "application/octet-stream";
    if (!strcmp(dot, ".html")) return "text/html; charset=utf-8";
    if (!strcmp(dot, ".js") || !strcmp(dot, ".mjs")) return "text/javascript; charset=utf-8";
    if (!strcmp(dot, ".css")) return "text/css; charset=utf-8";
    if (!strcmp(dot, ".svg")) return "image/svg+xml";
    if (!strcmp(dot, ".png")) return "image/png";
    if (!strcmp(dot, ".ico")) return "image/x-icon";
    if (!strcmp(dot, ".json")) return "application/json";
    return "application/octet-stream";
}

static int set_body(struct serve_resp *r, int code, const char *ctype, const void *p, size_t n) {
    r->code = code;
    r->ctype = ctype;
    r->body = malloc(n ? n : 1);
    if (!r->body) {
        r->code = 500;
        r->len = 0;
        return 500;
    }
    memcpy(r->body, p, n);
    r->len = n;
    return code;
}

static int not_found(struct serve_resp *r) {
    static const char msg[] = "not found\n";
    return set_body(r, 404, "text/plain; charset=utf-8", msg, sizeof msg - 1);
}

int serve_web_get(const char *web_dir, const char *url, struct serve_resp *r) {
    memset(r, 0, sizeof *r);
    const char *name = url[0] == '/' ? url + 1 : url;
    if (!*name) name = "index.html";
    size_t n = strlen(name);
    if (n > 100 || name[0] == '.') return not_found(r);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return not_found(r);
    }
    if (!web_dir) {
        for (size_t i = 0; i < serve_n_assets; i++)
            if (!strcmp(serve_assets[i].name, name))
                return set_body(r, 200, mime_of(name), serve_assets[i].data, serve_assets[i].len);
        return not_found(r);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", web_dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return not_found(r);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = cap <= (64u << 20) ? realloc(buf, cap) : NULL;
            if (!nb) {
                free(buf);
                fclose(f);
                return set_body(r, 500, "text/plain", "too large\n", 10);
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return not_found(r);
    }
    r->code = 200;
    r->ctype = mime_of(name);
    r->body = buf;
    r->len = len;
    return 200;
}

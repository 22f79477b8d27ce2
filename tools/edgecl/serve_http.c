/* serve_http.c - libmicrohttpd glue for the demo server: request bodies are collected into a
 * bounded buffer, then handed to serve_app.c (/api/...) or serve_web.c (the page).
 *
 * Defensive choices, since a browser page on another site can reach a localhost server:
 *  - bound to 127.0.0.1 unless told otherwise;
 *  - a declared Content-Length over the limit is refused before the body is read; a chunked
 *    body that grows past it is discarded as it arrives (never buffered);
 *  - a client that disconnects mid-body (truncated upload) only frees its buffer: MHD never
 *    calls the handler with a partial body, and the completion callback cleans up;
 *  - requests carrying an Origin header that does not match Host are refused (cross-site
 *    POSTs that a browser would send without a CORS preflight);
 *  - MHD limits simultaneous connections and drops idle ones after a timeout.
 * MHD runs all handlers on its one internal thread; serve_app still takes a lock. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include "serve_app.h"

struct serve {
    struct MHD_Daemon *d;
    struct serve_app *app;
    char *web_dir;
    size_t max_body;
    int port, verbose;
};

struct req {
    char *buf;
    size_t len, cap;
    int too_big;
};

struct serve_opts serve_default_opts(void) {
    struct serve_opts o;
    memset(&o, 0, sizeof o);
    o.bind = "127.0.0.1";
    o.port = 8080;
    o.max_classes = 16;
    o.max_pending = 300;
    o.max_body = 2u << 20;
    o.max_conns = 32;
    o.timeout_s = 30;
    return o;
}

static enum MHD_Result send_resp(struct serve *s, struct MHD_Connection *c, const char *method,
                                 const char *url, struct serve_resp *r) {
    struct MHD_Response *resp;
    if (r->body)
        resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    else
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(r->body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype ? r->ctype : "text/plain");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->code, resp);
    MHD_destroy_response(resp);
    if (s->verbose) fprintf(stderr, "edgecl serve: %s %s -> %d\n", method, url, r->code);
    return ret;
}

static enum MHD_Result send_error(struct serve *s, struct MHD_Connection *c, const char *method,
                                  const char *url, int code, const char *msg) {
    struct jbuf b;
    jb_init(&b);
    jb_puts(&b, "{\"error\":");
    jb_str(&b, msg);
    jb_puts(&b, "}");
    struct serve_resp r = {code, "application/json", b.p, b.p ? b.len : 0};
    return send_resp(s, c, method, url, &r);
}

/* Origin "http://host:port" must name the same host:port as the Host header. */
static int origin_ok(struct MHD_Connection *c) {
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (!origin || !strcmp(origin, "null")) return origin == NULL;
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    const char *p = strstr(origin, "://");
    if (!host || !p) return 0;
    return !strcasecmp(p + 3, host);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls) {
    struct serve *s = cls;
    struct req *q = *con_cls;
    if (!q) { /* first call: headers only */
        q = calloc(1, sizeof *q);
        if (!q) return MHD_NO;
        *con_cls = q;
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > s->max_body) {
            char msg[128];
            snprintf(msg, sizeof msg, "request body too large (limit %zu bytes)", s->max_body);
            q->too_big = 1;
            return send_error(s, c, method, url, 413, msg); /* MHD then closes the connection */
        }
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (q->too_big) return MHD_YES;
        if (n > s->max_body - q->len) {
            q->too_big = 1;
            free(q->buf);
            q->buf = NULL;
            q->len = q->cap = 0;
            return MHD_YES;
        }
        if (q->len + n > q->cap) {
            size_t cap = q->cap ? q->cap : 16384;
            while (cap < q->len + n)
                cap *= 2;
            if (cap > s->max_body) cap = s->max_body;
            char *nb = realloc(q->buf, cap);
            if (!nb) return MHD_NO;
            q->buf = nb;
            q->cap = cap;
        }
        memcpy(q->buf + q->len, upload_data, n);
        q->len += n;
        return MHD_YES;
    }
    /* body complete */
    if (q->too_big) {
        char msg[128];
        snprintf(msg, sizeof msg, "request body too large (limit %zu bytes)", s->max_body);
        return send_error(s, c, method, url, 413, msg);
    }
    if (!origin_ok(c)) return send_error(s, c, method, url, 403, "cross-origin request refused");
    struct serve_resp r;
    if (!strncmp(url, "/api/", 5)) {
        const char *ctype =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        serve_app_handle(s->app, method, url, ctype, q->buf ? q->buf : "", q->len, &r);
    } else if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
        serve_web_get(s->web_dir, url, &r);
    } else {
        return send_error(s, c, method, url, 405, "only GET for the page");
    }
    return send_resp(s, c, method, url, &r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    struct req *q = *con_cls;
    if (!q) return;
    free(q->buf);
    free(q);
    *con_cls = NULL;
}

static void on_log(void *cls, const char *fmt, va_list ap) {
    fputs("edgecl serve: ", stderr);
    vfprintf(stderr, fmt, ap);
}

enum ecl_status serve_start(const struct serve_opts *o, const struct serve_extractor *fx,
                            struct serve **out, char *err, size_t errlen) {
    if (o->port < 0 || o->port > 65535) {
        snprintf(err, errlen, "bad port %d", o->port);
        return ECL_EINVAL;
    }
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    struct sockaddr *sa;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    const char *bind = o->bind ? o->bind : "127.0.0.1";
    memset(&a4, 0, sizeof a4);
    memset(&a6, 0, sizeof a6);
    if (inet_pton(AF_INET, bind, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t)o->port);
        sa = (struct sockaddr *)&a4;
    } else if (inet_pton(AF_INET6, bind, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t)o->port);
        sa = (struct sockaddr *)&a6;
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errlen, "--bind: '%s' is not an IPv4 or IPv6 address", bind);
        return ECL_EINVAL;
    }
    struct serve *s = calloc(1, sizeof *s);
    if (!s) return ECL_ENOMEM;
    s->max_body = o->max_body;
    s->verbose = o->verbose;
    s->web_dir = o->web_dir ? strdup(o->web_dir) : NULL;
    enum ecl_status st = serve_app_create(o, fx, &s->app, err, errlen);
    if (st) {
        free(s->web_dir);
        free(s);
        return st;
    }
    s->d = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, s,
                            MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL, MHD_OPTION_SOCK_ADDR, sa,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_conns,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout_s,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errlen, "cannot listen on %s port %d (in use? try --port)", bind, o->port);
        serve_app_destroy(s->app);
        free(s->web_dir);
        free(s);
        return ECL_EIO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? (int)di->port : o->port;
    *out = s;
    return ECL_OK;
}

int serve_port(const struct serve *s) {
    return s->port;
}

void serve_stop(struct serve *s) {
    if (!s) return;
    MHD_stop_daemon(s->d);
    serve_app_destroy(s->app);
    free(s->web_dir);
    free(s);
}

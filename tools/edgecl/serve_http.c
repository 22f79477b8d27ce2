/* serve_http.c - libmicrohttpd glue for the demo server: request bodies are collected into a
 * bounded buffer, then handed to serve_app.c (/api/...) or serve_web.c (the page).
 *
 * Defensive choices, since a browser page on another site can reach a localhost server:
 *  - bound to 127.0.0.1 unless told otherwise;
 *  - the Host header must name this machine's loopback (127.0.0.1, localhost, [::1]) or the
 *    bound address, with any port (any Host if bound to 0.0.0.0 / ::): a page on evil.example
 *    whose DNS name is re-pointed at 127.0.0.1 (DNS rebinding) is same-origin to the browser,
 *    sends no Origin header on GETs and passes the Origin check, but still says
 *    "Host: evil.example";
 *  - a declared Content-Length over the limit is refused before the body is read; a chunked
 *    body that grows past it is refused with 413 at that point (the response is queued and the
 *    connection closed; where MHD cannot queue mid-body the connection is dropped: with
 *    libmicrohttpd 0.9.75 always, as MHD_queue_response refuses while a body is being read,
 *    so the client sees a close, no 413 - seen by tests/fuzz/fuzz_http_raw.c), and nothing
 *    more of it is buffered;
 *  - a client that disconnects mid-body (truncated upload) only frees its buffer: MHD never
 *    calls the handler with a partial body, and the completion callback cleans up;
 *  - requests carrying an Origin header that does not match Host are refused (cross-site
 *    POSTs that a browser would send without a CORS preflight);
 *  - slow clients cannot wedge it (issue 13): a total deadline per request for headers and
 *    body (serve_guard.c; MHD's own timeout restarts on every byte), a per-IP cap on connections
 *    waiting for their request (the longest-waiting one is evicted by a newcomer), a per-IP
 *    connection limit of half the overall limit, and the overall limit. MHD runs in poll() mode: in
 * 0.9.75's epoll mode, once the connection limit had been reached, connections whose clients had
 * closed were never noticed again (seen: 32 sockets stuck in CLOSE-WAIT and no answers, for good).
 * MHD runs all handlers on its one internal thread; serve_app still takes a lock. The fuzz
 * harness starts the server with opts.no_listen and runs MHD itself (serve_daemon()). */
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
#include "serve_guard.h"

struct serve {
    struct MHD_Daemon *d;
    struct serve_app *app;
    struct serve_guard *guard; /* NULL with no_listen */
    char *web_dir;
    size_t max_body;
    int port, verbose;
    int family;     /* of the bound address */
    int any_host;   /* bound to 0.0.0.0 or ::: every Host is this machine */
    uint8_t ip[16]; /* the bound address (4 or 16 bytes) */
};

struct req {
    char *buf;
    size_t len, cap;
    int too_big;
    int responded; /* a response is already queued (413 mid-body) */
};

struct serve_opts serve_default_opts(void) {
    struct serve_opts o;
    memset(&o, 0, sizeof o);
    o.bind = "127.0.0.1";
    o.port = 8080;
    o.max_classes = 16;
    o.max_pending = 300;
    o.max_body = 2u << 20;
    o.max_conns = 256;
    o.per_ip_conns = 16;
    o.timeout_s = 10;
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
    if (r->allow) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->filename[0]) {
        char cd[100];
        snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", r->filename);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, cd);
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->code, resp);
    MHD_destroy_response(resp);
    if (s->verbose) fprintf(stderr, "edgecl serve: %s %s -> %d\n", method, url, r->code);
    return ret;
}

static enum MHD_Result send_error_allow(struct serve *s, struct MHD_Connection *c,
                                        const char *method, const char *url, int code,
                                        const char *msg, const char *allow) {
    struct jbuf b;
    jb_init(&b);
    jb_puts(&b, "{\"error\":");
    jb_str(&b, msg);
    jb_puts(&b, "}");
    struct serve_resp r = {.code = code,
                           .ctype = "application/json",
                           .body = b.p,
                           .len = b.p ? b.len : 0,
                           .allow = allow};
    return send_resp(s, c, method, url, &r);
}

static enum MHD_Result send_error(struct serve *s, struct MHD_Connection *c, const char *method,
                                  const char *url, int code, const char *msg) {
    return send_error_allow(s, c, method, url, code, msg, NULL);
}

static enum MHD_Result send_too_big(struct serve *s, struct MHD_Connection *c, const char *method,
                                    const char *url) {
    char msg[128];
    snprintf(msg, sizeof msg, "request body too large (limit %zu bytes)", s->max_body);
    return send_error(s, c, method, url, 413, msg);
}

/* Host is "name[:port]" or "[v6][:port]"; the name must be a loopback name/address or the
 * address the server is bound to. No Host at all (HTTP/1.0; MHD refuses HTTP/1.1 without one)
 * cannot come from a browser, so it is accepted. */
static int host_ok(const struct serve *s, struct MHD_Connection *c) {
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host || s->any_host) return 1;
    char name[64];
    const char *end;
    if (host[0] == '[') {
        end = strchr(host, ']');
        if (!end) return 0;
        end++;
    } else {
        end = strchr(host, ':');
        if (!end) end = host + strlen(host);
    }
    size_t n = (size_t)(end - host);
    if (n == 0 || n >= sizeof name) return 0;
    if (*end == ':') { /* port: 1..5 digits */
        size_t k = strspn(end + 1, "0123456789");
        if (k < 1 || k > 5 || end[1 + k]) return 0;
    } else if (*end) {
        return 0;
    }
    memcpy(name, host, n);
    name[n] = 0;
    if (!strcasecmp(name, "localhost")) return 1;
    uint8_t ip[16];
    if (name[0] == '[') {
        name[n - 1] = 0;
        if (inet_pton(AF_INET6, name + 1, ip) != 1) return 0;
        return !memcmp(ip, &in6addr_loopback, 16) ||
               (s->family == AF_INET6 && !memcmp(ip, s->ip, 16));
    }
    if (inet_pton(AF_INET, name, ip) != 1) return 0;
    return !memcmp(ip, "\x7f\0\0\x01", 4) || (s->family == AF_INET && !memcmp(ip, s->ip, 4));
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
        /* A response queued now is sent without reading the body; MHD then closes. */
        if (!host_ok(s, c)) {
            char msg[256];
            const char *host =
                MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
            snprintf(msg, sizeof msg,
                     "request refused: Host '%.80s' is not this server (only 127.0.0.1, "
                     "localhost, [::1] or the --bind address; DNS rebinding protection)",
                     host ? host : "");
            q->responded = 1;
            return send_error(s, c, method, url, 403, msg);
        }
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > s->max_body) {
            q->too_big = q->responded = 1;
            return send_too_big(s, c, method, url);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (q->too_big || q->responded) return MHD_YES; /* refused: discard, never buffer */
        if (n > s->max_body - q->len) {
            /* Chunked body past the limit: an endless upload must not be read forever, so answer
             * now. Where MHD refuses a response before the body is complete, drop the
             * connection instead. */
            q->too_big = 1;
            free(q->buf);
            q->buf = NULL;
            q->len = q->cap = 0;
            if (send_too_big(s, c, method, url) != MHD_YES) {
                fprintf(stderr,
                        "edgecl serve: %s %s: body over %zu bytes, dropping the connection\n",
                        method, url, s->max_body);
                return MHD_NO;
            }
            q->responded = 1;
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
    /* body complete: the request's deadline no longer runs */
    serve_guard_received(s->guard, c);
    if (q->responded) return MHD_YES;
    if (q->too_big) return send_too_big(s, c, method, url);
    if (!origin_ok(c)) return send_error(s, c, method, url, 403, "cross-origin request refused");
    struct serve_resp r = {0};
    if (!strncmp(url, "/api/", 5)) {
        const char *ctype =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        serve_app_handle(s->app, method, url, ctype, q->buf ? q->buf : "", q->len, &r);
    } else if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
        serve_web_get(s->web_dir, url, &r);
    } else {
        return send_error_allow(s, c, method, url, 405, "only GET for the page", "GET, HEAD");
    }
    return send_resp(s, c, method, url, &r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    struct serve *s = cls;
    serve_guard_completed(s->guard, c);
    struct req *q = *con_cls;
    if (!q) return;
    free(q->buf);
    free(q);
    *con_cls = NULL;
}

static void on_log(void *cls, const char *fmt, va_list ap) {
    const struct serve *s = cls;
    /* A client closing mid-request is routine (and a flood of them is counted by the guard):
     * only --verbose shows each one. */
    if (!s->verbose && (strstr(fmt, "closed by remote") || strstr(fmt, "is closed when reading")))
        return;
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
    /* no_listen (the raw-HTTP fuzz harness): no socket, no thread (see serve_daemon()), and no
     * MHD log: on its socketpair MHD would complain about TCP options on every connection. */
    unsigned flags =
        o->no_listen ? MHD_USE_NO_LISTEN_SOCKET : MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
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
    if (!s) return ECL_EOOM;
    s->family = sa->sa_family;
    if (s->family == AF_INET) {
        memcpy(s->ip, &a4.sin_addr, 4);
        s->any_host = a4.sin_addr.s_addr == htonl(INADDR_ANY);
    } else {
        memcpy(s->ip, &a6.sin6_addr, 16);
        s->any_host = !memcmp(&a6.sin6_addr, &in6addr_any, 16);
    }
    s->max_body = o->max_body;
    s->verbose = o->verbose;
    s->web_dir = o->web_dir ? strdup(o->web_dir) : NULL;
    enum ecl_status st = serve_app_create(o, fx, &s->app, err, errlen);
    if (st) {
        free(s->web_dir);
        free(s);
        return st;
    }
    if (!o->no_listen &&
        !(s->guard = serve_guard_start(o->timeout_s, o->per_ip_conns, o->verbose))) {
        snprintf(err, errlen, "cannot start the connection guard");
        serve_app_destroy(s->app);
        free(s->web_dir);
        free(s);
        return ECL_EOOM;
    }
    s->d = MHD_start_daemon(
        flags, (uint16_t)o->port, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_log, s,
        MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_conns,
        /* MHD refuses beyond this; the guard evicts beyond per_ip_conns waiting ones */
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)(o->max_conns / 2 > o->per_ip_conns ? o->max_conns / 2 : o->per_ip_conns),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout_s, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_NOTIFY_CONNECTION,
        s->guard ? serve_guard_notify : (MHD_NotifyConnectionCallback)NULL, s->guard,
        MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errlen, "cannot listen on %s port %d (in use? try --port)", bind, o->port);
        serve_guard_stop(s->guard);
        serve_app_destroy(s->app);
        free(s->web_dir);
        free(s);
        return ECL_EIO;
    }
    const union MHD_DaemonInfo *di =
        o->no_listen ? NULL : MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? (int)di->port : o->no_listen ? 0 : o->port;
    *out = s;
    return ECL_OK;
}

int serve_port(const struct serve *s) {
    return s->port;
}

struct MHD_Daemon *serve_daemon(const struct serve *s) {
    return s->d;
}

void serve_stop(struct serve *s) {
    if (!s) return;
    MHD_stop_daemon(s->d);
    serve_guard_stop(s->guard);
    serve_app_destroy(s->app);
    free(s->web_dir);
    free(s);
}

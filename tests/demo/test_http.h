/* test_http.h - one HTTP/1.1 request at a time to the demo server on 127.0.0.1, for its tests
 * (test_serve, test_serve_samples, test_serve_persist). Include after <cmocka.h> (a failed
 * connect is a test failure).
 *
 *     char *body;
 *     int code = http(port, "GET", "/api/state", NULL, NULL, 0, &body);  // free(body)
 *     size_t n;
 *     code = http_len(port, "GET", "/api/export", NULL, NULL, 0, &body, &n);  // body may hold NULs
 *     // the response's status line and headers: http_last_headers
 *
 * Every request is "Connection: close" with Host 127.0.0.1:port (http_host: another Host, or
 * none as HTTP/1.0); Content-Length is sent when there is a body or the method is POST. */
#ifndef EDGECL_TEST_HTTP_H
#define EDGECL_TEST_HTTP_H
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A connected TCP socket to 127.0.0.1:port. */
static inline int http_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Sends all n bytes; stops quietly if the server closed early (e.g. 413 before the body). */
static inline void http_send_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        if (k <= 0) return;
        c += k;
        n -= (size_t)k;
    }
}

static char http_last_headers[4096]; /* status line and headers of the last response read */

/* Reads the whole response and closes fd; returns the status code (-1: no status line), the
 * body in *body (malloc'd, NUL-terminated, may hold NULs) and its length in *blen (if blen). */
static inline int http_read(int fd, char **body, size_t *blen) {
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 >= cap) buf = realloc(buf, cap *= 2);
        ssize_t k = recv(fd, buf + len, cap - len - 1, 0);
        if (k <= 0) break;
        len += (size_t)k;
    }
    buf[len] = 0;
    close(fd);
    int code = -1;
    if (sscanf(buf, "HTTP/1.%*d %d", &code) != 1) code = -1;
    char *b = strstr(buf, "\r\n\r\n");
    size_t hl = b ? (size_t)(b - buf) : len;
    if (hl >= sizeof http_last_headers) hl = sizeof http_last_headers - 1;
    memcpy(http_last_headers, buf, hl);
    http_last_headers[hl] = 0;
    size_t off = b ? (size_t)(b - buf) + 4 : len;
    *body = malloc(len - off + 1);
    memcpy(*body, buf + off, len - off + 1);
    if (blen) *blen = len - off;
    free(buf);
    return code;
}

/* One request with the given Host header (NULL: "127.0.0.1:port"; "": none, as HTTP/1.0).
 * resp may be NULL (the body is dropped); rlen may be NULL. */
static inline int http_host_len(int port, const char *host, const char *method, const char *path,
                                const char *ctype, const void *body, size_t len, char **resp,
                                size_t *rlen) {
    int fd = http_connect(port);
    char hdr[1024], hosthdr[300];
    if (!host)
        snprintf(hosthdr, sizeof hosthdr, "HTTP/1.1\r\nHost: 127.0.0.1:%d", port);
    else if (!host[0])
        snprintf(hosthdr, sizeof hosthdr, "HTTP/1.0");
    else
        snprintf(hosthdr, sizeof hosthdr, "HTTP/1.1\r\nHost: %s", host);
    int n = snprintf(hdr, sizeof hdr, "%s %s %s\r\nConnection: close\r\n", method, path, hosthdr);
    if (ctype) n += snprintf(hdr + n, sizeof hdr - (size_t)n, "Content-Type: %s\r\n", ctype);
    if (body || !strcmp(method, "POST"))
        n += snprintf(hdr + n, sizeof hdr - (size_t)n, "Content-Length: %zu\r\n", len);
    n += snprintf(hdr + n, sizeof hdr - (size_t)n, "\r\n");
    http_send_all(fd, hdr, (size_t)n);
    if (len) http_send_all(fd, body, len);
    char *tmp;
    int code = http_read(fd, resp ? resp : &tmp, rlen);
    if (!resp) free(tmp);
    return code;
}

static inline int http_host(int port, const char *host, const char *method, const char *path,
                            const char *ctype, const void *body, size_t len, char **resp) {
    return http_host_len(port, host, method, path, ctype, body, len, resp, NULL);
}

static inline int http_len(int port, const char *method, const char *path, const char *ctype,
                           const void *body, size_t len, char **resp, size_t *rlen) {
    return http_host_len(port, NULL, method, path, ctype, body, len, resp, rlen);
}

static inline int http(int port, const char *method, const char *path, const char *ctype,
                       const void *body, size_t len, char **resp) {
    return http_host_len(port, NULL, method, path, ctype, body, len, resp, NULL);
}

#endif

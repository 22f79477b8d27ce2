/* tests/reliab/test_slowloris.c - the demo server under a slow-client flood (issue 13,
 * finding 3: 200 sockets sending a partial header a byte per second made every request time
 * out, and after the flood 32 sockets stayed in CLOSE-WAIT and the server never answered
 * again).
 *
 * The real server (serve_start, stand-in 48-d backbone) on 127.0.0.1, a 2 s request deadline
 * (opts.timeout_s; default 10 s) and the default limits. Three floods of 200 sockets, 6 s
 * each (three deadlines), loopback only: every socket sends one byte of a never-ending
 * request header per second and reconnects when the server closes it:
 *   other-ip : all 200 from 127.0.0.2 (one attacker address)
 *   many-ips : one socket from each of 127.0.1.1 .. 127.0.1.200 (no per-address cap helps;
 *              only the deadline frees the slots)
 *   same-ip  : all 200 from 127.0.0.1, the address of the normal client too
 * Meanwhile a normal client sends GET /api/state every 100 ms (new connection each time).
 * Asserted: every normal request answers 200 within 1 s during each flood; the server closes
 * flood connections (many-ips: each of the 200 at least once, i.e. the deadline works);
 * after the flood sockets close, no server socket stays in CLOSE-WAIT (/proc/net/tcp), and 20
 * more requests answer within 1 s. Latencies are printed (they are figures, the assertion is
 * the 1 s bound the issue asks for). Env: FLOOD_SECONDS (default 6), FLOOD_SOCKETS (200). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "edgecl/port.h"
#include "serve_app.h"
#include "stub_fx.h"

#define MAX_SOCKS 1000
#define MAX_PROBES 4000

static const struct serve_extractor FX = {NULL, DIM, stub_extract, "stub colour grid", NULL};
static const char PARTIAL[] = "GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";

static double now_s(void) {
    return (double)ecl_port_now_ns() * 1e-9;
}

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* A TCP socket from src to 127.0.0.1:port; nonblocking if nb. -1 on failure. */
static int connect_from(const char *src, int port, int nb) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    if (src) {
        inet_pton(AF_INET, src, &a.sin_addr);
        if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
            close(fd);
            return -1;
        }
    }
    if (nb) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One normal request; its latency in seconds, or -1 (no 200 within 3 s). */
static double probe(int port) {
    double t0 = now_s();
    int fd = connect_from("127.0.0.1", port, 0);
    if (fd < 0) return -1;
    struct timeval tv = {3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    static const char req[] =
        "GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    char buf[4096];
    size_t len = 0;
    if (send(fd, req, sizeof req - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof req - 1)) {
        close(fd);
        return -1;
    }
    for (;;) {
        ssize_t k = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (k <= 0) break;
        len += (size_t)k;
        if (len == sizeof buf - 1) break;
    }
    close(fd);
    buf[len] = 0;
    double dt = now_s() - t0;
    return strncmp(buf, "HTTP/1.1 200", 12) == 0 && strstr(buf, "\"classes\"") ? dt : -1;
}

struct flood {
    int n, fd[MAX_SOCKS];
    size_t sent[MAX_SOCKS];
    char src[MAX_SOCKS][20];
    unsigned long closed_by_server;
    unsigned char ever_closed[MAX_SOCKS];
};

/* Server closed it? (EOF or reset; a socket still connecting is not closed.) */
static int gone(int fd) {
    char c;
    ssize_t k = recv(fd, &c, 1, MSG_DONTWAIT);
    return k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN);
}

/* One second's worth: every socket sends its next byte; closed ones reconnect. */
static void flood_tick(struct flood *f, int port) {
    for (int i = 0; i < f->n; i++) {
        if (f->fd[i] >= 0 && gone(f->fd[i])) {
            close(f->fd[i]);
            f->fd[i] = -1;
            f->closed_by_server++;
            f->ever_closed[i] = 1;
        }
        if (f->fd[i] < 0) {
            f->fd[i] = connect_from(f->src[i], port, 1);
            f->sent[i] = 0;
            continue;
        }
        char c = f->sent[i] < sizeof PARTIAL - 1 ? PARTIAL[f->sent[i]] : 'a';
        if (send(f->fd[i], &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) f->sent[i]++;
    }
}

static void flood_close(struct flood *f) {
    for (int i = 0; i < f->n; i++)
        if (f->fd[i] >= 0) close(f->fd[i]);
}

/* Server-side sockets (local port == port) in CLOSE-WAIT (state 08), IPv4 and IPv6. */
static int close_wait_count(int port) {
    int n = 0;
    const char *files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(files[k], "r");
        if (!f) continue;
        char line[512];
        if (!fgets(line, sizeof line, f)) line[0] = 0; /* header */
        while (fgets(line, sizeof line, f)) {
            char local[128], remote[128];
            unsigned st;
            if (sscanf(line, "%*d: %127s %127s %x", local, remote, &st) != 3) continue;
            const char *colon = strrchr(local, ':');
            if (colon && strtol(colon + 1, NULL, 16) == port && st == 0x08) n++;
        }
        fclose(f);
    }
    return n;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct lat {
    double v[MAX_PROBES];
    int n, failed;
};

static void report(const char *what, struct lat *L) {
    qsort(L->v, (size_t)L->n, sizeof L->v[0], cmp_d);
    double p50 = L->n ? L->v[L->n / 2] : 0, p99 = L->n ? L->v[(L->n * 99) / 100] : 0;
    double mx = L->n ? L->v[L->n - 1] : 0;
    printf("[%s] %d requests answered, %d failed; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
           what, L->n, L->failed, p50 * 1e3, p99 * 1e3, mx * 1e3);
    fflush(stdout);
    assert_int_equal(L->failed, 0);
    assert_true(L->n > 0);
    assert_true(mx < 1.0);
}

static int env_int(const char *name, int def) {
    const char *s = getenv(name);
    return s && atoi(s) > 0 ? atoi(s) : def;
}

enum src_kind { SRC_OTHER_IP, SRC_MANY_IPS, SRC_SAME_IP };

static void run_flood(const char *name, enum src_kind kind) {
    struct serve_opts o = serve_default_opts();
    o.port = 0;
    o.timeout_s = 2;
    struct serve *s = NULL;
    char err[512];
    assert_int_equal(serve_start(&o, &FX, &s, err, sizeof err), ECL_OK);
    int port = serve_port(s);
    int nsock = env_int("FLOOD_SOCKETS", 200), secs = env_int("FLOOD_SECONDS", 6);
    if (nsock > MAX_SOCKS) nsock = MAX_SOCKS;
    static struct flood f;
    memset(&f, 0, sizeof f);
    f.n = nsock;
    for (int i = 0; i < nsock; i++) {
        if (kind == SRC_OTHER_IP)
            snprintf(f.src[i], sizeof f.src[i], "127.0.0.2");
        else if (kind == SRC_MANY_IPS)
            snprintf(f.src[i], sizeof f.src[i], "127.0.%d.%d", 1 + i / 250, 1 + i % 250);
        else
            snprintf(f.src[i], sizeof f.src[i], "127.0.0.1");
        f.fd[i] = -1;
    }
    static struct lat during, after;
    memset(&during, 0, sizeof during);
    memset(&after, 0, sizeof after);
    double t0 = now_s(), next_tick = t0;
    while (now_s() - t0 < secs) {
        if (now_s() >= next_tick) {
            flood_tick(&f, port);
            next_tick += 1.0;
        }
        double d = probe(port);
        if (d < 0)
            during.failed++;
        else if (during.n < MAX_PROBES)
            during.v[during.n++] = d;
        sleep_s(0.1);
    }
    int open_now = 0, ever = 0;
    for (int i = 0; i < nsock; i++) {
        open_now += f.fd[i] >= 0;
        ever += f.ever_closed[i];
    }
    printf("[%s] %d sockets for %d s (deadline %u s): server closed flood connections %lu times, "
           "%d of the %d sockets at least once\n",
           name, nsock, secs, o.timeout_s, f.closed_by_server, ever, nsock);
    char what[64];
    snprintf(what, sizeof what, "%s, during", name);
    report(what, &during);
    assert_true(f.closed_by_server > 0);
    if (kind == SRC_MANY_IPS) assert_int_equal(ever, nsock); /* the deadline reached them all */
    (void)open_now;

    /* The clients give up: nothing may stay in CLOSE-WAIT. */
    flood_close(&f);
    double tc = now_s();
    int cw = close_wait_count(port);
    while (cw > 0 && now_s() - tc < 3.0) {
        sleep_s(0.05);
        cw = close_wait_count(port);
    }
    printf("[%s] after the flood closed: %d server sockets in CLOSE-WAIT (%.0f ms after)\n", name,
           cw, (now_s() - tc) * 1e3);
    assert_int_equal(cw, 0);
    for (int i = 0; i < 20; i++) {
        double d = probe(port);
        if (d < 0)
            after.failed++;
        else
            after.v[after.n++] = d;
    }
    snprintf(what, sizeof what, "%s, after", name);
    report(what, &after);
    serve_stop(s);
}

static void test_flood_other_ip(void **u) {
    (void)u;
    run_flood("other-ip", SRC_OTHER_IP);
}

static void test_flood_many_ips(void **u) {
    (void)u;
    run_flood("many-ips", SRC_MANY_IPS);
}

static void test_flood_same_ip(void **u) {
    (void)u;
    run_flood("same-ip", SRC_SAME_IP);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flood_other_ip),
        cmocka_unit_test(test_flood_many_ips),
        cmocka_unit_test(test_flood_same_ip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

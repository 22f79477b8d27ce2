/* src/port/port_error.c - the detail behind a port-layer status code.
 *
 * Why a per-thread message instead of more status codes: the status says what kind of failure
 * it was (ECL_EIO), but a person needs the system's own reason - a full disk, a read-only file
 * system, a permission - and the path and step where it happened. errno alone is not enough
 * (the step and the bytes needed are lost) and is clobbered by the cleanup that follows a
 * failure, so the port layer writes one line here at the point of failure. Thread-local so the
 * demo server's threads do not read each other's messages. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>

#include "edgecl/port.h"
#include "port/port_impl.h"

static _Thread_local char g_msg[768];

void ecl_port_set_error_(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_msg, sizeof g_msg, fmt, ap);
    va_end(ap);
}

void ecl_port_clear_error_(void) {
    g_msg[0] = 0;
}

const char *ecl_port_error(void) {
    return g_msg;
}

const char *ecl_port_fmt_bytes_(uint64_t n, char *buf, size_t len) {
    static const char *unit[] = {"KiB", "MiB", "GiB", "TiB"};
    if (n < 1024) {
        snprintf(buf, len, "%llu bytes", (unsigned long long)n);
        return buf;
    }
    double v = (double)n / 1024.0;
    int u = 0;
    while (v >= 1024.0 && u < 3) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, len, "%.1f %s", v, unit[u]);
    return buf;
}

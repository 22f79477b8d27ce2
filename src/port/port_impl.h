/* src/port/port_impl.h - shared by the port layer's files (not a public header). */
#ifndef EDGECL_PORT_IMPL_H
#define EDGECL_PORT_IMPL_H

#include <stddef.h>
#include <stdint.h>

/* Records the message ecl_port_error() returns on this thread (printf format). */
void ecl_port_set_error_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ecl_port_clear_error_(void);
/* "1.5 MiB", "812 bytes" into buf (for messages). */
const char *ecl_port_fmt_bytes_(uint64_t n, char *buf, size_t len);

#endif

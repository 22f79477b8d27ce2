/* tests/mcu/tls_shim.c - linked into the microcontroller check's program ONLY while the library
 * still uses thread-local storage (the check reports that as a failure separately), so that the
 * link and size report still run. A single-threaded bare-metal thread pointer: __aeabi_read_tp
 * returns the address the compiler's TLS offsets are relative to (ARM: 8-byte TCB before the
 * TLS block). This is not a working TLS setup (.tdata is not copied); it only satisfies the
 * linker, which is all the check needs. */
#include <stdint.h>

static _Alignas(8) uint8_t tls_area[8 + 96 * 1024];
void *__aeabi_read_tp(void);
void *__aeabi_read_tp(void) {
    return tls_area;
}

/* tests/mcu/fw/fw_sys.h - the firmware's platform layer: output and exit over ARM semihosting
 * (QEMU: -semihosting), an instruction clock (SysTick, meaningful under qemu -icount). */
#ifndef ECL_FW_SYS_H
#define ECL_FW_SYS_H
#include <stdint.h>

void fw_puts(const char *s);             /* no newline added */
void fw_putu(uint32_t v);                /* decimal */
void fw_putfix(int32_t v, int decimals); /* v / 10^decimals, e.g. 1234, 3 -> "1.234" */
void fw_exit(int ok) __attribute__((noreturn));
void fw_clock_start(void);
uint32_t fw_clock_ticks(void); /* SysTick ticks since fw_clock_start (24-bit, wraps counted) */
#endif

/* tests/mcu/fw/fw_sys.c - reset handler, vector table, semihosting output, SysTick clock. */
#include "fw_sys.h"

#include <string.h>

extern uint8_t _data_load[], _data_start[], _data_end[], _bss_start[], _bss_end[];
extern uint8_t _stack_top[];
int main(void);
void fw_reset(void);

/* ARM semihosting call (bkpt 0xAB on M-profile). */
static int32_t semihost(int32_t op, const void *arg) {
    register int32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void fw_puts(const char *s) {
    semihost(0x04, s); /* SYS_WRITE0 */
}

void fw_putu(uint32_t v) {
    char b[12];
    int i = 11;
    b[i] = 0;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    fw_puts(b + i);
}

void fw_putfix(int32_t v, int decimals) {
    uint32_t p = 1, u = v < 0 ? (uint32_t)-v : (uint32_t)v;
    for (int i = 0; i < decimals; i++)
        p *= 10;
    if (v < 0) fw_puts("-");
    fw_putu(u / p);
    if (!decimals) return;
    fw_puts(".");
    for (uint32_t q = p / 10, r = u % p; q; q /= 10) {
        char c[2] = {(char)('0' + r / q % 10), 0};
        fw_puts(c);
    }
}

void fw_exit(int ok) {
    /* SYS_EXIT: ADP_Stopped_ApplicationExit (QEMU exits 0), else RunTimeErrorUnknown (1) */
    semihost(0x18, (const void *)(uintptr_t)(ok ? 0x20026u : 0x20023u));
    for (;;) {
    }
}

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
static volatile uint32_t systick_wraps;

static void fw_systick(void) {
    systick_wraps++;
}

void fw_clock_start(void) {
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    systick_wraps = 0;
    SYST_CSR = 7u; /* processor clock, interrupt on wrap, enabled */
}

uint32_t fw_clock_ticks(void) {
    uint32_t w, c;
    do {
        w = systick_wraps;
        c = SYST_CVR;
    } while (w != systick_wraps);
    return w * 0x1000000u + (0xFFFFFFu - c);
}

static void fw_fault(void) {
    fw_puts("FAULT: hard fault or unexpected exception\n");
    fw_exit(0);
}

void fw_reset(void) {
    /* single-precision FPU on (CPACR CP10/CP11 full access) before any float code */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    memcpy(_data_start, _data_load, (size_t)(_data_end - _data_start));
    memset(_bss_start, 0, (size_t)(_bss_end - _bss_start));
    fw_exit(main() == 0);
}

typedef void (*fw_vector)(void);
__attribute__((section(".isr_vector"), used)) static const fw_vector fw_vectors[16] = {
    (fw_vector)(uintptr_t)_stack_top,
    fw_reset,
    fw_fault,
    fw_fault,
    fw_fault,
    fw_fault,
    fw_fault,
    0,
    0,
    0,
    0,
    fw_fault,
    fw_fault,
    0,
    fw_fault,
    fw_systick};

/* Reads PKRU at checkpoint() (for gdb to read it, and write a new value),
 * then prints what it holds after gdb resumed the program. Run only where
 * the CPU and kernel have protection keys (the `ospke` flag). */
#include <stdio.h>

__attribute__((noinline)) void checkpoint(void) { __asm__ volatile("" ::: "memory"); }

static unsigned rdpkru(void)
{
    unsigned eax, edx;
    __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(0));
    return eax;
}

int main(void)
{
    printf("before=%x\n", rdpkru());
    checkpoint();
    printf("after=%x\n", rdpkru());
    return 0;
}

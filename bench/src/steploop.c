/* stepi: a long loop of plain arithmetic; gdb stops at spin() and single
   steps instructions. */
#include <unistd.h>
volatile unsigned long total;
__attribute__((noinline)) void spin(void)
{
    unsigned long x = 7;
    for (long i = 0; i < 200000000L; i++) {
        x = x * 2862933555777941757UL + 3037000493UL;
        total += x >> 11;
    }
}
int main(void)
{
    alarm(600);
    spin();
    return 0;
}

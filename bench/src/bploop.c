/* bp-ignore: calls hit() N times; gdb puts a breakpoint there with an
   ignore count, so every hit is a stop reported to gdb and resumed. */
#include <stdlib.h>
#include <unistd.h>
volatile long count;
__attribute__((noinline)) void hit(long i) { count += i; }
int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000;
    alarm(600);
    for (long i = 0; i < n; i++)
        hit(i);
    return 0;
}

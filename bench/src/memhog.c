/* dump-memory and memread: fills SIZE MiB with a pattern, then stops in
   ready() with `block` and `block_size` set for gdb to read. */
#include <stdlib.h>
#include <unistd.h>
unsigned char *block;
unsigned long block_size;
__attribute__((noinline)) void ready(void) { __asm__ volatile("" ::: "memory"); }
int main(int argc, char **argv)
{
    unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
    alarm(600);
    block_size = mib << 20;
    block = malloc(block_size);
    if (block == NULL)
        return 1;
    for (unsigned long i = 0; i < block_size; i++)
        block[i] = (unsigned char)(i * 131 + (i >> 12));
    ready();
    return 0;
}

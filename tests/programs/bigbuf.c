/* bigbuf N: N MiB of pseudo-random bytes (no run-length encoding helps),
   then a stop in filled() for gdb to dump them. */
#include <stdlib.h>
#include <sys/mman.h>
unsigned char *buf;
unsigned long size;
__attribute__((noinline)) void filled(void) { __asm__ volatile("" ::: "memory"); }
int main(int argc, char **argv)
{
  size = (argc > 1 ? strtoul(argv[1], 0, 0) : 64) << 20;
  buf = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buf == MAP_FAILED)
    return 1;
  unsigned long x = 88172645463325252UL, *w = (unsigned long *)buf;
  for (unsigned long i = 0; i < size / 8; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    w[i] = x;
  }
  filled();
  return 0;
}

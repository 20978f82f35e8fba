#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#define BIG (8 * 1024 * 1024)
unsigned char *big;
unsigned char *edge;
int global_value = 7;
const char *greeting = "hello, gdb";
void ready(void) {}
int main(void)
{
  big = malloc(BIG);
  uint32_t x = 12345;
  for (size_t i = 0; i < BIG; i++) {
    x = x * 1103515245u + 12345u;
    big[i] = (unsigned char)(x >> 16);
  }
  long page = sysconf(_SC_PAGESIZE);
  edge = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < page; i++) edge[i] = (unsigned char)i;
  munmap(edge + page, page);
  edge += page - 16;
  ready();
  printf("global_value=%d\n", global_value);
  return 0;
}

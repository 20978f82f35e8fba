#include <stdio.h>
#include <stdint.h>
#include <asm/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
unsigned long fs_base_seen;
int skipped = 0;
void mark(void) {}
void skip_me(void) { skipped = 1; }
int main(void)
{
  syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_base_seen);
  uint32_t pattern[8] = {0x11111111, 0x22222222, 0x33333333, 0x44444444,
                         0x55555555, 0x66666666, 0x77777777, 0x7eadbeef};
  __asm__ volatile("vmovdqu %0, %%ymm0" : : "m"(pattern) : "xmm0");
  mark();
  skip_me();
  printf("skipped=%d\n", skipped);
  return 0;
}

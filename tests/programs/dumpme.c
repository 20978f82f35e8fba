/* A 1 MiB global with a known pattern, a PROT_NONE guard mapping, a
   mapping with a hole, and 200 one-page mappings (a maps file longer than
   one console packet), for the monitor tests. Waits after ready() so the
   test can read /proc/PID/mem once gdb detaches. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#define SIZE (1024 * 1024)
unsigned char buf[SIZE];
unsigned char *guard;
unsigned char *holed;
unsigned char *pages;
volatile int done;
void ready(void) {}
int main(void)
{
  for (unsigned long i = 0; i < SIZE; i++)
    buf[i] = (unsigned char)(i * 7 + (i >> 8));
  long page = sysconf(_SC_PAGESIZE);
  guard = mmap(NULL, 4 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  holed = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  holed[0] = 1;
  holed[2 * page] = 2;
  munmap(holed + page, page);
  pages = mmap(NULL, 200 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < 200; i++) {
    pages[i * page] = (unsigned char)i;
    if (i % 2)
      mprotect(pages + i * page, page, PROT_READ);
  }
  ready();
  while (!done)
    sleep(1);
  return 0;
}

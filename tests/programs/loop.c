#include <stdio.h>
#include <unistd.h>
volatile unsigned long ticks;
void tick(void) { ticks++; }
void never_called(void) { ticks = 0; }
int main(void)
{
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("ready\n");
  for (;;) {
    tick();
    usleep(1000);
  }
}

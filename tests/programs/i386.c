/* A small program for the 32-bit (i386) tests: a call to break in, a
   global to write and watch, a handled signal, and an exit code that
   shows what gdb changed. With "loop" it loops (for attach); with
   "crash" it reads through a bad pointer (for core files). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

volatile int counter = 1;
volatile int watched;
volatile sig_atomic_t got_signal;
volatile int keep_looping = 1;
int *volatile bad_pointer = (int *)0x1234;

static void on_usr1(int sig) { got_signal = sig; }

int add(int a, int b) { return a + b + counter; }

void checkpoint(void) {}

int main(int argc, char **argv)
{
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && strcmp(argv[1], "loop") == 0) {
    printf("ready\n");
    while (keep_looping)
      usleep(1000);
    printf("left the loop\n");
    return 7;
  }
  if (argc > 1 && strcmp(argv[1], "crash") == 0)
    return *bad_pointer;
  signal(SIGUSR1, on_usr1);
  int r = add(2, 3);
  checkpoint();
  watched = r * 2;
  raise(SIGUSR1);
  printf("r=%d counter=%d signal=%d\n", r, counter, (int)got_signal);
  return counter & 0x7f;
}

#include <signal.h>
#include <stdio.h>
#include <string.h>
volatile int handled;
void handler(int sig) { handled = sig; }
int main(int argc, char **argv)
{
  if (argc > 1 && strcmp(argv[1], "segv") == 0) {
    volatile int *p = 0;
    *p = 1; /* crash here */
  }
  if (argc > 1 && strcmp(argv[1], "abort") == 0) {
    signal(SIGABRT, SIG_DFL);
    raise(SIGABRT);
  }
  signal(SIGUSR1, handler);
  raise(SIGUSR1);
  printf("handled=%d\n", handled);
  return handled == SIGUSR1 ? 0 : 1;
}

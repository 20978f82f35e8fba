/* A target for the guardian's tests: two threads ticking (the main one
   every PERIOD microseconds, argv[1], 1000 by default), code never run
   (`never_called`), and a variable written only once SIGUSR1 has come
   (`watched`), for a watchpoint that must not fire after the server's
   death. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

volatile unsigned long ticks;
volatile unsigned long worker_ticks;
volatile unsigned long watched;
volatile sig_atomic_t go;

void tick(void) { ticks++; }
void never_called(void) { ticks = 0; }

static void on_usr1(int sig) { (void)sig; go = 1; }

static void *worker(void *arg)
{
  (void)arg;
  for (;;) {
    worker_ticks++;
    usleep(1000);
  }
  return NULL;
}

int main(int argc, char **argv)
{
  long period = argc > 1 ? atol(argv[1]) : 1000;
  pthread_t thread;
  signal(SIGUSR1, on_usr1);
  setvbuf(stdout, NULL, _IONBF, 0);
  pthread_create(&thread, NULL, worker, NULL);
  printf("ready\n");
  for (;;) {
    tick();
    if (go)
      watched = ticks;
    usleep(period);
  }
}

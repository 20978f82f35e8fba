/* crowd N: N threads blocked on a barrier that never opens, and the main
   thread sleeping; prints "READY" once all have started (for attach). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static pthread_barrier_t never;
static void *blocked(void *arg)
{
  pthread_barrier_wait(&never);
  return arg;
}
int main(int argc, char **argv)
{
  int n = argc > 1 ? atoi(argv[1]) : 100;
  setvbuf(stdout, NULL, _IONBF, 0);
  pthread_barrier_init(&never, NULL, n + 2);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  for (int i = 0; i < n; i++) {
    pthread_t t;
    if (pthread_create(&t, &attr, blocked, NULL) != 0)
      return 2;
  }
  printf("READY\n");
  for (;;)
    pause();
}

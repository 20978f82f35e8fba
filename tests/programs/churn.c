/* Short-lived threads without end: each starts, counts, and exits, a few
   hundred a second, so that an attach meets threads coming and going. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
volatile unsigned long started, finished;
static void *brief(void *arg)
{
  (void)arg;
  __atomic_add_fetch(&finished, 1, __ATOMIC_RELAXED);
  return NULL;
}
int main(void)
{
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("ready\n");
  for (;;) {
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
      if (pthread_create(&t[i], NULL, brief, NULL) == 0)
        started++;
      else
        t[i] = 0;
    }
    for (int i = 0; i < 4; i++)
      if (t[i])
        pthread_join(t[i], NULL);
    usleep(2000);
  }
}

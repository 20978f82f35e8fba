/* Short-lived threads without end: each starts, counts, and exits, a few
   hundred a second, so that an attach meets threads coming and going.
   With "storm" as argv[1], three threads make and join them flat out. */
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
static void *spawner(void *arg)
{
  for (;;) {
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
      if (pthread_create(&t[i], NULL, brief, NULL) != 0)
        t[i] = 0;
    for (int i = 0; i < 8; i++)
      if (t[i])
        pthread_join(t[i], NULL);
  }
  return arg;
}
int main(int argc, char **argv)
{
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && argv[1][0] == 's') {
    pthread_t s[3];
    for (int i = 0; i < 3; i++)
      pthread_create(&s[i], NULL, spawner, NULL);
    printf("ready\n");
    pthread_join(s[0], NULL);
  }
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

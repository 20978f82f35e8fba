#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#define N 8
pthread_barrier_t barrier;
void all_started(void) {}
void *worker(void *arg)
{
  char name[16];
  snprintf(name, sizeof name, "worker-%ld", (long)arg);
  pthread_setname_np(pthread_self(), name);
  pthread_barrier_wait(&barrier);
  pthread_barrier_wait(&barrier);
  return NULL;
}
int main(void)
{
  pthread_t t[N];
  pthread_barrier_init(&barrier, NULL, N + 1);
  for (long i = 0; i < N; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  pthread_barrier_wait(&barrier);
  all_started();
  pthread_barrier_wait(&barrier);
  for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
  puts("joined");
  return 0;
}

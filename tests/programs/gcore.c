/* For the gcore tests: three workers parked in a barrier, a global and a
   heap buffer of ARGV[1] MiB (1 by default) filled with a known pattern,
   main stopped in ready(); exits 7 once the workers are joined. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#define N 3
pthread_barrier_t barrier;
unsigned long global_counter = 0x1234abcd5678ef01ul;
uint64_t *heap;
size_t heap_words;
void ready(void) {}
void worker_waits(long i)
{
  pthread_barrier_wait(&barrier);
  pthread_barrier_wait(&barrier);
}
void *worker(void *arg)
{
  worker_waits((long)arg);
  return NULL;
}
int main(int argc, char **argv)
{
  size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;
  heap_words = (mib << 20) / sizeof *heap;
  heap = malloc(heap_words * sizeof *heap);
  for (size_t i = 0; i < heap_words; i++)
    heap[i] = i * 0x9e3779b97f4a7c15ull + 1;
  pthread_barrier_init(&barrier, NULL, N + 1);
  pthread_t t[N];
  for (long i = 0; i < N; i++)
    pthread_create(&t[i], NULL, worker, (void *)i);
  pthread_barrier_wait(&barrier);
  ready();
  pthread_barrier_wait(&barrier);
  for (int i = 0; i < N; i++)
    pthread_join(t[i], NULL);
  return 7;
}

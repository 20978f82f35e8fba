/* A thread that exits alone, then a main thread that exits before the
   thread it started. */
#include <pthread.h>
#include <stddef.h>
static pthread_t main_thread;
void after_join(void) {}
void *quick(void *arg) { return arg; }
void *outlives_main(void *arg)
{
  pthread_join(main_thread, NULL);
  after_join();
  return arg;
}
int main(void)
{
  pthread_t q, t;
  pthread_create(&q, NULL, quick, NULL);
  pthread_join(q, NULL);
  main_thread = pthread_self();
  pthread_create(&t, NULL, outlives_main, NULL);
  pthread_exit(NULL);
}

/* Thread-local variables in the main program and in threads, for gdb's
   qGetTLSAddr. Each thread stores its own number in `mine`. */
#include <pthread.h>
#include <stdio.h>

__thread int mine = 100;
__thread char tag[8] = "main";

void checkpoint(int who) { (void)who; }

void *worker(void *arg)
{
  mine = (int)(long)arg;
  tag[0] = 'w';
  checkpoint(mine);
  return NULL;
}

int main(void)
{
  pthread_t threads[2];
  mine = 7;
  checkpoint(mine);
  for (long i = 0; i < 2; i++)
    pthread_create(&threads[i], NULL, worker, (void *)(i + 1));
  for (int i = 0; i < 2; i++)
    pthread_join(threads[i], NULL);
  return 0;
}

/* Threads that exit while gdb resumes only them, and a thread group leader
   that exits (pthread_exit) before the last thread. thread_a reaches
   a_checkpoint() and returns; then thread_b waits for the leader to exit
   and reaches after_leader_exit(). */
#include <pthread.h>
#include <stdio.h>

static pthread_t main_thread;

void a_checkpoint(void) {}
void after_leader_exit(void) {}

static void *thread_a(void *arg)
{
  a_checkpoint();
  return arg;
}

static void *thread_b(void *arg)
{
  pthread_join(main_thread, NULL);
  after_leader_exit();
  printf("leader gone\n");
  return arg;
}

int main(void)
{
  pthread_t a, b;
  pthread_create(&a, NULL, thread_a, NULL);
  pthread_join(a, NULL);
  main_thread = pthread_self();
  pthread_create(&b, NULL, thread_b, NULL);
  pthread_exit(NULL);
}

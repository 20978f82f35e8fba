/* Data for watchpoints: writes, a read, an 8-byte value, a 16-byte block,
   a write from a thread created after the watchpoint was set, and a
   function for hardware breakpoints. */
#include <pthread.h>
#include <stdio.h>

volatile int counter;
volatile int read_me = 7;
volatile long wide_value;
volatile char block[16] __attribute__((aligned(16)));
volatile long a1, a2, a3, a4, a5;
int sink;

void *worker(void *arg)
{
  (void)arg;
  counter = 100;
  return NULL;
}

void hw_target(void)
{
  sink++;
}

int main(void)
{
  pthread_t thread;
  counter = 1;
  counter = 2;
  sink = read_me;
  wide_value = 5;
  block[12] = 1;
  a1 = a2 = a3 = a4 = a5 = 1;
  pthread_create(&thread, NULL, worker, NULL);
  pthread_join(thread, NULL);
  hw_target();
  printf("done %d\n", counter);
  return 0;
}

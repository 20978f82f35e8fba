/* Two threads, one after the other, each ending with a raw exit system
   call at the global label `exit_insn` (x86_64), then a clean exit: gdb
   15+ steps over a breakpoint there (or on the clone syscall that makes
   each thread) and must hear of the thread's exit or clone. */
#include <pthread.h>
#include <stdio.h>
static void *worker(void *arg)
{
  (void)arg;
  __asm__ volatile(".globl exit_insn\n\t"
                   "mov $60, %%eax\n\t"
                   "xor %%edi, %%edi\n"
                   "exit_insn:\n\t"
                   "syscall" ::: "memory");
  return NULL;
}
int main(void)
{
  setvbuf(stdout, NULL, _IONBF, 0);
  for (int i = 0; i < 2; i++) {
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    printf("joined %d\n", i);
  }
  return 0;
}

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
/* One thread, made and waited for. */
static void one_thread(int i)
{
  pthread_t t;
  if (pthread_create(&t, NULL, worker, NULL) == 0 && pthread_join(t, NULL) == 0)
    printf("joined %d\n", i);
}
int main(void)
{
  setvbuf(stdout, NULL, _IONBF, 0);
  one_thread(0);
  one_thread(1);
  return 0;
}

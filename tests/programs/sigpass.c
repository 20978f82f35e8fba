/* Signals for gdb's signal handling: a burst of SIGUSR1 (to pass without
   stopping), a SIGUSR2 sent with sigqueue carrying a value (for
   $_siginfo), and a SIGINT handler (for `signal SIGINT`). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

volatile int usr1_count;
volatile int sival_seen = -1;
volatile int sigint_count;

void on_usr1(int sig) { (void)sig; usr1_count++; }
void on_int(int sig) { (void)sig; sigint_count++; }
void on_usr2(int sig, siginfo_t *info, void *ctx)
{
  (void)sig; (void)ctx;
  sival_seen = info->si_value.sival_int;
}

void checkpoint(void) {}

int main(void)
{
  struct sigaction sa;
  union sigval value;
  setvbuf(stdout, NULL, _IONBF, 0);
  signal(SIGUSR1, on_usr1);
  signal(SIGINT, on_int);
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr2;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR2, &sa, NULL);

  for (int i = 0; i < 20; i++)
    kill(getpid(), SIGUSR1);
  value.sival_int = 5;
  sigqueue(getpid(), SIGUSR2, value);
  checkpoint();
  printf("usr1=%d sival=%d sigint=%d\n", usr1_count, sival_seen, sigint_count);
  return 0;
}

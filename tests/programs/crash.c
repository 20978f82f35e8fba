/* Crashes for `--crash-report`. By default a second thread writes
 * through a null pointer three calls deep: start_thread -> worker -> a ->
 * b -> c, while main waits in pthread_join. The first argument picks
 * another ending:
 *   handled  SIGSEGV has a handler, which exits 3;
 *   abort    the second thread calls abort() (SIGABRT);
 *   trap     the second thread raises SIGTRAP (the program's, not a
 *            debugger's);
 *   wait     the crash waits until the file named by the second argument
 *            exists (for --attach), then happens as by default;
 *   exit     no crash: exit 7.
 * noipa keeps gcc from inlining or cloning a, b and c at -O2; each does
 * work after its call, so no call becomes a tail jump. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile int sink;
static const char *mode = "";
static const char *trigger;

__attribute__((noinline, noipa)) int c(int x)
{
    if (strcmp(mode, "abort") == 0)
        abort();
    if (strcmp(mode, "trap") == 0)
        raise(SIGTRAP);
    *(volatile int *)0 = x;
    return x * 3 + sink;
}

__attribute__((noinline, noipa)) int b(int x)
{
    int r = c(x + 1);
    sink += r;
    return r + 1;
}

__attribute__((noinline, noipa)) int a(int x)
{
    int r = b(x + 2);
    sink += r;
    return r + 2;
}

static void *worker(void *arg)
{
    if (trigger)
        while (access(trigger, F_OK) != 0)
            usleep(10000);
    int r = a((int)(long)arg);
    sink += r;
    return (void *)(long)r;
}

static void handler(int sig)
{
    (void)sig;
    _exit(3);
}

int main(int argc, char **argv)
{
    pthread_t t;
    if (argc > 1)
        mode = argv[1];
    if (strcmp(mode, "exit") == 0)
        return 7;
    if (strcmp(mode, "handled") == 0)
        signal(SIGSEGV, handler);
    if (strcmp(mode, "wait") == 0 && argc > 2)
        trigger = argv[2];
    pthread_create(&t, 0, worker, (void *)1L);
    pthread_join(t, 0);
    return 0;
}

/* A thread stopped three calls deep, for `monitor backtrace`. By default
 * a second thread: main -> pthread_create -> worker -> a -> b -> c. With
 * -DVIA_SIGNAL, c runs in a signal handler instead (main -> raise ->
 * handler -> b -> c), to unwind through the kernel's signal frame. Each
 * function does work after its call, so no call becomes a tail jump; noipa
 * keeps gcc from inlining or cloning them at -O2. Exits 42. */
#include <pthread.h>
#include <signal.h>

volatile int sink;

__attribute__((noinline, noipa)) int c(int x)
{
    sink = x;
    return x * 3 + sink;
}

__attribute__((noinline, noipa)) int b(int x)
{
    int r = c(x + 1);
    sink += r;
    return r + 1;
}

#ifdef VIA_SIGNAL
static void handler(int sig)
{
    sink += b(sig);
}

int main(void)
{
    signal(SIGUSR1, handler);
    raise(SIGUSR1);
    return sink > 0 ? 42 : 1;
}
#else
__attribute__((noinline, noipa)) int a(int x)
{
    int r = b(x + 2);
    sink += r;
    return r + 2;
}

static void *worker(void *arg)
{
    int r = a((int)(long)arg);
    sink += r;
    return (void *)(long)r;
}

int main(void)
{
    pthread_t thread;
    void *result = 0;
    if (pthread_create(&thread, 0, worker, (void *)1) != 0)
        return 1;
    pthread_join(thread, &result);
    return result != 0 ? 42 : 2;
}
#endif

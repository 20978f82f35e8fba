/* A named worker thread that keeps running, and a main thread that calls
 * sq() twice, stores the sum in `result` and exits with 7: for lldb's
 * thread list, finish, next, step, watchpoints and exit code. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

volatile int counter;
int result;

static void *worker(void *arg) {
    (void)arg;
    pthread_setname_np(pthread_self(), "worker1");
    for (;;) {
        counter++;
        usleep(1000);
    }
    return 0;
}

int sq(int x) { return x * x; }

int main(void) {
    pthread_t t;
    pthread_create(&t, 0, worker, 0);
    usleep(20000);
    int r = sq(3);
    r += sq(4);
    result = r;
    printf("r=%d result=%d\n", r, result);
    return 7;
}

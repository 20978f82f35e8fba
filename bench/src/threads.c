/* attach-bt: N threads blocked in a condition wait, for an attach and
   `thread apply all bt`. Prints "ready" once all are started. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int started;
__attribute__((noinline)) static void wait_forever(void)
{
    pthread_mutex_lock(&lock);
    started++;
    for (;;)
        pthread_cond_wait(&never, &lock);
}
static void *worker(void *arg) { (void)arg; wait_forever(); return NULL; }
int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100;
    alarm(600);
    for (int i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, NULL) != 0)
            return 1;
    }
    for (;;) {
        pthread_mutex_lock(&lock);
        int done = started == n;
        pthread_mutex_unlock(&lock);
        if (done)
            break;
        usleep(1000);
    }
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}

/* A dynamically linked program for the boards: it calls into its own shared
   library (libdynlib.so: lib_work, the __thread lib_tls set to 1100 in the
   main thread and 2200 in a worker), dlopens a second library (argv[1],
   default /t/libdllib.so) and calls its first(), then sleeps in libc
   (nanosleep), so that a breakpoint inside libc has a stack back to main. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

void lib_set_tls(int value);
int lib_work(int x);

static void *worker(void *arg)
{
  (void)arg;
  lib_set_tls(2200);
  return (void *)(long)lib_work(2);
}

int main(int argc, char **argv)
{
  const char *plugin = argc > 1 ? argv[1] : "/t/libdllib.so";
  lib_set_tls(1100);
  int sum = lib_work(1);

  void *handle = dlopen(plugin, RTLD_NOW);
  if (handle == NULL) {
    fprintf(stderr, "dlopen %s: %s\n", plugin, dlerror());
    return 2;
  }
  int (*first)(int) = (int (*)(int))dlsym(handle, "first");
  if (first == NULL)
    return 3;
  sum += first(3);

  pthread_t thread;
  void *result;
  pthread_create(&thread, NULL, worker, NULL);
  pthread_join(thread, &result);
  sum += (int)(long)result;

  struct timespec pause = {0, 1000000};
  nanosleep(&pause, NULL);
  printf("dynmain sum %d\n", sum);
  return 0;
}

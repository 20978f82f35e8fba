/* Loading libraries at run time. "reload LIB_A LIB_B": LIB_A is opened, its
   first() called and closed, then LIB_B (mapped where LIB_A was) is opened
   and its second() called. "dlmopen LIB_A": LIB_A is opened in the main
   link-map namespace and again in a new one (dlmopen), then the second
   copy's first() is called. "trap LIB..." opens each library and raises
   SIGTRAP after each load, then closes the last one and raises SIGTRAP
   again (a raw protocol client sees the list grow and shrink). Prints
   where each function is. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

void loaded(void) {}

static int call(void *handle, const char *name)
{
  int (*fn)(int) = (int (*)(int))dlsym(handle, name);
  if (fn == NULL) {
    fprintf(stderr, "dlsym %s: %s\n", name, dlerror());
    return -1;
  }
  printf("%s at %p\n", name, (void *)fn);
  fflush(stdout);
  return fn(1);
}

static void *open_or_die(Lmid_t ns, const char *path)
{
  void *h = ns == LM_ID_BASE ? dlopen(path, RTLD_NOW) : dlmopen(ns, path, RTLD_NOW);
  if (h == NULL)
    fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
  return h;
}

int main(int argc, char **argv)
{
  if (argc == 4 && strcmp(argv[1], "reload") == 0) {
    void *a = open_or_die(LM_ID_BASE, argv[2]);
    if (a == NULL)
      return 2;
    call(a, "first");
    dlclose(a);
    void *b = open_or_die(LM_ID_BASE, argv[3]);
    if (b == NULL)
      return 2;
    call(b, "second");
    dlclose(b);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "dlmopen") == 0) {
    void *base = open_or_die(LM_ID_BASE, argv[2]);
    void *other = open_or_die(LM_ID_NEWLM, argv[2]);
    if (base == NULL || other == NULL)
      return 2;
    loaded();
    call(other, "first");
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "trap") == 0) {
    void *last = NULL;
    for (int i = 2; i < argc; i++) {
      last = open_or_die(LM_ID_BASE, argv[i]);
      if (last == NULL)
        return 2;
      raise(SIGTRAP);
    }
    dlclose(last);
    raise(SIGTRAP);
    return 0;
  }
  fprintf(stderr, "usage: dl reload LIB_A LIB_B | dl dlmopen LIB_A | dl trap LIB...\n");
  return 2;
}

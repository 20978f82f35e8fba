/* Prints what it was started with: arguments, $FOO, working directory and
   whether address-space randomization is off. Exits with argc. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/personality.h>

int main(int argc, char **argv)
{
  char cwd[4096];
  const char *foo = getenv("FOO");
  for (int i = 1; i < argc; i++)
    printf("arg%d=%s\n", i, argv[i]);
  printf("FOO=%s\n", foo ? foo : "(unset)");
  printf("cwd=%s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
  printf("norandom=%d\n", (personality(0xffffffff) & ADDR_NO_RANDOMIZE) ? 1 : 0);
  fflush(stdout);
  return argc;
}

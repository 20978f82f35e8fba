/* Exec the program named by argv[1] with the arguments after it: a
   64-bit program that becomes a 32-bit one, for tests/i386.rs. */
#include <unistd.h>
int main(int argc, char **argv)
{
  if (argc < 2)
    return 2;
  execv(argv[1], argv + 1);
  return 99;
}

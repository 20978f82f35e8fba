/* fork, vfork and exec for gdb's process events. `forks fork` and `forks
   vfork` make a child that returns in_child()'s 42 as its exit code;
   `forks exec` runs itself again as `forks after-exec`. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int in_child(void) { return 42; }
void after_fork(void) {}
void exec_marker(void) {}

int main(int argc, char **argv)
{
  const char *mode = argc > 1 ? argv[1] : "fork";
  int status = 0;
  pid_t pid;
  setvbuf(stdout, NULL, _IONBF, 0);
  if (strcmp(mode, "after-exec") == 0) {
    exec_marker();
    printf("after exec\n");
    return 7;
  }
  if (strcmp(mode, "exec") == 0) {
    execl(argv[0], argv[0], "after-exec", (char *)NULL);
    return 1;
  }
  pid = strcmp(mode, "vfork") == 0 ? vfork() : fork();
  if (pid == 0)
    _exit(in_child());
  waitpid(pid, &status, 0);
  after_fork();
  printf("child exited %d\n", WEXITSTATUS(status));
  return 0;
}

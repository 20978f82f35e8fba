/* Two threads, one after the other, each exiting once it reads a byte
   from the FIFO named by argv[1]; then the program waits to be killed. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
static const char *fifo;
static void *reader(void *arg)
{
  char c;
  int fd = open(fifo, O_RDONLY);
  (void)arg;
  if (read(fd, &c, 1) != 1)
    return (void *)1;
  close(fd);
  return NULL;
}
int main(int argc, char **argv)
{
  if (argc < 2)
    return 2;
  fifo = argv[1];
  setvbuf(stdout, NULL, _IONBF, 0);
  for (int i = 0; i < 2; i++) {
    pthread_t t;
    pthread_create(&t, NULL, reader, NULL);
    pthread_join(t, NULL);
    printf("joined %d\n", i);
  }
  for (;;)
    pause();
}

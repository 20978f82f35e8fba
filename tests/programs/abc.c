#include <stdio.h>
int counter;
int a(int x) { counter += x; return counter; }
int b(void) { return a(1); }
int c(void) { return a(2); }
int main(void)
{
  b();
  c();
  printf("counter %d\n", counter);
  return 3;
}

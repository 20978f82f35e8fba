/* A breakpoint condition to evaluate ten times: visit(i) for i = 0..9. */
#include <stdio.h>

volatile int total;

void visit(int i) { total += i; }

int main(void)
{
  for (int i = 0; i < 10; i++)
    visit(i);
  printf("total %d\n", total);
  return 0;
}

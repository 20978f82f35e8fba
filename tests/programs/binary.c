/* Bytes that binary memory packets (x, X) must escape, next to runs that
   run-length encoding compresses, and a function to plant a breakpoint in. */
#include <stdio.h>
unsigned char specials[64] =
  "#$}*#$}*}}}}}}}}********########$$$$$$$$"
  "#\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03\x03"
  "\x00\xff\x7d\x5d\x20\x0a\x0d\x01";
volatile int counter;
int work(int x)
{
  counter += x;
  return counter * 2 + specials[x];
}
int main(void)
{
  int sum = 0;
  for (int i = 0; i < 3; i++)
    sum += work(i);
  printf("sum=%d specials=%02x%02x%02x%02x\n", sum, specials[0], specials[1], specials[2], specials[3]);
  return 0;
}

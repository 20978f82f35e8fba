/* A shared library built twice with different FUNC names: the two builds
   have the same layout, so one loaded where the other was unloaded has its
   function at the same address. */
#ifndef FUNC
#define FUNC first
#endif

int dllib_counter;

int FUNC(int x)
{
  dllib_counter += x;
  return dllib_counter * 10;
}

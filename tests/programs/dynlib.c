/* A shared library of dynmain.c's: a function to break on, and a __thread
   variable each thread sets to its own value (gdb's `print` of it goes
   through the library's TLS module, qGetTLSAddr with its link_map). */
__thread int lib_tls = 5;

void lib_set_tls(int value)
{
  lib_tls = value;
}

int lib_work(int x)
{
  return lib_tls + x;
}

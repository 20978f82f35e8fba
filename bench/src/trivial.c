/* startup-trivial: a program that does nothing; what is timed is the
   server starting it and gdb connecting and running it to the end. */
int main(void) { return 0; }

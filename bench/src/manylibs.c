/* startup-libs: linked (with --no-as-needed) against a dozen and more
   shared libraries, so that connecting reads a long library list and
   gdb fetches every library through vFile. */
int main(void) { return 0; }

/* Calls into a page that cannot be executed, as gdb's dummy frame on the
 * stack is returned to: the call faults with SIGSEGV at the page's first
 * byte. With a breakpoint of gdb's there, gdb takes the fault for the
 * breakpoint's hit even when it passes SIGSEGV. Without one, the program's
 * own handler counts the fault and jumps back out. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static sigjmp_buf back;
static volatile int faults;
void *volatile page;

static void on_segv(int sig) {
    (void)sig;
    faults++;
    siglongjmp(back, 1);
}

void ready(void) {}

int main(void) {
    page = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return 2;
    memset(page, 0xc3, 4096); /* ret, were it executable */
    signal(SIGSEGV, on_segv);
    ready();
    if (sigsetjmp(back, 1) == 0)
        ((void (*)(void))page)();
    printf("faults=%d\n", faults);
    return faults == 1 ? 0 : 3;
}

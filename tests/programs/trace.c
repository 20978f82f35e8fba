/* For the tracepoint tests: a loop whose local and buffer change at each
   pass, traced at `record` (one call per pass). */
#include <stdio.h>
#include <string.h>

char buffer[16];
int total;

void record(int i)
{
    total += i;
}

void end(void)
{
}

int main(void)
{
    int i;
    for (i = 0; i < 5; i++) {
        int square = i * i;
        snprintf(buffer, sizeof buffer, "pass %d", i);
        record(square);
    }
    end();
    printf("total %d\n", total);
    return 0;
}

/* Puts known values in zmm7, zmm23 (only AVX-512 has it) and k1, stops in
 * checkpoint() for gdb to read them and write new ones, then prints what
 * the registers hold after gdb resumed it. Built with -mavx512f; run only
 * where the CPU has AVX-512. */
#include <stdio.h>

__attribute__((noinline)) void checkpoint(void) { __asm__ volatile("" ::: "memory"); }

int main(void)
{
    unsigned long long in[8], out7[8], out23[8], k;
    for (int i = 0; i < 8; i++)
        in[i] = 0x0101010101010101ULL * (i + 1);
    __asm__ volatile("vmovdqu64 %0, %%zmm7\n\t"
                     "vmovdqu64 %0, %%zmm23\n\t"
                     "movq $0x5a5a, %%rax\n\t"
                     "kmovq %%rax, %%k1"
                     :
                     : "m"(in)
                     : "rax", "xmm7", "xmm23", "k1");
    checkpoint();
    __asm__ volatile("vmovdqu64 %%zmm7, %0\n\t"
                     "vmovdqu64 %%zmm23, %1\n\t"
                     "kmovq %%k1, %%rax\n\t"
                     "movq %%rax, %2"
                     : "=m"(out7), "=m"(out23), "=m"(k)
                     :
                     : "rax");
    printf("zmm7=");
    for (int i = 7; i >= 0; i--)
        printf("%016llx", out7[i]);
    printf("\nzmm23=");
    for (int i = 7; i >= 0; i--)
        printf("%016llx", out23[i]);
    printf("\nk1=%llx\n", k);
    return 0;
}

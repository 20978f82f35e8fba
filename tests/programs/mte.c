/* arm64 memory tagging (MTE) under a debugger: a PROT_MTE page whose
 * first granule gets a random tag (irg, never 0 or 5) stored with stg;
 * gdb, stopped in stop_here, reads the allocation tag and writes 5; the
 * program then reads the tag back itself (ldg) and prints it, and stores
 * through its old pointer: a tag mismatch, a synchronous SIGSEGV
 * (SEGV_MTESERR). argv[1] names the session in the output.
 * Built only for arm64: -march=armv8.5-a+memtag. */
#include <stdint.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#ifndef PROT_MTE
#define PROT_MTE 0x20
#endif
#ifndef HWCAP2_MTE
#define HWCAP2_MTE (1 << 18)
#endif
#ifndef PR_SET_TAGGED_ADDR_CTRL
#define PR_SET_TAGGED_ADDR_CTRL 55
#define PR_TAGGED_ADDR_ENABLE (1UL << 0)
#endif
#ifndef PR_MTE_TCF_SYNC
#define PR_MTE_TCF_SYNC (1UL << 1)
#define PR_MTE_TAG_SHIFT 3
#endif

/* The tagged pointer gdb looks at. */
volatile unsigned char *ptr;

/* ptr with a random logical tag, excluding the tags in the mask `exclude`. */
static void *random_tag(void *p, uint64_t exclude)
{
  void *tagged;
  __asm__ volatile("irg %0, %1, %2" : "=r"(tagged) : "r"(p), "r"(exclude));
  return tagged;
}

/* Set the allocation tag of p's granule to p's logical tag. */
static void store_tag(void *p)
{
  __asm__ volatile("stg %0, [%0]" : : "r"(p) : "memory");
}

/* The allocation tag of p's granule, as the program sees it. */
static unsigned load_tag(void *p)
{
  void *q = p;
  __asm__ volatile("ldg %0, [%1]" : "+r"(q) : "r"(p));
  return (unsigned)((uintptr_t)q >> 56) & 0xf;
}

void __attribute__((noinline)) stop_here(void)
{
  __asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
  const char *who = argc > 1 ? argv[1] : "-";
  if (!(getauxval(AT_HWCAP2) & HWCAP2_MTE)) {
    printf("mte %s: no MTE\n", who);
    return 2;
  }
  if (prctl(PR_SET_TAGGED_ADDR_CTRL,
            PR_TAGGED_ADDR_ENABLE | PR_MTE_TCF_SYNC | (0xfffeUL << PR_MTE_TAG_SHIFT), 0, 0, 0)) {
    perror("prctl");
    return 3;
  }
  unsigned char *page = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_MTE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    perror("mmap");
    return 4;
  }
  unsigned char *p = random_tag(page, (1 << 0) | (1 << 5));
  store_tag(p);
  ptr = p;
  ptr[0] = 1;
  printf("mte %s: tag %u\n", who, load_tag(p));
  stop_here();
  printf("mte %s: ldg after gdb %u\n", who, load_tag(page));
  fflush(stdout);
  ptr[1] = 2; /* tag mismatch here */
  printf("mte %s: no fault\n", who);
  return 0;
}

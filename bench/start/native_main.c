/* native_main.c -- the native x86-64 build (host gcc -O2): the physical limit of the
 * suite. Prints the checksum exactly as the Linux RV64 build does. */
#include <inttypes.h>
#include <stdio.h>

uint64_t bench_main(void);

int main(void) {
  printf("%016" PRIx64 "\n", bench_main());
  return 0;
}

/* gen_bytes -- writes N deterministic pseudo-random bytes (xorshift64*, fixed seed) to
 * stdout: the 32 KiB account data that the sha256_32k transaction hashes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 32768;
  uint64_t s = 0x3332B0B5ULL;
  for (long i = 0; i < n; i++) {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    putchar((int)((s * 0x2545F4914F6CDD1DULL) >> 56));
  }
  return 0;
}

/* bench.h -- what every program of the real-program suite shares.
 *
 * A program defines `uint64_t bench_main(void)`: it computes deterministically, checks
 * its own results where it can (a failed check folds BENCH_FAILED into the result), and
 * returns a 64-bit checksum. The same source is built four ways (bench/Makefile): a raw
 * RV64 image for `thru raw` (full ISA and rv64imc), a static Linux RV64 ELF for
 * qemu-riscv64 and a native x86-64 binary; every build must return the same checksum.
 *
 * Portability rules that keep the builds equal: fixed-width unsigned arithmetic (no
 * signed overflow), no `char` whose signedness matters, no floating point, no reliance
 * on libc beyond memcpy/memset (bench/start/rt.c provides them on RISC-V).
 *
 * BENCH_SHORT (the "-short" variants) scales a program down to about 10^6-10^7
 * instructions, the size of a Thru transaction.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

uint64_t bench_main(void);

void *memcpy(void *dst, void const *src, size_t n);
void *memset(void *dst, int c, size_t n);

#ifdef BENCH_SHORT
#define BENCH_SCALE(long_value, short_value) (short_value)
#else
#define BENCH_SCALE(long_value, short_value) (long_value)
#endif

/* Folded into a checksum when a self-check fails, so the result cannot match the
 * recorded one (bench/programs/checksums.txt). */
#define BENCH_FAILED 0xBADC0DE5BADC0DE5ULL

/* xorshift64*: the suite's deterministic pseudo-random source (state must not be 0). */
static inline uint64_t bench_rand(uint64_t *state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

/* Fold a value into a running checksum (a multiply-xorshift step). */
static inline uint64_t bench_fold(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  h *= 0xBF58476D1CE4E5B9ULL;
  return h ^ (h >> 31);
}

#define BENCH_NOINLINE __attribute__((noinline))

#endif /* BENCH_H */

/* fib -- doubly recursive Fibonacci: call-heavy code (a call, a return and a stack frame
 * per few instructions). Self-check: each result equals the iterative value. */
#include "bench.h"

#define TOP BENCH_SCALE(33, 21)

BENCH_NOINLINE static uint64_t fib(uint64_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static uint64_t fib_iterative(uint64_t n) {
  uint64_t a = 0, b = 1;
  while (n--) {
    uint64_t t = a + b;
    a = b;
    b = t;
  }
  return a;
}

uint64_t bench_main(void) {
  uint64_t h = 0;
  int failed = 0;
  for (uint64_t n = TOP - 4; n <= TOP; n++) {
    uint64_t f = fib(n);
    if (f != fib_iterative(n)) failed = 1;
    h = bench_fold(h, f);
  }
  return failed ? h ^ BENCH_FAILED : h;
}

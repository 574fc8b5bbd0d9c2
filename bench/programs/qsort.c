/* qsort -- quicksort (median of three, insertion sort below 16 elements, recursion on the
 * smaller side) of pseudo-random 32-bit keys, several rounds. Self-check: the result is in
 * order and has the same sum and xor as the input. */
#include "bench.h"

#define N BENCH_SCALE(60000, 3000)
#define ROUNDS BENCH_SCALE(28, 2)

static uint32_t keys[N];

static void insertion_sort(uint32_t *a, long n) {
  for (long i = 1; i < n; i++) {
    uint32_t v = a[i];
    long j = i - 1;
    while (j >= 0 && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

static void swap(uint32_t *a, uint32_t *b) {
  uint32_t t = *a;
  *a = *b;
  *b = t;
}

static void quicksort(uint32_t *a, long n) {
  while (n > 16) {
    long mid = n / 2;
    if (a[mid] < a[0]) swap(&a[mid], &a[0]);
    if (a[n - 1] < a[0]) swap(&a[n - 1], &a[0]);
    if (a[n - 1] < a[mid]) swap(&a[n - 1], &a[mid]);
    uint32_t pivot = a[mid];
    long i = 0, j = n - 1;
    for (;;) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i >= j) break;
      swap(&a[i], &a[j]);
      i++;
      j--;
    }
    long left = j + 1;
    if (left < n - left) {
      quicksort(a, left);
      a += left;
      n -= left;
    } else {
      quicksort(a + left, n - left);
      n = left;
    }
  }
  insertion_sort(a, n);
}

uint64_t bench_main(void) {
  uint64_t state = 0x51A7E5EEDULL, h = 0;
  int failed = 0;
  for (int r = 0; r < ROUNDS; r++) {
    uint64_t sum = 0;
    uint32_t x = 0;
    for (long i = 0; i < N; i++) {
      /* Few distinct values in odd rounds, to exercise equal keys. */
      uint32_t v = (uint32_t)(bench_rand(&state) >> 32);
      keys[i] = (r & 1) ? v % 1000 : v;
      sum += keys[i];
      x ^= keys[i];
    }
    quicksort(keys, N);
    for (long i = 0; i < N; i++) {
      if (i > 0 && keys[i - 1] > keys[i]) failed = 1;
      sum -= keys[i];
      x ^= keys[i];
    }
    if (sum != 0 || x != 0) failed = 1;
    for (long i = 0; i < N; i += N / 64) h = bench_fold(h, keys[i]);
  }
  return failed ? h ^ BENCH_FAILED : h;
}

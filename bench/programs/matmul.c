/* matmul -- 32-bit integer matrix multiply, C = A x B with 96x96 matrices (arithmetic
 * modulo 2^32), then the next A taken from C. Self-check: (A x B) v = A (B v) for a vector
 * v, which holds exactly modulo 2^32. */
#include "bench.h"

#define N 96
#define ROUNDS BENCH_SCALE(50, 2)

static uint32_t a[N][N], b[N][N], c[N][N];
static uint32_t v[N], bv[N], abv[N];

static void multiply(void) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) c[i][j] = 0;
  for (int i = 0; i < N; i++)
    for (int k = 0; k < N; k++) {
      uint32_t x = a[i][k];
      for (int j = 0; j < N; j++) c[i][j] += x * b[k][j];
    }
}

uint64_t bench_main(void) {
  uint64_t state = 0x3A7A1ULL, h = 0;
  int failed = 0;
  for (int i = 0; i < N; i++) {
    v[i] = (uint32_t)bench_rand(&state);
    for (int j = 0; j < N; j++) {
      a[i][j] = (uint32_t)bench_rand(&state);
      b[i][j] = (uint32_t)bench_rand(&state);
    }
  }
  for (int r = 0; r < ROUNDS; r++) {
    multiply();
    for (int i = 0; i < N; i++) {
      uint32_t s = 0;
      for (int j = 0; j < N; j++) s += b[i][j] * v[j];
      bv[i] = s;
    }
    for (int i = 0; i < N; i++) {
      uint32_t s = 0, t = 0;
      for (int j = 0; j < N; j++) s += a[i][j] * bv[j], t += c[i][j] * v[j];
      abv[i] = s;
      if (s != t) failed = 1;
    }
    uint64_t s = 0;
    for (int i = 0; i < N; i++) s = bench_fold(s, c[i][(i * 7 + r) % N]);
    h = bench_fold(h, s);
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) a[i][j] = c[i][j] ^ (uint32_t)(i + j + r);
  }
  return failed ? h ^ BENCH_FAILED : h;
}

/* ptrchase -- pointer chasing over 4 MiB: 262,144 nodes of 16 bytes (next pointer and a
 * value) linked in one random cycle through the array (Sattolo's shuffle), so nearly every
 * step lands on another page and cache line. Each lap sums the values along the cycle.
 * Self-check: a lap visits every node exactly once (count and sum of values). */
#include "bench.h"

#define NODES (1u << 18)
#define LAPS BENCH_SCALE(30, 1)

typedef struct cell {
  struct cell *next;
  uint64_t value;
} cell;

static cell cells[NODES];
static uint32_t order[NODES];

uint64_t bench_main(void) {
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  for (uint32_t i = 0; i < NODES; i++) order[i] = i;
  /* Sattolo: a uniformly random cyclic permutation. */
  for (uint32_t i = NODES - 1; i > 0; i--) {
    uint32_t j = (uint32_t)(bench_rand(&state) % i);
    uint32_t t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  uint64_t expected = 0;
  for (uint32_t i = 0; i < NODES; i++) {
    cells[i].next = &cells[order[i]];
    cells[i].value = (uint64_t)i * 2654435761u;
    expected += cells[i].value;
  }
  int failed = 0;
  uint64_t h = 0;
  cell *p = &cells[0];
  for (int lap = 0; lap < LAPS; lap++) {
    uint64_t sum = 0, count = 0;
    do {
      sum += p->value;
      p->value ^= count & 1;
      count++;
      p = p->next;
    } while (p != &cells[0]);
    if (count != NODES) failed = 1;
    if (lap == 0 && sum != expected) failed = 1;
    h = bench_fold(h, sum);
  }
  return failed ? h ^ BENCH_FAILED : h;
}

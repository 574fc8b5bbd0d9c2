/* mulhash -- multiply-based hashing: a 64-bit multiply-xorshift hash of every 8-byte word
 * of a buffer (with a 128-bit multiply fold, `mulhu` on RISC-V), and an open-addressing
 * hash table (Fibonacci hashing, linear probing) filled and probed with the hashes.
 * Self-check: every inserted key is found with its value, and absent keys are not. */
#include "bench.h"

#define WORDS 8192
#define TABLE_BITS 14
#define TABLE_SIZE (1u << TABLE_BITS)
#define ROUNDS BENCH_SCALE(300, 3)
#define INSERTS 9000

static uint64_t data[WORDS];
static uint64_t table_key[TABLE_SIZE];
static uint64_t table_value[TABLE_SIZE];

static uint64_t mulfold(uint64_t a, uint64_t b) {
  unsigned __int128 p = (unsigned __int128)a * b;
  return (uint64_t)p ^ (uint64_t)(p >> 64);
}

static uint64_t hash_words(uint64_t const *w, long n, uint64_t seed) {
  uint64_t h = seed ^ 0x243F6A8885A308D3ULL;
  for (long i = 0; i + 1 < n; i += 2) {
    h = mulfold(w[i] ^ 0xA0761D6478BD642FULL ^ h, w[i + 1] ^ 0xE7037ED1A0B428DBULL);
    h ^= h >> 29;
  }
  return mulfold(h, 0x8EBC6AF09C88C6E3ULL);
}

static unsigned slot_of(uint64_t key) { return (unsigned)((key * 0x9E3779B97F4A7C15ULL) >> (64 - TABLE_BITS)); }

static void insert(uint64_t key, uint64_t value) {
  unsigned s = slot_of(key);
  while (table_key[s] != 0 && table_key[s] != key) s = (s + 1) & (TABLE_SIZE - 1);
  table_key[s] = key;
  table_value[s] = value;
}

static int lookup(uint64_t key, uint64_t *value) {
  unsigned s = slot_of(key);
  while (table_key[s] != 0) {
    if (table_key[s] == key) {
      *value = table_value[s];
      return 1;
    }
    s = (s + 1) & (TABLE_SIZE - 1);
  }
  return 0;
}

uint64_t bench_main(void) {
  uint64_t state = 0xC0FFEE123ULL, h = 0;
  int failed = 0;
  for (long i = 0; i < WORDS; i++) data[i] = bench_rand(&state);
  for (int r = 0; r < ROUNDS; r++) {
    uint64_t digest = hash_words(data, WORDS, (uint64_t)r);
    data[r % WORDS] ^= digest;
    memset(table_key, 0, sizeof table_key);
    uint64_t k = digest | 1;
    for (int i = 0; i < INSERTS; i++) {
      insert(k, (uint64_t)i);
      k = (k * 0xD1342543DE82EF95ULL + 1) | 1;
    }
    k = digest | 1;
    uint64_t found = 0, v = 0;
    for (int i = 0; i < INSERTS; i++) {
      if (!lookup(k, &v) || v != (uint64_t)i) failed = 1;
      found += v;
      if (lookup(k ^ 0x8000000000000000ULL, &v) && (k ^ 0x8000000000000000ULL) != 0) found ^= v << 1;
      k = (k * 0xD1342543DE82EF95ULL + 1) | 1;
    }
    h = bench_fold(h, digest ^ found);
  }
  return failed ? h ^ BENCH_FAILED : h;
}

/* sha256 -- SHA-256 (FIPS 180-4) in plain C over a generated buffer, hashed again and
 * again with the previous digest mixed in. Rotations compile to Zbb `ror` in the full
 * build and to shift pairs in the rv64imc one. Self-check: the digests of "abc" and of
 * the 448-bit FIPS 180-2 message. */
#include "bench.h"

#define BUFFER_SIZE 16384
#define ROUNDS BENCH_SCALE(500, 2)

static uint32_t const K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void compress(uint32_t h[8], uint8_t const *block) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 | (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

static void sha256(uint8_t const *data, uint64_t n, uint8_t out[32]) {
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  uint64_t done = 0;
  for (; n - done >= 64; done += 64) compress(h, data + done);
  uint8_t last[128];
  uint64_t rest = n - done;
  memset(last, 0, sizeof last);
  for (uint64_t i = 0; i < rest; i++) last[i] = data[done + i];
  last[rest] = 0x80;
  uint64_t blocks = rest + 9 > 64 ? 2 : 1;
  uint64_t bits = n * 8;
  for (int i = 0; i < 8; i++) last[blocks * 64 - 1 - i] = (uint8_t)(bits >> (8 * i));
  compress(h, last);
  if (blocks == 2) compress(h, last + 64);
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 4; j++) out[4 * i + j] = (uint8_t)(h[i] >> (24 - 8 * j));
}

static int digest_is(uint8_t const *d, uint32_t w0, uint32_t w7) {
  uint32_t first = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
  uint32_t last = (uint32_t)d[28] << 24 | (uint32_t)d[29] << 16 | (uint32_t)d[30] << 8 | d[31];
  return first == w0 && last == w7;
}

static uint8_t buffer[BUFFER_SIZE];

uint64_t bench_main(void) {
  uint8_t d[32];
  int failed = 0;
  sha256((uint8_t const *)"abc", 3, d);
  if (!digest_is(d, 0xba7816bf, 0xf20015ad)) failed = 1;
  sha256((uint8_t const *)"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
  if (!digest_is(d, 0x248d6a61, 0x19db06c1)) failed = 1;

  uint64_t state = 0x5A256ULL;
  for (int i = 0; i < BUFFER_SIZE; i += 8) {
    uint64_t v = bench_rand(&state);
    for (int j = 0; j < 8; j++) buffer[i + j] = (uint8_t)(v >> (8 * j));
  }
  uint64_t h = 0;
  for (int r = 0; r < ROUNDS; r++) {
    sha256(buffer, BUFFER_SIZE - (uint64_t)r % 61, d);
    for (int j = 0; j < 32; j++) buffer[(r * 32 + j) % BUFFER_SIZE] ^= d[j];
    uint64_t w = 0;
    for (int j = 0; j < 8; j++) w = w << 8 | d[j];
    h = bench_fold(h, w);
  }
  return failed ? h ^ BENCH_FAILED : h;
}

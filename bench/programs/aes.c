/* aes -- AES-128 encryption with 32-bit lookup tables ("T-tables"): four 1 KiB tables and
 * 40 lookups per round, the shape of table-driven block ciphers. The S-box and tables are
 * computed at start (inverse in GF(2^8) and the affine map), not stored. Blocks are
 * encrypted in a chained mode over a buffer, many rounds. Self-check: the FIPS-197
 * Appendix C.1 vector. */
#include "bench.h"

#define BLOCKS 1024
#define ROUNDS BENCH_SCALE(400, 2)

static uint8_t sbox[256];
static uint32_t te0[256], te1[256], te2[256], te3[256];

static uint8_t xtime(uint8_t x) { return (uint8_t)((x << 1) ^ ((x & 0x80) ? 0x1B : 0)); }

static uint8_t gmul(uint8_t a, uint8_t b) {
  uint8_t p = 0;
  while (b) {
    if (b & 1) p ^= a;
    a = xtime(a);
    b >>= 1;
  }
  return p;
}

static void tables(void) {
  for (int x = 0; x < 256; x++) {
    uint8_t inv = 0;
    for (int y = 1; y < 256 && x; y++)
      if (gmul((uint8_t)x, (uint8_t)y) == 1) inv = (uint8_t)y;
    uint8_t s = inv;
    for (int i = 1; i < 5; i++) s ^= (uint8_t)((inv << i) | (inv >> (8 - i)));
    sbox[x] = (uint8_t)(s ^ 0x63);
  }
  for (int x = 0; x < 256; x++) {
    uint8_t s = sbox[x];
    uint32_t t = (uint32_t)xtime(s) << 24 | (uint32_t)s << 16 | (uint32_t)s << 8 | (uint32_t)(xtime(s) ^ s);
    te0[x] = t;
    te1[x] = t >> 8 | t << 24;
    te2[x] = t >> 16 | t << 16;
    te3[x] = t >> 24 | t << 8;
  }
}

static uint32_t round_keys[44];

static uint32_t sub_word(uint32_t w) {
  return (uint32_t)sbox[w >> 24] << 24 | (uint32_t)sbox[(w >> 16) & 255] << 16 | (uint32_t)sbox[(w >> 8) & 255] << 8 | sbox[w & 255];
}

static void expand_key(uint8_t const key[16]) {
  for (int i = 0; i < 4; i++) round_keys[i] = (uint32_t)key[4 * i] << 24 | (uint32_t)key[4 * i + 1] << 16 | (uint32_t)key[4 * i + 2] << 8 | key[4 * i + 3];
  uint8_t rcon = 1;
  for (int i = 4; i < 44; i++) {
    uint32_t t = round_keys[i - 1];
    if (i % 4 == 0) {
      t = sub_word(t << 8 | t >> 24) ^ (uint32_t)rcon << 24;
      rcon = xtime(rcon);
    }
    round_keys[i] = round_keys[i - 4] ^ t;
  }
}

static void encrypt(uint32_t s[4]) {
  uint32_t s0 = s[0] ^ round_keys[0], s1 = s[1] ^ round_keys[1], s2 = s[2] ^ round_keys[2], s3 = s[3] ^ round_keys[3];
  for (int r = 1; r < 10; r++) {
    uint32_t const *k = round_keys + 4 * r;
    uint32_t t0 = te0[s0 >> 24] ^ te1[(s1 >> 16) & 255] ^ te2[(s2 >> 8) & 255] ^ te3[s3 & 255] ^ k[0];
    uint32_t t1 = te0[s1 >> 24] ^ te1[(s2 >> 16) & 255] ^ te2[(s3 >> 8) & 255] ^ te3[s0 & 255] ^ k[1];
    uint32_t t2 = te0[s2 >> 24] ^ te1[(s3 >> 16) & 255] ^ te2[(s0 >> 8) & 255] ^ te3[s1 & 255] ^ k[2];
    uint32_t t3 = te0[s3 >> 24] ^ te1[(s0 >> 16) & 255] ^ te2[(s1 >> 8) & 255] ^ te3[s2 & 255] ^ k[3];
    s0 = t0, s1 = t1, s2 = t2, s3 = t3;
  }
  uint32_t const *k = round_keys + 40;
  s[0] = ((uint32_t)sbox[s0 >> 24] << 24 | (uint32_t)sbox[(s1 >> 16) & 255] << 16 | (uint32_t)sbox[(s2 >> 8) & 255] << 8 | sbox[s3 & 255]) ^ k[0];
  s[1] = ((uint32_t)sbox[s1 >> 24] << 24 | (uint32_t)sbox[(s2 >> 16) & 255] << 16 | (uint32_t)sbox[(s3 >> 8) & 255] << 8 | sbox[s0 & 255]) ^ k[1];
  s[2] = ((uint32_t)sbox[s2 >> 24] << 24 | (uint32_t)sbox[(s3 >> 16) & 255] << 16 | (uint32_t)sbox[(s0 >> 8) & 255] << 8 | sbox[s1 & 255]) ^ k[2];
  s[3] = ((uint32_t)sbox[s3 >> 24] << 24 | (uint32_t)sbox[(s0 >> 16) & 255] << 16 | (uint32_t)sbox[(s1 >> 8) & 255] << 8 | sbox[s2 & 255]) ^ k[3];
}

static uint32_t buffer[BLOCKS][4];

uint64_t bench_main(void) {
  tables();
  int failed = 0;
  /* FIPS-197 C.1: key 000102..0f, plaintext 00112233..ff -> 69c4e0d8 6a7b0430 d8cdb780 70b4c55a */
  uint8_t key[16];
  for (int i = 0; i < 16; i++) key[i] = (uint8_t)i;
  expand_key(key);
  uint32_t block[4] = {0x00112233, 0x44556677, 0x8899aabb, 0xccddeeff};
  encrypt(block);
  if (block[0] != 0x69c4e0d8 || block[1] != 0x6a7b0430 || block[2] != 0xd8cdb780 || block[3] != 0x70b4c55a) failed = 1;

  uint64_t state = 0xAE5128ULL, h = 0;
  for (int i = 0; i < BLOCKS; i++)
    for (int j = 0; j < 4; j++) buffer[i][j] = (uint32_t)bench_rand(&state);
  uint32_t chain[4] = {0, 0, 0, 0};
  for (int r = 0; r < ROUNDS; r++) {
    for (int i = 0; i < BLOCKS; i++) {
      for (int j = 0; j < 4; j++) chain[j] ^= buffer[i][j];
      encrypt(chain);
      for (int j = 0; j < 4; j++) buffer[i][j] = chain[j];
    }
    h = bench_fold(h, (uint64_t)chain[0] << 32 | chain[3]);
  }
  return failed ? h ^ BENCH_FAILED : h;
}

/* sha256.c -- SHA-256 with Zknh (sha256sum0/sum1/sig0/sig1) and PDA derivation. */
#include <thru.h>
#include <thru_sha256.h>

static uint32_t const K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

static uint32_t const H0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* Big-endian 32-bit load from any alignment (byte loads). */
static inline uint32_t load_be32(uint8_t const *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void compress(uint32_t h[8], uint8_t const *block) {
  uint32_t w[16];
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
  uint32_t e = h[4], f = h[5], g = h[6], hh = h[7];
  for (unsigned i = 0; i < 64; i++) {
    uint32_t wi;
    if (i < 16) {
      wi = load_be32(block + 4 * i);
    } else {
      /* W[i] = sig1(W[i-2]) + W[i-7] + sig0(W[i-15]) + W[i-16], kept in a ring */
      wi = thru_sha256sig1(w[(i - 2) & 15]) + w[(i - 7) & 15] +
           thru_sha256sig0(w[(i - 15) & 15]) + w[i & 15];
    }
    w[i & 15] = wi;
    uint32_t t1 = hh + thru_sha256sum1(e) + ((e & f) ^ (~e & g)) + K[i] + wi;
    uint32_t t2 = thru_sha256sum0(a) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

void thru_sha256_init(thru_sha256_t *ctx) {
  for (unsigned i = 0; i < 8; i++) ctx->h[i] = H0[i];
  ctx->total_sz = 0;
  ctx->buf_sz = 0;
}

void thru_sha256_update(thru_sha256_t *ctx, void const *data, uint64_t sz) {
  uint8_t const *p = data;
  ctx->total_sz += sz;
  if (ctx->buf_sz) {
    while (sz && ctx->buf_sz < 64) {
      ctx->buf[ctx->buf_sz++] = *p++;
      sz--;
    }
    if (ctx->buf_sz < 64) return;
    compress(ctx->h, ctx->buf);
    ctx->buf_sz = 0;
  }
  for (; sz >= 64; sz -= 64, p += 64) compress(ctx->h, p);
  while (sz--) ctx->buf[ctx->buf_sz++] = *p++;
}

void thru_sha256_fini(thru_sha256_t *ctx, uint8_t out[32]) {
  uint64_t bits = ctx->total_sz * 8;
  uint32_t n = ctx->buf_sz;
  ctx->buf[n++] = 0x80;
  if (n > 56) {
    while (n < 64) ctx->buf[n++] = 0;
    compress(ctx->h, ctx->buf);
    n = 0;
  }
  while (n < 56) ctx->buf[n++] = 0;
  for (unsigned i = 0; i < 8; i++) ctx->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
  compress(ctx->h, ctx->buf);
  for (unsigned i = 0; i < 8; i++) {
    out[4 * i + 0] = (uint8_t)(ctx->h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(ctx->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(ctx->h[i] >> 8);
    out[4 * i + 3] = (uint8_t)ctx->h[i];
  }
  ctx->buf_sz = 0;
}

void thru_sha256(void const *data, uint64_t sz, uint8_t out[32]) {
  thru_sha256_t ctx;
  thru_sha256_init(&ctx);
  thru_sha256_update(&ctx, data, sz);
  thru_sha256_fini(&ctx, out);
}

void thru_pda_compute(thru_pubkey_t *out, thru_pubkey_t const *owner_program, bool is_ephemeral,
                      uint8_t const seed[32]) {
  uint8_t flag = is_ephemeral ? 1 : 0;
  thru_sha256_t ctx;
  thru_sha256_init(&ctx);
  thru_sha256_update(&ctx, owner_program->b, 32);
  thru_sha256_update(&ctx, &flag, 1);
  thru_sha256_update(&ctx, seed, 32);
  thru_sha256_fini(&ctx, out->b);
}

void thru_pda_for_current_program(thru_pubkey_t *out, bool is_ephemeral, uint8_t const seed[32]) {
  thru_pda_compute(out, thru_current_program_key(), is_ephemeral, seed);
}

/* thru_sha256.h -- SHA-256 (FIPS 180-4) using the Zknh scalar-crypto
 * instructions, and program-derived addresses (PDA).
 *
 * GCC 12 has no intrinsics for Zknh, so the four SHA-256 sigma functions are
 * emitted with inline assembly (OP-IMM, funct3 = 001, rs1 = x, imm[11:0] =
 * 0x100/0x101/0x102/0x103).  On RV64 they operate on the low 32 bits of rs1
 * and sign-extend the 32-bit result.  Implementation: sdk/src/sha256.c.
 */
#ifndef THRU_SHA256_H
#define THRU_SHA256_H

#include "thru_base.h"

#if !defined(__riscv_zknh)
#error "thru_sha256.h needs the Zknh extension (-march=..._zknh)"
#endif

/* Sigma0 (big sigma, compression): ror(x,2) ^ ror(x,13) ^ ror(x,22) */
THRU_INLINE uint32_t thru_sha256sum0(uint32_t x) {
  uint64_t r;
  __asm__("sha256sum0 %0, %1" : "=r"(r) : "r"((uint64_t)x));
  return (uint32_t)r;
}
/* Sigma1: ror(x,6) ^ ror(x,11) ^ ror(x,25) */
THRU_INLINE uint32_t thru_sha256sum1(uint32_t x) {
  uint64_t r;
  __asm__("sha256sum1 %0, %1" : "=r"(r) : "r"((uint64_t)x));
  return (uint32_t)r;
}
/* sigma0 (small sigma, message schedule): ror(x,7) ^ ror(x,18) ^ (x >> 3) */
THRU_INLINE uint32_t thru_sha256sig0(uint32_t x) {
  uint64_t r;
  __asm__("sha256sig0 %0, %1" : "=r"(r) : "r"((uint64_t)x));
  return (uint32_t)r;
}
/* sigma1: ror(x,17) ^ ror(x,19) ^ (x >> 10) */
THRU_INLINE uint32_t thru_sha256sig1(uint32_t x) {
  uint64_t r;
  __asm__("sha256sig1 %0, %1" : "=r"(r) : "r"((uint64_t)x));
  return (uint32_t)r;
}

#define THRU_SHA256_DIGEST_SZ 32UL
#define THRU_SHA256_BLOCK_SZ 64UL

typedef struct {
  uint32_t h[8];
  uint64_t total_sz;  /* bytes hashed so far */
  uint32_t buf_sz;    /* bytes pending in buf */
  uint8_t buf[64];
} thru_sha256_t;

void thru_sha256_init(thru_sha256_t *ctx);
void thru_sha256_update(thru_sha256_t *ctx, void const *data, uint64_t sz);
void thru_sha256_fini(thru_sha256_t *ctx, uint8_t out[32]);
/* One-shot. */
void thru_sha256(void const *data, uint64_t sz, uint8_t out[32]);

/* Program-derived address (syscalls.md §3):
 *   SHA-256( owner_program_pubkey[32] || is_ephemeral (1 byte, 0 or 1) || seed[32] )
 * account_create uses is_ephemeral = 0, account_create_ephemeral uses 1, and the
 * owner is the program executing the syscall. */
void thru_pda_compute(thru_pubkey_t *out, thru_pubkey_t const *owner_program, bool is_ephemeral,
                      uint8_t const seed[32]);
/* Same with owner = the currently executing program. */
void thru_pda_for_current_program(thru_pubkey_t *out, bool is_ephemeral, uint8_t const seed[32]);

#endif /* THRU_SHA256_H */

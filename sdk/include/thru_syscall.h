/* thru_syscall.h -- raw ThruVM system-call wrappers (syscalls.md).
 *
 * Convention: `ecall` with a7 = syscall number, arguments in a0..a6, result
 * code in a0.  increment_anonymous_segment_sz (0x01) and invoke (0x0A) also
 * return a value in a1.  The VM preserves every other register, so each wrapper
 * declares only a0 (plus a1 for 0x01/0x0A) as written, and "memory" because the
 * VM reads/writes memory through pointer arguments.
 *
 * Return values are the signed 64-bit syscall codes (THRU_SYSCALL_*).
 */
#ifndef THRU_SYSCALL_H
#define THRU_SYSCALL_H

#include "thru_base.h"

/* Little-endian loads from possibly unaligned memory (byte accesses). */
THRU_INLINE uint64_t thru_load_u64(void const *p) {
  uint64_t v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

/* a0 <- syscall(nr; a0..aN-1).  Generic helpers with 1..7 arguments. */
THRU_INLINE long thru__syscall1(uint64_t nr, uint64_t x0) {
  register uint64_t a0 __asm__("a0") = x0;
  register uint64_t a7 __asm__("a7") = nr;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
  return (long)a0;
}

THRU_INLINE long thru__syscall2(uint64_t nr, uint64_t x0, uint64_t x1) {
  register uint64_t a0 __asm__("a0") = x0;
  register uint64_t a1 __asm__("a1") = x1;
  register uint64_t a7 __asm__("a7") = nr;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a7) : "memory");
  return (long)a0;
}

THRU_INLINE long thru__syscall3(uint64_t nr, uint64_t x0, uint64_t x1, uint64_t x2) {
  register uint64_t a0 __asm__("a0") = x0;
  register uint64_t a1 __asm__("a1") = x1;
  register uint64_t a2 __asm__("a2") = x2;
  register uint64_t a7 __asm__("a7") = nr;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
  return (long)a0;
}

THRU_INLINE long thru__syscall4(uint64_t nr, uint64_t x0, uint64_t x1, uint64_t x2,
                                uint64_t x3) {
  register uint64_t a0 __asm__("a0") = x0;
  register uint64_t a1 __asm__("a1") = x1;
  register uint64_t a2 __asm__("a2") = x2;
  register uint64_t a3 __asm__("a3") = x3;
  register uint64_t a7 __asm__("a7") = nr;
  __asm__ volatile("ecall"
                   : "+r"(a0)
                   : "r"(a1), "r"(a2), "r"(a3), "r"(a7)
                   : "memory");
  return (long)a0;
}

THRU_INLINE long thru__syscall5(uint64_t nr, uint64_t x0, uint64_t x1, uint64_t x2,
                                uint64_t x3, uint64_t x4) {
  register uint64_t a0 __asm__("a0") = x0;
  register uint64_t a1 __asm__("a1") = x1;
  register uint64_t a2 __asm__("a2") = x2;
  register uint64_t a3 __asm__("a3") = x3;
  register uint64_t a4 __asm__("a4") = x4;
  register uint64_t a7 __asm__("a7") = nr;
  __asm__ volatile("ecall"
                   : "+r"(a0)
                   : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a7)
                   : "memory");
  return (long)a0;
}

THRU_INLINE long thru__syscall7(uint64_t nr, uint64_t x0, uint64_t x1, uint64_t x2,
                                uint64_t x3, uint64_t x4, uint64_t x5, uint64_t x6) {
  register uint64_t a0 __asm__("a0") = x0;
  register uint64_t a1 __asm__("a1") = x1;
  register uint64_t a2 __asm__("a2") = x2;
  register uint64_t a3 __asm__("a3") = x3;
  register uint64_t a4 __asm__("a4") = x4;
  register uint64_t a5 __asm__("a5") = x5;
  register uint64_t a6 __asm__("a6") = x6;
  register uint64_t a7 __asm__("a7") = nr;
  __asm__ volatile("ecall"
                   : "+r"(a0)
                   : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(a6), "r"(a7)
                   : "memory");
  return (long)a0;
}

/* 0x00: size the stack (size = 0x1000000 - offset(addr)) or heap
 * (size = offset(addr)) segment.  Size must be a multiple of 4096. */
THRU_INLINE long thru_sys_set_anonymous_segment_sz(void *addr) {
  return thru__syscall1(THRU_SYSCALL_NR_SET_ANONYMOUS_SEGMENT_SZ, (uint64_t)addr);
}

/* 0x01: grow (delta > 0) / shrink (delta < 0) / query (0) the segment that
 * contains segment_addr; *boundary (if non-NULL) receives a1 = the resulting
 * segment boundary address. */
THRU_INLINE long thru_sys_increment_anonymous_segment_sz(void *segment_addr, long delta,
                                                        void **boundary) {
  register uint64_t a0 __asm__("a0") = (uint64_t)segment_addr;
  register uint64_t a1 __asm__("a1") = (uint64_t)delta;
  register uint64_t a7 __asm__("a7") = THRU_SYSCALL_NR_INCREMENT_ANONYMOUS_SEGMENT_SZ;
  __asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a7) : "memory");
  if (boundary) *boundary = (void *)a1;
  return (long)a0;
}

/* 0x02 */
THRU_INLINE long thru_sys_set_account_data_writable(uint64_t account_idx) {
  return thru__syscall1(THRU_SYSCALL_NR_SET_ACCOUNT_DATA_WRITABLE, account_idx);
}

/* 0x03 */
THRU_INLINE long thru_sys_account_transfer(uint64_t from_idx, uint64_t to_idx,
                                           uint64_t amount) {
  return thru__syscall3(THRU_SYSCALL_NR_ACCOUNT_TRANSFER, from_idx, to_idx, amount);
}

/* 0x04: persistent account at SHA-256(program || 0x00 || seed), with a
 * CREATION state proof.  The seed travels as four little-endian u64 words. */
THRU_INLINE long thru_sys_account_create(uint64_t account_idx, uint8_t const seed[32],
                                         void const *proof, uint64_t proof_sz) {
  return thru__syscall7(THRU_SYSCALL_NR_ACCOUNT_CREATE, account_idx, thru_load_u64(seed),
                        thru_load_u64(seed + 8), thru_load_u64(seed + 16),
                        thru_load_u64(seed + 24), (uint64_t)proof, proof_sz);
}

/* 0x05: ephemeral account at SHA-256(program || 0x01 || seed). */
THRU_INLINE long thru_sys_account_create_ephemeral(uint64_t account_idx,
                                                   uint8_t const seed[32]) {
  return thru__syscall5(THRU_SYSCALL_NR_ACCOUNT_CREATE_EPHEMERAL, account_idx,
                        thru_load_u64(seed), thru_load_u64(seed + 8),
                        thru_load_u64(seed + 16), thru_load_u64(seed + 24));
}

/* 0x06: signature may be NULL (a1 = 0). */
THRU_INLINE long thru_sys_account_delete(uint64_t account_idx,
                                         thru_signature_t const *signature) {
  return thru__syscall2(THRU_SYSCALL_NR_ACCOUNT_DELETE, account_idx, (uint64_t)signature);
}

/* 0x07 */
THRU_INLINE long thru_sys_account_resize(uint64_t account_idx, uint64_t new_size) {
  return thru__syscall2(THRU_SYSCALL_NR_ACCOUNT_RESIZE, account_idx, new_size);
}

/* 0x08 */
THRU_INLINE long thru_sys_account_compress(uint64_t account_idx, void const *proof,
                                           uint64_t proof_sz) {
  return thru__syscall3(THRU_SYSCALL_NR_ACCOUNT_COMPRESS, account_idx, (uint64_t)proof,
                        proof_sz);
}

/* 0x09 */
THRU_INLINE long thru_sys_account_decompress(uint64_t account_idx, void const *meta,
                                             void const *data, void const *proof,
                                             uint64_t proof_sz) {
  return thru__syscall5(THRU_SYSCALL_NR_ACCOUNT_DECOMPRESS, account_idx, (uint64_t)meta,
                        (uint64_t)data, (uint64_t)proof, proof_sz);
}

/* 0x0A: raw invoke.  a0 = syscall code; *exit_code (if non-NULL) receives
 * a1 = the callee's exit code.  No SDK-side auth validation: see thru_invoke(). */
THRU_INLINE long thru_sys_invoke(void const *instr_data, uint64_t instr_data_sz,
                                 uint64_t program_idx, void const *auth,
                                 uint64_t *exit_code) {
  register uint64_t a0 __asm__("a0") = (uint64_t)instr_data;
  register uint64_t a1 __asm__("a1") = instr_data_sz;
  register uint64_t a2 __asm__("a2") = program_idx;
  register uint64_t a3 __asm__("a3") = (uint64_t)auth;
  register uint64_t a7 __asm__("a7") = THRU_SYSCALL_NR_INVOKE;
  __asm__ volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a3), "r"(a7) : "memory");
  if (exit_code) *exit_code = a1;
  return (long)a0;
}

/* 0x0B: never returns. */
THRU_INLINE THRU_NORETURN void thru_sys_exit(uint64_t exit_code, uint64_t revert) {
  register uint64_t a0 __asm__("a0") = exit_code;
  register uint64_t a1 __asm__("a1") = revert;
  register uint64_t a7 __asm__("a7") = THRU_SYSCALL_NR_EXIT;
  __asm__ volatile("ecall" : : "r"(a0), "r"(a1), "r"(a7) : "memory");
  __builtin_unreachable();
}

/* 0x0C: at most THRU_LOG_DATA_MAX_SZ bytes, written verbatim. */
THRU_INLINE long thru_sys_log(void const *data, uint64_t data_len) {
  return thru__syscall2(THRU_SYSCALL_NR_LOG, (uint64_t)data, data_len);
}

/* 0x0D */
THRU_INLINE long thru_sys_emit_event(void const *data, uint64_t data_sz) {
  return thru__syscall2(THRU_SYSCALL_NR_EMIT_EVENT, (uint64_t)data, data_sz);
}

/* 0x0E */
THRU_INLINE long thru_sys_account_set_flags(uint64_t account_idx, uint8_t flags) {
  return thru__syscall2(THRU_SYSCALL_NR_ACCOUNT_SET_FLAGS, account_idx, flags);
}

/* 0x0F */
THRU_INLINE long thru_sys_account_create_eoa(uint64_t account_idx,
                                             thru_signature_t const *signature,
                                             void const *proof, uint64_t proof_sz) {
  return thru__syscall4(THRU_SYSCALL_NR_ACCOUNT_CREATE_EOA, account_idx,
                        (uint64_t)signature, (uint64_t)proof, proof_sz);
}

#endif /* THRU_SYSCALL_H */

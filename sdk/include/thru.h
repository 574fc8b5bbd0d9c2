/* thru.h -- ThruModel C SDK for ThruVM programs (umbrella header).
 *
 *   #include <thru.h>
 *   THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
 *     thru_log_str("Hello, Thru!");
 *     thru_return(0);
 *   }
 *
 * The SDK `_start` (sdk/src/start.S) maps the stack, then calls start() with
 * a0 = instruction-data pointer, a1 = instruction-data size.  start() must end
 * with thru_return()/thru_revert(); if it returns anyway, _start reverts with
 * THRU_REVERT_START_RETURNED.
 *
 * Memory rules programs must respect (ThruVM faults otherwise):
 *  - no unaligned loads/stores (use thru_load_xx/thru_store_xx or memcpy for
 *    packed/unaligned data; build with -mstrict-align);
 *  - the program image (code, rodata, data) is read-only: globals are const in
 *    practice, and zero-initialised writable globals (.bss) are rejected at link;
 *  - account data is writable only for accounts writable in the transaction,
 *    owned by the current program, not program accounts, and only after
 *    thru_sys_set_account_data_writable(idx);
 *  - one account-data access must not cross a 4 KiB page (never happens for
 *    naturally aligned accesses).
 */
#ifndef THRU_H
#define THRU_H

#include "thru_base.h"
#include "thru_syscall.h"

#ifdef __cplusplus
#error "C only"
#endif

/* ------------------------------------------------------------------------- */
/* Program entry and exit                                                     */
/* ------------------------------------------------------------------------- */

/* Defined by every program; called by _start. */
THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz);

/* Finish the current frame successfully with `code` (user exit code). */
THRU_INLINE THRU_NORETURN void thru_return(uint64_t code) { thru_sys_exit(code, 0); }

/* Revert the whole transaction with user error code `code`. */
THRU_INLINE THRU_NORETURN void thru_revert(uint64_t code) { thru_sys_exit(code, 1); }

/* Revert with `code` unless `cond` holds. */
#define THRU_REQUIRE(cond, code)                                               \
  do {                                                                         \
    if (__builtin_expect(!(cond), 0)) thru_revert((uint64_t)(code));           \
  } while (0)

/* ------------------------------------------------------------------------- */
/* Freestanding C library subset (sdk/src/mem.c, sdk/src/log.c)               */
/* GCC may emit calls to memcpy/memset/memmove/memcmp itself.                 */
/* ------------------------------------------------------------------------- */

void *memcpy(void *restrict dst, void const *restrict src, size_t n);
void *memmove(void *dst, void const *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(void const *a, void const *b, size_t n);
size_t strlen(char const *s);

/* Little-endian access to possibly unaligned memory (byte-wise). */
THRU_INLINE uint16_t thru_load_u16(void const *p) {
  uint16_t v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
THRU_INLINE uint32_t thru_load_u32(void const *p) {
  uint32_t v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
/* thru_load_u64 is in thru_syscall.h */
THRU_INLINE void thru_store_u16(void *p, uint16_t v) { __builtin_memcpy(p, &v, sizeof v); }
THRU_INLINE void thru_store_u32(void *p, uint32_t v) { __builtin_memcpy(p, &v, sizeof v); }
THRU_INLINE void thru_store_u64(void *p, uint64_t v) { __builtin_memcpy(p, &v, sizeof v); }

/* ------------------------------------------------------------------------- */
/* Public keys                                                                */
/* ------------------------------------------------------------------------- */

THRU_INLINE bool thru_pubkey_eq(thru_pubkey_t const *a, thru_pubkey_t const *b) {
  return __builtin_memcmp(a, b, sizeof(thru_pubkey_t)) == 0;
}

THRU_INLINE bool thru_pubkey_is_zero(thru_pubkey_t const *a) {
  uint8_t acc = 0;
  for (unsigned i = 0; i < sizeof(a->b); i++) acc |= a->b[i];
  return acc == 0;
}

/* ------------------------------------------------------------------------- */
/* Transaction data (segment 0x00/0x0001)                                     */
/* ------------------------------------------------------------------------- */

THRU_INLINE thru_txn_hdr_t const *thru_txn_hdr(void) {
  return (thru_txn_hdr_t const *)THRU_TXN_DATA_ADDR;
}

THRU_INLINE uint64_t thru_txn_rw_cnt(void) { return thru_txn_hdr()->readwrite_accounts_cnt; }
THRU_INLINE uint64_t thru_txn_ro_cnt(void) { return thru_txn_hdr()->readonly_accounts_cnt; }

/* Number of accounts = fee payer + program + rw + ro. */
THRU_INLINE uint64_t thru_txn_account_cnt(void) {
  return 2UL + thru_txn_rw_cnt() + thru_txn_ro_cnt();
}

/* Pubkey of account `idx`, or NULL if idx is out of range. */
THRU_INLINE thru_pubkey_t const *thru_txn_account_key(uint64_t idx) {
  thru_txn_hdr_t const *h = thru_txn_hdr();
  if (idx == 0) return &h->fee_payer_pubkey;
  if (idx == 1) return &h->program_pubkey;
  if (idx >= thru_txn_account_cnt()) return NULL;
  return (thru_pubkey_t const *)(THRU_TXN_DATA_ADDR + THRU_TXN_HDR_SZ + 32UL * (idx - 2));
}

/* Transaction-level writability: fee payer and the read-write list. */
THRU_INLINE bool thru_txn_is_account_idx_writable(uint64_t idx) {
  return idx == 0 || (idx >= 2 && idx < 2UL + thru_txn_rw_cnt());
}

/* The transaction's (top-level) instruction data. */
THRU_INLINE uint8_t const *thru_txn_instr_data(void) {
  return (uint8_t const *)(THRU_TXN_DATA_ADDR + THRU_TXN_HDR_SZ +
                           32UL * (thru_txn_rw_cnt() + thru_txn_ro_cnt()));
}
THRU_INLINE uint64_t thru_txn_instr_data_sz(void) { return thru_txn_hdr()->instr_data_sz; }

/* Fee-payer state proof header, or NULL if the HAS_FEE_PAYER_PROOF flag is clear. */
THRU_INLINE thru_state_proof_hdr_t const *thru_txn_state_proof(void) {
  if (!(thru_txn_hdr()->flags & THRU_TXN_FLAG_HAS_FEE_PAYER_PROOF)) return NULL;
  return (thru_state_proof_hdr_t const *)(thru_txn_instr_data() + thru_txn_instr_data_sz());
}

/* Size of a state proof from its header: 40 + 32*(type + popcount(path_bitset)). */
THRU_INLINE uint64_t thru_state_proof_sz(thru_state_proof_hdr_t const *p) {
  uint64_t type = thru_load_u64(&p->type_slot) >> 62;
  uint64_t n = 0;
  for (unsigned i = 0; i < 4; i++) n += (uint64_t)__builtin_popcountl(thru_load_u64(&p->path_bitset[i]));
  return THRU_STATE_PROOF_HDR_SZ + 32UL * (type + n);
}

/* Index of the account with pubkey `pk`, or THRU_ACCOUNT_IDX_NONE. */
uint64_t thru_txn_find_account(thru_pubkey_t const *pk);

/* ------------------------------------------------------------------------- */
/* Shadow stack (segment 0x00/0x0002)                                         */
/* ------------------------------------------------------------------------- */

THRU_INLINE thru_shadow_stack_t const *thru_shadow_stack(void) {
  return (thru_shadow_stack_t const *)THRU_SHADOW_STACK_ADDR;
}
THRU_INLINE uint64_t thru_call_depth(void) { return thru_shadow_stack()->call_depth; }

THRU_INLINE thru_shadow_stack_frame_t const *thru_frame(uint64_t depth) {
  return &thru_shadow_stack()->stack_frames[depth];
}
THRU_INLINE thru_shadow_stack_frame_t const *thru_current_frame(void) {
  return thru_frame(thru_call_depth());
}

/* Account index of the executing program (1 at top level). */
THRU_INLINE uint64_t thru_current_program_idx(void) {
  return thru_current_frame()->program_acc_idx;
}
THRU_INLINE thru_pubkey_t const *thru_current_program_key(void) {
  return thru_txn_account_key(thru_current_program_idx());
}

/* Account index of the calling program, THRU_ACCOUNT_IDX_NONE at top level. */
THRU_INLINE uint64_t thru_caller_program_idx(void) {
  uint64_t d = thru_call_depth();
  return d < 2 ? THRU_ACCOUNT_IDX_NONE : thru_frame(d - 1)->program_acc_idx;
}

/* True if the current program already appears in a shallower frame. */
bool thru_is_program_reentrant(void);

/* ------------------------------------------------------------------------- */
/* Block context (segment 0x00/0x0004)                                        */
/* ------------------------------------------------------------------------- */

/* Context of the block `blocks_ago` blocks back (0 = current), or NULL if it
 * is outside the 512-block window or before slot 0. */
THRU_INLINE thru_block_ctx_t const *thru_block_ctx(uint64_t blocks_ago) {
  thru_block_ctx_t const *cur = (thru_block_ctx_t const *)THRU_BLOCK_CTX_ADDR;
  if (blocks_ago >= THRU_BLOCK_CTX_SPAN || (blocks_ago && blocks_ago > cur->slot)) return NULL;
  return (thru_block_ctx_t const *)(THRU_BLOCK_CTX_ADDR + blocks_ago * THRU_BLOCK_CTX_SPACING);
}
THRU_INLINE uint64_t thru_current_slot(void) { return thru_block_ctx(0)->slot; }

/* ------------------------------------------------------------------------- */
/* Accounts (metadata segment 0x02/idx, data segment 0x03/idx)               */
/* No bounds checks on idx unless stated: use thru_account_exists() first.   */
/* ------------------------------------------------------------------------- */

/* The record is 62 bytes at an 8-aligned address.  If GCC could see that
 * alignment it would read packed fields with aligned 8-byte loads, and the
 * last field (nonce, bytes 54..61) with a load of bytes 56..63, i.e. past the
 * end of the segment.  The empty asm hides the alignment, so every field is
 * read with in-bounds byte loads. */
THRU_INLINE thru_account_meta_t const *thru_account_meta(uint64_t idx) {
  thru_account_meta_t const *m = (thru_account_meta_t const *)THRU_ACCOUNT_META_ADDR(idx);
  __asm__("" : "+r"(m));
  return m;
}
/* Data pointer (page aligned).  Stores need set_account_data_writable first. */
THRU_INLINE uint8_t *thru_account_data(uint64_t idx) {
  return (uint8_t *)THRU_ACCOUNT_DATA_ADDR(idx);
}

/* idx is a valid transaction index and the account exists (version != 0). */
THRU_INLINE bool thru_account_exists(uint64_t idx) {
  return idx < thru_txn_account_cnt() && thru_account_meta(idx)->version != 0;
}
THRU_INLINE uint8_t thru_account_flags(uint64_t idx) { return thru_account_meta(idx)->flags; }
THRU_INLINE uint64_t thru_account_data_sz(uint64_t idx) { return thru_account_meta(idx)->data_sz; }
THRU_INLINE uint64_t thru_account_seq(uint64_t idx) { return thru_account_meta(idx)->seq; }
THRU_INLINE uint64_t thru_account_balance(uint64_t idx) { return thru_account_meta(idx)->balance; }
THRU_INLINE uint64_t thru_account_nonce(uint64_t idx) { return thru_account_meta(idx)->nonce; }
THRU_INLINE thru_pubkey_t const *thru_account_owner(uint64_t idx) {
  return &thru_account_meta(idx)->owner;
}

THRU_INLINE bool thru_account_is_program(uint64_t idx) {
  return (thru_account_flags(idx) & THRU_ACCOUNT_FLAG_PROGRAM) != 0;
}
THRU_INLINE bool thru_account_is_ephemeral(uint64_t idx) {
  return (thru_account_flags(idx) & THRU_ACCOUNT_FLAG_EPHEMERAL) != 0;
}
THRU_INLINE bool thru_account_is_owned_by(uint64_t idx, thru_pubkey_t const *owner) {
  return thru_pubkey_eq(thru_account_owner(idx), owner);
}
/* Account idx (bounds-checked) exists and is owned by account `owner_idx`. */
THRU_INLINE bool thru_account_is_owned_by_idx(uint64_t idx, uint64_t owner_idx) {
  thru_pubkey_t const *k = thru_txn_account_key(owner_idx);
  return k && thru_account_exists(idx) && thru_account_is_owned_by(idx, k);
}
THRU_INLINE bool thru_account_is_owned_by_current_program(uint64_t idx) {
  return thru_account_is_owned_by_idx(idx, thru_current_program_idx());
}
/* The static preconditions of set_account_data_writable: exists, writable in
 * the transaction, owned by the current program, not a program account. */
THRU_INLINE bool thru_account_is_writable_by_current_program(uint64_t idx) {
  return thru_txn_is_account_idx_writable(idx) &&
         thru_account_is_owned_by_current_program(idx) && !thru_account_is_program(idx);
}

/* ------------------------------------------------------------------------- */
/* Invoke and authorization (sdk/src/auth.c)                                  */
/* ------------------------------------------------------------------------- */

/* Fill a descriptor declared with THRU_INVOKE_AUTH_T(n) (n >= n_auth+n_deauth). */
#define THRU_INVOKE_AUTH_INIT(desc, n_auth, n_deauth)                          \
  do {                                                                         \
    (desc).magic = THRU_INVOKE_AUTH_MAGIC;                                     \
    (desc).auth_cnt = (uint16_t)(n_auth);                                      \
    (desc).deauth_cnt = (uint16_t)(n_deauth);                                  \
  } while (0)

/* Caller-side checks of a descriptor; reverts with THRU_REVERT_AUTH_* codes:
 * bad magic (0xBAD0A170), descriptor inside the PROGRAM segment (0xBAD0A175),
 * an index >= account count (0xBAD0A173), an auth index whose account is not
 * owned by the current program (0xBAD0A171). */
void thru_invoke_auth_validate(void const *auth);

/* Invoke program `program_idx` with instruction data and an optional auth
 * descriptor (validated first).  Instruction data inside the PROGRAM segment
 * (e.g. a const global) reverts with THRU_REVERT_INSTR_IN_PROGRAM_SEG, since
 * the callee would see its own code there.
 * Returns the syscall code; *exit_code receives the callee's exit code.  If the
 * callee reverts or faults the whole transaction ends and this never returns. */
long thru_invoke(void const *instr_data, uint64_t instr_data_sz, uint64_t program_idx,
                 void const *auth, uint64_t *exit_code);

/* SDK authorization check (syscalls.md §invoke): fee payer and the current
 * program are authorized; otherwise walk the callers' frames (deepest first):
 * a deauth entry for the account => no; an auth entry => yes if that caller
 * owns the account, else revert 0xBAD0A174; the caller program itself => yes. */
bool thru_is_account_authorized_by_idx(uint64_t idx);
/* Same, comparing pubkeys (e.g. an owner key stored in account data). */
bool thru_is_account_authorized_by_pubkey(thru_pubkey_t const *pk);

/* ------------------------------------------------------------------------- */
/* Logging (sdk/src/log.c).  Every call is one `log` syscall (<= 1024 bytes). */
/* ------------------------------------------------------------------------- */

THRU_INLINE long thru_log(void const *data, uint64_t len) { return thru_sys_log(data, len); }
THRU_INLINE long thru_log_str(char const *s) { return thru_sys_log(s, __builtin_strlen(s)); }

/* printf subset: %d %i %u %x %X %p %s %c %%, flags '-' '0', width, precision
 * (for %s, incl. '*'), length modifiers hh h l ll z j t.  Output longer than
 * THRU_PRINTF_BUF_SZ - 1 bytes is truncated.  Returns the untruncated length. */
#define THRU_PRINTF_BUF_SZ 256
int thru_printf(char const *fmt, ...) __attribute__((format(printf, 1, 2)));
int thru_snprintf(char *buf, size_t buf_sz, char const *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int thru_vsnprintf(char *buf, size_t buf_sz, char const *fmt, __builtin_va_list ap);

/* Logs "<label><hex of data>" (data truncated to fit one log line). */
long thru_log_hex(char const *label, void const *data, size_t n);

/* Name of a syscall return code, e.g. "ACCOUNT_NOT_WRITABLE" for -10. */
char const *thru_syscall_strerror(long rc);

#endif /* THRU_H */

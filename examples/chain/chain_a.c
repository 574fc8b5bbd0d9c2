/* chain_a -- caller half of the cross-program-invocation example.
 *
 * chain_a invokes another program of the same transaction (normally chain_b,
 * but any program, e.g. token) with an invoke-auth descriptor built on its
 * stack, logs the callee's exit code and returns it as its own exit code.
 * The callee's instruction data is copied from chain_a's own instruction data
 * onto chain_a's stack, so the callee reads it from its caller's stack.
 *
 * Accounts:
 *   0  fee payer
 *   1  chain_a (the transaction's program)
 *   callee_idx  the program to invoke (typically read-only)
 *   auth_idx    optional: an account owned by chain_a, listed as "authorized"
 *   deauth_idx  optional: an account listed as "deauthorized"
 *
 * Instruction data (little-endian):
 *   callee_idx u16 | auth_idx u16 | deauth_idx u16 | callee instruction data (0..512 bytes)
 *   auth_idx / deauth_idx = 0xFFFF means "no entry".
 *
 * With chain_b as callee (callee data = mode u8 | check_idx u16 | code u64):
 *   mode 0, code 7                                   -> chain_a exits with 7
 *   check_idx 0 (fee payer) or 1 (chain_a, caller)   -> chain_b logs "authorized: yes"
 *   check_idx = auth_idx (owned by chain_a)          -> "yes"
 *   check_idx = auth_idx = deauth_idx                -> "no" (deauth wins)
 *   check_idx = any other account                    -> "no"
 *   mode 1, code C -> the transaction reverts with user error code C raised by
 *                     chain_b (error_program_acc_idx = callee_idx); chain_a never resumes
 *   mode 2         -> code if authorized, else chain_b reverts 0xB003
 * With token as callee: a TRANSFER whose source owner pubkey is the key of
 * auth_idx (an account owned by chain_a) or chain_a's own key is authorized
 * through this descriptor / call chain.
 *
 * Logs (success path):
 *   "chain_a: invoking program <callee_idx> (auth <auth_idx>, deauth <deauth_idx>, <n> bytes)"
 *   ...the callee's logs...
 *   "chain_a: callee exited with code <code>"
 * Result: success, exit code = the callee's exit code.
 * Events: none of its own.
 * Reverts: 0xA001 instruction data shorter than 6 or longer than 6 + 512
 *   bytes; 1000+|rc| invoke syscall failed (e.g. 1008 bad index, 1009 no such
 *   account, 1017 not a program, 1024 call depth); SDK descriptor checks before
 *   the syscall: 0xBAD0A171 auth_idx not owned by chain_a, 0xBAD0A173 an index
 *   out of range.
 */
#include <thru.h>

#include "example.h"

#define NONE 0xFFFF
#define CALLEE_DATA_MAX 512

THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
  uint8_t const *d = instr_data;
  if (instr_data_sz < 6 || instr_data_sz > 6 + CALLEE_DATA_MAX)
    ex_fail(0xA001, "chain_a: bad instruction data size");
  uint64_t callee_idx = thru_load_u16(d + 0);
  uint16_t auth_idx = thru_load_u16(d + 2);
  uint16_t deauth_idx = thru_load_u16(d + 4);

  /* Descriptor with up to one auth and one deauth entry, on our stack: it
   * stays mapped and unchanged while the callee runs. */
  THRU_INVOKE_AUTH_T(2) auth;
  unsigned n_auth = 0, n_deauth = 0;
  if (auth_idx != NONE) auth.acc_idxs[n_auth++] = auth_idx;
  if (deauth_idx != NONE) auth.acc_idxs[n_auth + n_deauth++] = deauth_idx;
  THRU_INVOKE_AUTH_INIT(auth, n_auth, n_deauth);

  uint8_t callee_data[CALLEE_DATA_MAX];
  uint64_t callee_sz = instr_data_sz - 6;
  memcpy(callee_data, d + 6, callee_sz);

  thru_printf("chain_a: invoking program %lu (auth %u, deauth %u, %lu bytes)", callee_idx,
              auth_idx, deauth_idx, callee_sz);
  uint64_t callee_exit = 0;
  long rc = thru_invoke(callee_data, callee_sz, callee_idx, &auth, &callee_exit);
  ex_check(rc, 1, "invoke");
  thru_printf("chain_a: callee exited with code %lu", callee_exit);
  thru_return(callee_exit);
}

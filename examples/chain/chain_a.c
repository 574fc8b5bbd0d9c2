/* chain_a -- caller half of the cross-program-invocation example.
 *
 * chain_a invokes chain_b (another program account of the same transaction)
 * with an invoke-auth descriptor built on its stack, logs chain_b's exit code
 * and returns it as its own exit code.
 *
 * Accounts:
 *   0  fee payer
 *   1  chain_a (the transaction's program)
 *   b_idx      chain_b program account (typically read-only)
 *   auth_idx   optional: an account owned by chain_a, listed as "authorized"
 *   others     as needed for check_idx / deauth_idx
 *
 * Instruction data (little-endian, 17 bytes):
 *   b_idx u16 | auth_idx u16 | deauth_idx u16 | check_idx u16 | mode u8 | code u64
 *   auth_idx / deauth_idx = 0xFFFF means "no entry".  chain_b receives the
 *   11-byte instruction  mode | check_idx | code  (see chain_b.c).
 *
 * Expected outcomes (examples):
 *   mode 0, code 7                                    -> chain_a exits with 7
 *   check_idx = 0 (fee payer) or 1 (chain_a)          -> B logs "authorized: yes"
 *   check_idx = auth_idx (owned by chain_a)           -> "yes"
 *   check_idx = auth_idx but also deauth_idx          -> "no"
 *   check_idx = some other account                    -> "no"
 *   mode 1, code C -> transaction reverts with user error code C, raised by
 *                     chain_b (error_program_acc_idx = b_idx); chain_a never resumes
 *   mode 2         -> return code if authorized, else revert 0xB003 in chain_b
 *
 * Logs (success path):
 *   "chain_a: invoking program <b_idx> (auth <auth_idx>, deauth <deauth_idx>)"
 *   ...chain_b's two lines...
 *   "chain_a: chain_b exited with code <code>"
 * Result: success, exit code = chain_b's exit code.
 * Events: none.
 * Reverts: 0xA001 instruction data is not 17 bytes; 1000+|rc| invoke syscall
 *   failed (e.g. 1008 bad index, 1009 no such account, 1017 not a program,
 *   1024 call depth); SDK descriptor checks: 0xBAD0A171 auth_idx not owned by
 *   chain_a, 0xBAD0A173 index out of range.
 */
#include <thru.h>

#include "example.h"

#define NONE 0xFFFF

THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
  uint8_t const *d = instr_data;
  if (instr_data_sz != 17) ex_fail(0xA001, "chain_a: instruction data must be 17 bytes");
  uint64_t b_idx = thru_load_u16(d + 0);
  uint16_t auth_idx = thru_load_u16(d + 2);
  uint16_t deauth_idx = thru_load_u16(d + 4);

  /* Descriptor with up to one auth and one deauth entry; on our stack, which
   * stays mapped and untouched while chain_b runs. */
  THRU_INVOKE_AUTH_T(2) auth;
  unsigned n_auth = 0, n_deauth = 0;
  if (auth_idx != NONE) auth.acc_idxs[n_auth++] = auth_idx;
  if (deauth_idx != NONE) auth.acc_idxs[n_auth + n_deauth++] = deauth_idx;
  THRU_INVOKE_AUTH_INIT(auth, n_auth, n_deauth);

  /* chain_b's instruction: mode u8 | check_idx u16 | code u64 (copied from ours) */
  uint8_t b_instr[11];
  b_instr[0] = d[8];
  memcpy(b_instr + 1, d + 6, 2);
  memcpy(b_instr + 3, d + 9, 8);

  thru_printf("chain_a: invoking program %lu (auth %u, deauth %u)", b_idx, auth_idx, deauth_idx);
  uint64_t b_exit = 0;
  long rc = thru_invoke(b_instr, sizeof b_instr, b_idx, &auth, &b_exit);
  ex_check(rc, 1, "invoke");
  thru_printf("chain_a: chain_b exited with code %lu", b_exit);
  thru_return(b_exit);
}

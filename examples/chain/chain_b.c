/* chain_b -- callee half of the cross-program-invocation example (see chain_a.c).
 *
 * Can also run at top level.  It logs where it runs, checks whether account
 * `check_idx` is authorized (SDK thru_is_account_authorized_by_idx: fee payer,
 * the current program, a caller program, or an account in a caller's
 * invoke-auth descriptor that the caller owns; deauth entries win), then exits.
 *
 * Instruction data (little-endian, 11 bytes):
 *   mode u8 | check_idx u16 | code u64
 *     mode 0: return `code` (success; the caller receives it as exit code)
 *     mode 1: revert with `code` (aborts the whole transaction)
 *     mode 2: return `code` if check_idx is authorized, else revert 0xB003
 *
 * Accounts: whatever the caller's transaction has; check_idx must be a valid
 * index.
 *
 * Logs:
 *   "chain_b: depth <d>, caller <caller idx or 65535>, program <own idx>"
 *   "chain_b: account <check_idx> authorized: yes|no"
 * Events: none.
 * Reverts: 0xB001 instruction data is not 11 bytes; 0xB002 check_idx out of
 *   range; 0xB003 mode 2 and not authorized; 0xB004 unknown mode; `code` in
 *   mode 1; 0xBAD0A173/0xBAD0A174 from the SDK authorization walk.
 */
#include <thru.h>

#include "example.h"

THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
  uint8_t const *d = instr_data;
  if (instr_data_sz != 11) ex_fail(0xB001, "chain_b: instruction data must be 11 bytes");
  uint8_t mode = d[0];
  uint64_t check_idx = thru_load_u16(d + 1);
  uint64_t code = thru_load_u64(d + 3);

  thru_printf("chain_b: depth %lu, caller %lu, program %lu", thru_call_depth(),
              thru_caller_program_idx(), thru_current_program_idx());
  if (check_idx >= thru_txn_account_cnt()) ex_fail(0xB002, "chain_b: check_idx out of range");
  bool authorized = thru_is_account_authorized_by_idx(check_idx);
  thru_printf("chain_b: account %lu authorized: %s", check_idx, authorized ? "yes" : "no");

  switch (mode) {
  case 0: thru_return(code);
  case 1: thru_revert(code);
  case 2:
    if (authorized) thru_return(code);
    ex_fail(0xB003, "chain_b: not authorized");
  default: ex_fail(0xB004, "chain_b: unknown mode");
  }
}

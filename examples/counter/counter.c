/* counter -- increment a u64 counter kept in account 2's data.
 *
 * Accounts:
 *   0  fee payer (signer)
 *   1  this program
 *   2  counter account: read-write in the transaction (first rw account),
 *      exists, owned by this program, not a program account.  data_sz is 0
 *      (fresh account) or >= 8; the counter is the u64 LE at data offset 0.
 *
 * Instruction data:
 *   empty          increment by 1
 *   u64 LE delta   (exactly 8 bytes) increment by delta
 *
 * Behaviour: if data_sz < 8 the account is first resized to 8 bytes (new bytes
 * read as zero); then set_account_data_writable(2); then the counter is
 * updated in place.
 *
 * Result:  success, exit code 0.
 * Logs:    "counter: <old> -> <new>"
 * Events:  none.
 * Reverts (user error code):
 *   1     fewer than 3 accounts, or account 2 does not exist
 *   2     account 2 not writable in the transaction
 *   3     account 2 not owned by this program (or is a program account)
 *   4     instruction data is neither empty nor 8 bytes
 *   5     counter would overflow
 *   1000+|rc| account_resize failed (step 1), 2000+|rc| set_account_data_writable
 *         failed (step 2)
 */
#include <thru.h>

#include "example.h"

#define COUNTER_IDX 2

THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
  uint64_t delta = 1;
  if (instr_data_sz == 8) delta = thru_load_u64(instr_data);
  else if (instr_data_sz != 0) ex_fail(4, "instruction data must be empty or a u64");

  if (!thru_account_exists(COUNTER_IDX)) ex_fail(1, "account 2 missing");
  if (!thru_txn_is_account_idx_writable(COUNTER_IDX)) ex_fail(2, "account 2 not writable");
  if (!thru_account_is_owned_by_current_program(COUNTER_IDX) ||
      thru_account_is_program(COUNTER_IDX))
    ex_fail(3, "account 2 not owned by this program");

  if (thru_account_data_sz(COUNTER_IDX) < 8)
    ex_check(thru_sys_account_resize(COUNTER_IDX, 8), 1, "account_resize");
  ex_check(thru_sys_set_account_data_writable(COUNTER_IDX), 2, "set_account_data_writable");

  /* Account data is page aligned, so an aligned u64 access is fine. */
  uint64_t *counter = (uint64_t *)thru_account_data(COUNTER_IDX);
  uint64_t old = *counter;
  uint64_t new;
  if (__builtin_add_overflow(old, delta, &new)) ex_fail(5, "counter overflow");
  *counter = new;

  thru_printf("counter: %lu -> %lu", old, new);
  thru_return(0);
}

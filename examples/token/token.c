/* token -- a tiny token program.
 *
 * A token account is an account owned by this program whose 40-byte data is
 *     offset 0   owner   pubkey[32]   who may spend from the account
 *     offset 32  amount  u64 LE
 * The owner pubkey is an authority, not the account's VM owner (which is this
 * program).  Spending requires the authority to be *authorized* in the SDK
 * sense (thru_is_account_authorized_by_pubkey): it is the fee payer (the
 * transaction signer), the program running now, a program further up the
 * invoke chain, or an account listed in a caller's invoke-auth descriptor and
 * owned by that caller.
 *
 * Instruction data (integers little-endian, no padding):
 *   INIT      00 | acc u16 | owner pubkey[32] | amount u64          (43 bytes)
 *             Initialise an empty (data_sz == 0) token account: resize to 40
 *             and write {owner, amount}.  Toy program: no mint authority.
 *   TRANSFER  01 | from u16 | to u16 | amount u64                   (13 bytes)
 *             Move `amount` from token account `from` to token account `to`.
 *
 * Accounts: 0 fee payer, 1 this program (or the program index used by an
 * invoking caller); the accounts named by the instruction must be token
 * accounts (owned by this program; for TRANSFER data_sz == 40) that are
 * read-write in the transaction.
 *
 * Result:  success, exit code 0.
 * Logs:    INIT:     "token: init account <acc> amount <amount>"
 *          TRANSFER: "token: transfer <amount> from <from> to <to> (<src_left> left)"
 * Events:  none.
 * Reverts (user error code):
 *   1  malformed instruction (unknown opcode or wrong length)
 *   2  account index out of range
 *   3  not a token account (does not exist, not owned by this program, is a
 *      program account, or TRANSFER on data_sz != 40)
 *   4  account not read-write in the transaction
 *   5  INIT on an account whose data_sz != 0
 *   6  TRANSFER with from == to
 *   7  source owner not authorized
 *   8  insufficient balance
 *   9  destination balance would overflow
 *   1000+|rc| account_resize (step 1), 2000+|rc| set_account_data_writable on
 *   the target/source (step 2), 3000+|rc| set_account_data_writable on the
 *   destination (step 3)
 *   0xBAD0A173 / 0xBAD0A174 from the SDK authorization walk (malformed or
 *   unowned entry in a caller's auth descriptor)
 */
#include <thru.h>

#include "example.h"

#define OP_INIT 0
#define OP_TRANSFER 1
#define TOKEN_ACCOUNT_SZ 40

#define ERR_BAD_INSTR 1
#define ERR_BAD_INDEX 2
#define ERR_NOT_TOKEN_ACCOUNT 3
#define ERR_NOT_WRITABLE 4
#define ERR_ALREADY_INITIALIZED 5
#define ERR_SAME_ACCOUNT 6
#define ERR_UNAUTHORIZED 7
#define ERR_INSUFFICIENT_FUNDS 8
#define ERR_OVERFLOW 9

typedef struct {
  thru_pubkey_t owner;
  uint64_t amount;
} token_account_t;
_Static_assert(sizeof(token_account_t) == TOKEN_ACCOUNT_SZ, "token account layout");

/* Account data starts on a page boundary, so the struct is suitably aligned. */
static token_account_t *token_account(uint64_t idx) {
  return (token_account_t *)thru_account_data(idx);
}

/* Common checks for an account named by the instruction. */
static void check_account(uint64_t idx) {
  if (idx >= thru_txn_account_cnt()) ex_fail(ERR_BAD_INDEX, "account index out of range");
  if (!thru_account_is_owned_by_current_program(idx) || thru_account_is_program(idx))
    ex_fail(ERR_NOT_TOKEN_ACCOUNT, "not a token account");
  if (!thru_txn_is_account_idx_writable(idx)) ex_fail(ERR_NOT_WRITABLE, "account not writable");
}

static THRU_NORETURN void op_init(uint8_t const *d, uint64_t sz) {
  if (sz != 43) ex_fail(ERR_BAD_INSTR, "INIT needs 43 bytes");
  uint64_t acc = thru_load_u16(d + 1);
  check_account(acc);
  if (thru_account_data_sz(acc) != 0) ex_fail(ERR_ALREADY_INITIALIZED, "already initialized");

  ex_check(thru_sys_account_resize(acc, TOKEN_ACCOUNT_SZ), 1, "account_resize");
  ex_check(thru_sys_set_account_data_writable(acc), 2, "set_account_data_writable");
  token_account_t *t = token_account(acc);
  memcpy(&t->owner, d + 3, sizeof t->owner);
  t->amount = thru_load_u64(d + 35);

  thru_printf("token: init account %lu amount %lu", acc, t->amount);
  thru_return(0);
}

static THRU_NORETURN void op_transfer(uint8_t const *d, uint64_t sz) {
  if (sz != 13) ex_fail(ERR_BAD_INSTR, "TRANSFER needs 13 bytes");
  uint64_t from = thru_load_u16(d + 1);
  uint64_t to = thru_load_u16(d + 3);
  uint64_t amount = thru_load_u64(d + 5);

  check_account(from);
  check_account(to);
  if (from == to) ex_fail(ERR_SAME_ACCOUNT, "from == to");
  if (thru_account_data_sz(from) != TOKEN_ACCOUNT_SZ || thru_account_data_sz(to) != TOKEN_ACCOUNT_SZ)
    ex_fail(ERR_NOT_TOKEN_ACCOUNT, "not an initialized token account");

  token_account_t *src = token_account(from);
  token_account_t *dst = token_account(to);
  if (!thru_is_account_authorized_by_pubkey(&src->owner))
    ex_fail(ERR_UNAUTHORIZED, "source owner did not authorize");
  if (src->amount < amount) ex_fail(ERR_INSUFFICIENT_FUNDS, "insufficient funds");
  uint64_t new_dst;
  if (__builtin_add_overflow(dst->amount, amount, &new_dst)) ex_fail(ERR_OVERFLOW, "overflow");

  ex_check(thru_sys_set_account_data_writable(from), 2, "set_account_data_writable(from)");
  ex_check(thru_sys_set_account_data_writable(to), 3, "set_account_data_writable(to)");
  src->amount -= amount;
  dst->amount = new_dst;

  thru_printf("token: transfer %lu from %lu to %lu (%lu left)", amount, from, to, src->amount);
  thru_return(0);
}

THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
  uint8_t const *d = instr_data;
  if (instr_data_sz < 1) ex_fail(ERR_BAD_INSTR, "empty instruction");
  switch (d[0]) {
  case OP_INIT: op_init(d, instr_data_sz);
  case OP_TRANSFER: op_transfer(d, instr_data_sz);
  default: ex_fail(ERR_BAD_INSTR, "unknown opcode");
  }
}

/* accounts -- account life cycle: ephemeral and persistent program-derived
 * accounts (create, resize, write, delete).
 *
 * Program-derived address (PDA) = SHA-256(program pubkey || is_ephemeral || seed),
 * is_ephemeral = 1 for account_create_ephemeral, 0 for account_create.  The
 * program recomputes it (Zknh SHA-256) and checks it against the account key
 * before the syscall.
 *
 * Instruction data (little-endian):
 *   EPHEMERAL  00 | acc u16 | seed[32]                                (35 bytes)
 *     account_create_ephemeral(acc, seed); check meta (exists, EPHEMERAL flag,
 *     owner = this program, data_sz 0); resize to 64; set_account_data_writable;
 *     write bytes (7*i + 1) & 0xFF, i = 0..63, and read them back; resize to
 *     16 and re-check the first 16 bytes; account_delete(acc, no signature).
 *   CREATE     01 | acc u16 | seed[32] | proof_sz u16 | proof[proof_sz]
 *     account_create(acc, seed, proof, proof_sz) with the CREATION state proof
 *     taken straight from the instruction data; resize to 8;
 *     set_account_data_writable; write the 8 ASCII bytes "created!".
 *   DELETE     02 | acc u16                                           (3 bytes)
 *     account_delete(acc, no signature) (balance and nonce must be 0).
 *
 * Accounts: 0 fee payer, 1 this program, acc = a read-write account whose
 * pubkey is the PDA for (this program, is_ephemeral, seed) and which does not
 * exist yet (EPHEMERAL/CREATE), or an existing account owned by this program
 * (DELETE).
 *
 * Result: success, exit code 0.
 * Logs:
 *   EPHEMERAL: "accounts: ephemeral account <acc> created"
 *              "accounts: wrote and verified 64 bytes, shrunk to 16"
 *              "accounts: deleted, flags now 0x<flags>"
 *   CREATE:    "accounts: persistent account <acc> created (proof <n> bytes)"
 *   DELETE:    "accounts: account <acc> deleted"
 * Events: none.
 * Reverts (user error code):
 *   1 malformed instruction   2 account index out of range
 *   3 account key != PDA (both logged)
 *   4 unexpected metadata after create / resize
 *   5 data read-back mismatch
 *   step*1000+|rc| syscall failure: step 1 create / create_ephemeral,
 *   2 resize (grow), 3 set_account_data_writable, 4 resize (shrink), 5 delete
 */
#include <thru.h>
#include <thru_sha256.h>

#include "example.h"

#define OP_EPHEMERAL 0
#define OP_CREATE 1
#define OP_DELETE 2

static void check_index(uint64_t acc) {
  if (acc >= thru_txn_account_cnt()) ex_fail(2, "account index out of range");
}

static void check_pda(uint64_t acc, bool is_ephemeral, uint8_t const seed[32]) {
  thru_pubkey_t pda;
  thru_pda_for_current_program(&pda, is_ephemeral, seed);
  thru_pubkey_t const *key = thru_txn_account_key(acc);
  if (!thru_pubkey_eq(&pda, key)) {
    thru_log_hex("accounts: expected PDA ", pda.b, 32);
    thru_log_hex("accounts: account key  ", key->b, 32);
    ex_fail(3, "account key is not the program-derived address");
  }
}

static void check_fresh_meta(uint64_t acc, uint8_t want_flags) {
  if (!thru_account_exists(acc) || !thru_account_is_owned_by_current_program(acc) ||
      thru_account_data_sz(acc) != 0 || (thru_account_flags(acc) & want_flags) != want_flags)
    ex_fail(4, "unexpected metadata after create");
}

static THRU_NORETURN void op_ephemeral(uint8_t const *d, uint64_t sz) {
  if (sz != 35) ex_fail(1, "EPHEMERAL needs 35 bytes");
  uint64_t acc = thru_load_u16(d + 1);
  uint8_t const *seed = d + 3;
  check_index(acc);
  check_pda(acc, true, seed);

  ex_check(thru_sys_account_create_ephemeral(acc, seed), 1, "account_create_ephemeral");
  check_fresh_meta(acc, THRU_ACCOUNT_FLAG_EPHEMERAL);
  thru_printf("accounts: ephemeral account %lu created", acc);

  ex_check(thru_sys_account_resize(acc, 64), 2, "account_resize(64)");
  if (thru_account_data_sz(acc) != 64) ex_fail(4, "data_sz != 64 after resize");
  ex_check(thru_sys_set_account_data_writable(acc), 3, "set_account_data_writable");

  uint8_t *data = thru_account_data(acc);
  for (unsigned i = 0; i < 64; i++) data[i] = (uint8_t)(7 * i + 1);
  for (unsigned i = 0; i < 64; i++) {
    if (((uint8_t volatile *)data)[i] != (uint8_t)(7 * i + 1)) ex_fail(5, "read-back mismatch");
  }

  ex_check(thru_sys_account_resize(acc, 16), 4, "account_resize(16)");
  if (thru_account_data_sz(acc) != 16) ex_fail(4, "data_sz != 16 after shrink");
  for (unsigned i = 0; i < 16; i++) {
    if (((uint8_t volatile *)data)[i] != (uint8_t)(7 * i + 1)) ex_fail(5, "data lost on shrink");
  }
  thru_log_str("accounts: wrote and verified 64 bytes, shrunk to 16");

  ex_check(thru_sys_account_delete(acc, NULL), 5, "account_delete");
  thru_printf("accounts: deleted, flags now 0x%02x", thru_account_flags(acc));
  thru_return(0);
}

static THRU_NORETURN void op_create(uint8_t const *d, uint64_t sz) {
  if (sz < 37) ex_fail(1, "CREATE needs at least 37 bytes");
  uint64_t acc = thru_load_u16(d + 1);
  uint8_t const *seed = d + 3;
  uint64_t proof_sz = thru_load_u16(d + 35);
  uint8_t const *proof = d + 37;
  if (37 + proof_sz != sz) ex_fail(1, "CREATE: proof_sz does not match the data size");
  check_index(acc);
  check_pda(acc, false, seed);

  ex_check(thru_sys_account_create(acc, seed, proof, proof_sz), 1, "account_create");
  check_fresh_meta(acc, 0);
  ex_check(thru_sys_account_resize(acc, 8), 2, "account_resize(8)");
  ex_check(thru_sys_set_account_data_writable(acc), 3, "set_account_data_writable");
  memcpy(thru_account_data(acc), "created!", 8);

  thru_printf("accounts: persistent account %lu created (proof %lu bytes)", acc, proof_sz);
  thru_return(0);
}

static THRU_NORETURN void op_delete(uint8_t const *d, uint64_t sz) {
  if (sz != 3) ex_fail(1, "DELETE needs 3 bytes");
  uint64_t acc = thru_load_u16(d + 1);
  check_index(acc);
  ex_check(thru_sys_account_delete(acc, NULL), 5, "account_delete");
  thru_printf("accounts: account %lu deleted", acc);
  thru_return(0);
}

THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
  uint8_t const *d = instr_data;
  if (instr_data_sz < 1) ex_fail(1, "empty instruction");
  switch (d[0]) {
  case OP_EPHEMERAL: op_ephemeral(d, instr_data_sz);
  case OP_CREATE: op_create(d, instr_data_sz);
  case OP_DELETE: op_delete(d, instr_data_sz);
  default: ex_fail(1, "unknown opcode");
  }
}

/* sha256_32k -- a Thru transaction of the real-program suite: SHA-256 (the SDK's Zknh
 * implementation) of the data of account 2, 32 KiB in bench/txn/sha256-32k.json, compared
 * with the 32-byte digest given as instruction data.
 *
 * Accounts:   0 fee payer, 1 this program, 2 the data to hash (read-only is enough).
 * Instr data: the expected digest (32 bytes).
 * Logs:       "sha256_32k: <n> bytes, digest matches" or "sha256_32k: digest differs".
 * Result:     exit 0 when the digest matches; revert 1 when it differs, 2 when the
 *             instruction data is not 32 bytes, 3 when account 2 is missing. */
#include <thru.h>
#include <thru_sha256.h>

THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
  if (instr_data_sz != 32) thru_revert(2);
  if (!thru_account_exists(2)) thru_revert(3);
  uint64_t n = thru_account_data_sz(2);
  uint8_t digest[32];
  thru_sha256(thru_account_data(2), n, digest);
  if (memcmp(digest, instr_data, 32) != 0) {
    thru_log_str("sha256_32k: digest differs");
    thru_revert(1);
  }
  thru_printf("sha256_32k: %lu bytes, digest matches", n);
  thru_return(0);
}

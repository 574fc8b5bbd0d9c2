/* sha256 -- SHA-256 of the instruction data, computed with the Zknh
 * instructions (sha256sum0/sum1/sig0/sig1, via sdk/src/sha256.c), compared
 * against the two FIPS 180-2 example digests.
 *
 * Accounts:   0 fee payer, 1 this program.
 * Instr data: the message.  The two accepted messages are
 *   "abc"  (3 bytes)
 *     -> ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
 *   "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"  (56 bytes, 448 bits)
 *     -> 248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1
 * Logs:
 *   "sha256: <64 hex digits>"
 *   then "sha256: matches FIPS 180-2 example 1 (\"abc\")" or
 *        "sha256: matches FIPS 180-2 example 2 (448-bit message)" or
 *        "sha256: no match"
 * Result: success, exit code 0 on a match; otherwise revert with code 1.
 * Events: none.
 */
#include <thru.h>
#include <thru_sha256.h>

#include "example.h"

static uint8_t const DIGEST_ABC[32] = {
    0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
};
static uint8_t const DIGEST_448[32] = {
    0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26, 0x93, 0x0c, 0x3e, 0x60, 0x39,
    0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff, 0x21, 0x67, 0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1,
};

THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
  uint8_t digest[32];
  thru_sha256(instr_data, instr_data_sz, digest);
  thru_log_hex("sha256: ", digest, sizeof digest);

  if (memcmp(digest, DIGEST_ABC, 32) == 0) {
    thru_log_str("sha256: matches FIPS 180-2 example 1 (\"abc\")");
    thru_return(0);
  }
  if (memcmp(digest, DIGEST_448, 32) == 0) {
    thru_log_str("sha256: matches FIPS 180-2 example 2 (448-bit message)");
    thru_return(0);
  }
  thru_log_str("sha256: no match");
  thru_revert(1);
}

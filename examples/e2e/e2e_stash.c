/* e2e_stash -- stand-in for what the uploader and manager programs of the
 * public CLI end-to-end test (Unto-Labs/thru rpc/cli/tests/thru_cli_e2e.sh,
 * scenarios "program" and "program-upgrade") do at the VM level: create
 * accounts at ephemeral-derived addresses, write them, install a program image
 * into an account and set its PROGRAM flag, replace an installed image, keep a
 * state byte, and refuse to destroy a finalized account.  It is not the
 * uploader or manager program (their sources are not public) and keeps none of
 * their formats; only the syscalls and the outcomes matter.
 *
 * Accounts: 0 fee payer, 1 this program, then the accounts the command names.
 * Instruction data (little-endian), first byte = command:
 *   0x00 CREATE  dst u16 | size u32 | seed[32]
 *        account_create_ephemeral(dst, seed), then account_resize(dst, size)
 *        (dst must be listed read-write at SHA-256(this program | 1 | seed)).
 *   0x01 WRITE   dst u16 | offset u32 | bytes...
 *        set_account_data_writable(dst), then copy the bytes to data[offset..].
 *   0x02 INSTALL dst u16 | src u16 | seed[32]
 *        create dst as an ephemeral account, resize it to src's size, copy
 *        src's data into it and set its PROGRAM flag (account_set_flags): dst
 *        becomes a program that later transactions can run.
 *   0x03 UPGRADE dst u16 | src u16
 *        dst is a program account owned by this program and read-write in the
 *        transaction: clear PROGRAM, resize to src's size, copy src's data,
 *        set PROGRAM again.
 *   0x04 SETSTATE dst u16 | state u8    data[0] = state (2 = finalized).
 *   0x05 DESTROY dst u16
 *        revert 0x704 when data[0] == 2 (finalized), else account_delete(dst).
 * Logs: one line per command, "e2e_stash: <what was done>".
 * Result: success, exit code 0.
 * Reverts: 0xE2E201 instruction data too short, 0xE2E202 unknown command,
 *   0xE2E203 WRITE beyond the account's data, 0xE2E204 SETSTATE/DESTROY on an
 *   account that does not exist or has no data, 0x704 DESTROY of a finalized
 *   account; syscall failures 1000+|rc| create, 2000+|rc| resize, 3000+|rc|
 *   set_account_data_writable, 4000+|rc| account_set_flags, 5000+|rc| delete
 *   (see examples/common/example.h; e.g. 3009 = the account does not exist).
 */
#include <thru.h>

#include "example.h"

#define FINALIZED 2
#define REVERT_FINALIZED 0x704

static void need(unsigned long have, unsigned long want) {
  if (have < want) ex_fail(0xE2E201, "e2e_stash: instruction data too short");
}

/* Copy account src's data into account dst (already sized and writable). */
static void copy_data(uint64_t dst, uint64_t src) {
  memcpy(thru_account_data(dst), thru_account_data(src), thru_account_data_sz(src));
}

static void set_program_flag(uint64_t idx, bool on) {
  uint8_t f = thru_account_flags(idx);
  f = on ? (uint8_t)(f | THRU_ACCOUNT_FLAG_PROGRAM) : (uint8_t)(f & ~THRU_ACCOUNT_FLAG_PROGRAM);
  ex_check(thru_sys_account_set_flags(idx, f), 4, "account_set_flags");
}

THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
  uint8_t const *d = instr_data;
  need(instr_data_sz, 3);
  uint8_t cmd = d[0];
  uint64_t dst = thru_load_u16(d + 1);

  switch (cmd) {
  case 0x00: {
    need(instr_data_sz, 3 + 4 + 32);
    uint64_t size = thru_load_u32(d + 3);
    ex_check(thru_sys_account_create_ephemeral(dst, d + 7), 1, "account_create_ephemeral");
    ex_check(thru_sys_account_resize(dst, size), 2, "account_resize");
    thru_printf("e2e_stash: created ephemeral account %lu with %lu bytes", dst, size);
    thru_return(0);
  }
  case 0x01: {
    need(instr_data_sz, 3 + 4);
    uint64_t offset = thru_load_u32(d + 3);
    uint64_t n = instr_data_sz - 7;
    ex_check(thru_sys_set_account_data_writable(dst), 3, "set_account_data_writable");
    if (offset + n > thru_account_data_sz(dst)) ex_fail(0xE2E203, "e2e_stash: write beyond the data");
    memcpy(thru_account_data(dst) + offset, d + 7, n);
    thru_printf("e2e_stash: wrote %lu bytes at offset %lu of account %lu", n, offset, dst);
    thru_return(0);
  }
  case 0x02: {
    need(instr_data_sz, 3 + 2 + 32);
    uint64_t src = thru_load_u16(d + 3);
    ex_check(thru_sys_account_create_ephemeral(dst, d + 5), 1, "account_create_ephemeral");
    ex_check(thru_sys_account_resize(dst, thru_account_data_sz(src)), 2, "account_resize");
    copy_data(dst, src);
    set_program_flag(dst, true);
    thru_printf("e2e_stash: installed %lu bytes of account %lu as program account %lu",
                thru_account_data_sz(dst), src, dst);
    thru_return(0);
  }
  case 0x03: {
    need(instr_data_sz, 3 + 2);
    uint64_t src = thru_load_u16(d + 3);
    set_program_flag(dst, false);
    ex_check(thru_sys_account_resize(dst, thru_account_data_sz(src)), 2, "account_resize");
    ex_check(thru_sys_set_account_data_writable(dst), 3, "set_account_data_writable");
    copy_data(dst, src);
    set_program_flag(dst, true);
    thru_printf("e2e_stash: replaced program account %lu with the %lu bytes of account %lu", dst,
                thru_account_data_sz(dst), src);
    thru_return(0);
  }
  case 0x04: {
    need(instr_data_sz, 4);
    if (!thru_account_exists(dst) || thru_account_data_sz(dst) == 0)
      ex_fail(0xE2E204, "e2e_stash: no such account, or no data");
    ex_check(thru_sys_set_account_data_writable(dst), 3, "set_account_data_writable");
    thru_account_data(dst)[0] = d[3];
    thru_printf("e2e_stash: account %lu state %u", dst, d[3]);
    thru_return(0);
  }
  case 0x05: {
    if (!thru_account_exists(dst) || thru_account_data_sz(dst) == 0)
      ex_fail(0xE2E204, "e2e_stash: no such account, or no data");
    if (thru_account_data(dst)[0] == FINALIZED) {
      thru_printf("e2e_stash: account %lu is finalized", dst);
      thru_revert(REVERT_FINALIZED);
    }
    ex_check(thru_sys_account_delete(dst, NULL), 5, "account_delete");
    thru_printf("e2e_stash: deleted account %lu", dst);
    thru_return(0);
  }
  default:
    ex_fail(0xE2E202, "e2e_stash: unknown command");
  }
}

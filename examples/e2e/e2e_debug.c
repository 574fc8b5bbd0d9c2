/* e2e_debug -- stand-in for the two "debug test programs" that the public CLI
 * end-to-end test (Unto-Labs/thru rpc/cli/tests/thru_cli_e2e.sh, scenario
 * "debug") runs.  Written from the instruction format and the outcomes the
 * script documents; the original program's source is not public.  The same
 * image is deployed twice (programs A and B) for the cross-program commands.
 *
 * Accounts:
 *   0  fee payer
 *   1  this program (A)
 *   invoke_idx / return_idx  program accounts for the CPI commands
 *   2  (command 7 only) a read-write account owned by this program
 *
 * Instruction data (little-endian), 10-byte header then an optional message:
 *   cmd u8 | invoke_idx u16 | return_idx u16 | depth u8 | error_code u32 | message...
 *
 * Commands:
 *   0 print-and-succeed   log the message, exit 0
 *   1 print-and-revert    log the message, revert with error_code
 *   2 segfault            1-byte store to address 0xDEAD (a VM fault)
 *   3 exhaust-cu          spin until the compute budget runs out (SIGCU)
 *   4 recursive-cpi       depth > 0: invoke program invoke_idx with the same
 *                         command, invoke_idx and return_idx swapped and
 *                         depth - 1; depth 0: exit 0.  Exit 0 afterwards, so
 *                         depth d gives a deepest call depth of d + 1.
 *   5 events-then-revert  emit `depth` events (payload "e2e_debug event <i>"),
 *                         log, then revert with error_code
 *   6 exhaust-cu-syscall  call set_account_data_writable(0) (512 CU each,
 *                         it fails: the fee payer is not ours) until the
 *                         budget runs out: SIGCU raised by a syscall's charge
 *   7 exhaust-su          grow account 2 by error_code bytes (1 byte when 0)
 *                         with account_resize; SIGSU when the transaction's
 *                         state-unit budget cannot pay for the growth
 *   8 recursive-cpi-revert  as 4, but the deepest frame (depth 0) reverts with
 *                         error_code, which ends the whole transaction
 *
 * Logs: "e2e_debug: <message>" (0, 1), "e2e_debug: depth <d> at call depth
 *   <c>" (4, 8 before invoking or at the leaf), "e2e_debug: emitted <n>
 *   events" (5), "e2e_debug: grew account 2 by <n> bytes" (7).
 * Reverts of its own: 0xE2E001 instruction data shorter than 10 bytes,
 *   0xE2E002 unknown command, 0xE2E003 the store of command 2 did not fault,
 *   1000+|rc| invoke failed, 2000+|rc| emit_event failed, 3000+|rc| resize
 *   failed (see examples/common/example.h).
 */
#include <thru.h>

#include "example.h"

#define HDR_SZ 10UL
#define MSG_MAX 200UL

/* Commands 4 and 8: one level of the ping-pong recursion between two programs. */
static THRU_NORETURN void recurse(uint8_t cmd, uint16_t invoke_idx, uint16_t return_idx,
                                  uint8_t depth, uint32_t error_code) {
  thru_printf("e2e_debug: depth %u at call depth %lu", depth, thru_call_depth());
  if (depth == 0) {
    if (cmd == 8) thru_revert(error_code);
    thru_return(0);
  }
  uint8_t next[HDR_SZ];
  next[0] = cmd;
  thru_store_u16(next + 1, return_idx); /* the callee calls back the other program */
  thru_store_u16(next + 3, invoke_idx);
  next[5] = (uint8_t)(depth - 1);
  thru_store_u32(next + 6, error_code);
  uint64_t callee_exit = 0;
  ex_check(thru_invoke(next, sizeof next, invoke_idx, NULL, &callee_exit), 1, "invoke");
  thru_return(0);
}

THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
  uint8_t const *d = instr_data;
  if (instr_data_sz < HDR_SZ) ex_fail(0xE2E001, "e2e_debug: instruction data shorter than 10 bytes");
  uint8_t cmd = d[0];
  uint16_t invoke_idx = thru_load_u16(d + 1);
  uint16_t return_idx = thru_load_u16(d + 3);
  uint8_t depth = d[5];
  uint32_t error_code = thru_load_u32(d + 6);
  uint8_t const *msg = d + HDR_SZ;
  uint64_t msg_sz = instr_data_sz - HDR_SZ;
  if (msg_sz > MSG_MAX) msg_sz = MSG_MAX;

  switch (cmd) {
  case 0:
    thru_printf("e2e_debug: %.*s", (int)msg_sz, (char const *)msg);
    thru_return(0);
  case 1:
    thru_printf("e2e_debug: %.*s", (int)msg_sz, (char const *)msg);
    thru_revert(error_code);
  case 2: {
    /* Address 0xDEAD lies in segment (0x00, 0x0000), which no access may reach. */
    volatile uint8_t *bad = (volatile uint8_t *)(uintptr_t)0xDEADUL;
    __asm__("" : "+r"(bad)); /* keep GCC from reasoning about the constant address */
    *bad = 1;
    ex_fail(0xE2E003, "e2e_debug: the store to 0xDEAD did not fault");
  }
  case 3: {
    uint64_t n = 0;
    for (;;) __asm__ volatile("addi %0, %0, 1" : "+r"(n));
  }
  case 4:
  case 8:
    recurse(cmd, invoke_idx, return_idx, depth, error_code);
  case 5: {
    for (unsigned i = 0; i < depth; i++) {
      char payload[32];
      int n = thru_snprintf(payload, sizeof payload, "e2e_debug event %u", i);
      ex_check(thru_sys_emit_event(payload, (uint64_t)n), 2, "emit_event");
    }
    thru_printf("e2e_debug: emitted %u events", depth);
    thru_revert(error_code);
  }
  case 6:
    for (;;) (void)thru_sys_set_account_data_writable(0);
  case 7: {
    uint64_t grow = error_code ? error_code : 1;
    uint64_t sz = thru_account_data_sz(2);
    ex_check(thru_sys_account_resize(2, sz + grow), 3, "account_resize");
    thru_printf("e2e_debug: grew account 2 by %lu bytes", grow);
    thru_return(0);
  }
  default:
    ex_fail(0xE2E002, "e2e_debug: unknown command");
  }
}

/* events -- emit two events.
 *
 * Accounts:   0 fee payer, 1 this program.
 * Instr data: any; if non-empty it becomes the payload of the second event.
 * Events (in order, both with program_idx 1 at top level):
 *   #0  payload = the 12 ASCII bytes "thru:event:1"
 *   #1  payload = the instruction data, or the 12 ASCII bytes "thru:event:2"
 *       if the instruction data is empty
 * Logs:   "events: emitted 2 events (12 + <n> bytes)"
 * Result: success, exit code 0.  CU for the syscalls alone: (512 + 12) + (512 + n).
 * Reverts: 1000+|rc| first emit_event failed, 2000+|rc| second failed
 *   (e.g. 2031 EVENT_TOO_LARGE, 2026 INSUFFICIENT_PAGES).
 */
#include <thru.h>

#include "example.h"

THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
  static char const first[12] = "thru:event:1";  /* exactly 12 bytes, no NUL */
  static char const second[12] = "thru:event:2";

  ex_check(thru_sys_emit_event(first, sizeof first), 1, "emit_event #0");

  void const *payload = instr_data_sz ? instr_data : (void const *)second;
  uint64_t payload_sz = instr_data_sz ? instr_data_sz : sizeof second;
  ex_check(thru_sys_emit_event(payload, payload_sz), 2, "emit_event #1");

  thru_printf("events: emitted 2 events (%lu + %lu bytes)", (uint64_t)sizeof first, payload_sz);
  thru_return(0);
}

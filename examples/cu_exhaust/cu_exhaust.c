/* cu_exhaust -- spin until the compute-unit budget is gone.
 *
 * Accounts:   0 fee payer, 1 this program.
 * Instr data: ignored.
 * Logs:       "cu_exhaust: spinning"
 * Result:     never exits.  The VM stops with SIGCU (-5), fault code 2
 *             (ComputeUnitsExhausted), runtime error CU_EXHAUSTED (-764); the
 *             transaction reverts (fee and nonce effects remain).
 * Cost:       the loop is written in asm: `c.addi` + `c.j` = 2 + 2 CU per
 *             iteration (the assembler compresses `addi`/`j`).
 */
#include <thru.h>

THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
  (void)instr_data;
  (void)instr_data_sz;
  thru_log_str("cu_exhaust: spinning");
  uint64_t n = 0;
  __asm__ volatile("1: addi %0, %0, 1\n\tj 1b" : "+r"(n));
  __builtin_unreachable();
}

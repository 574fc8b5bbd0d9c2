/* fault_readonly -- a store into the read-only transaction-data segment.
 *
 * Accounts:   0 fee payer, 1 this program.
 * Instr data: ignored.
 * Logs:       "fault_readonly: sb to 0x1000000"
 * Result:     the 1-byte store to 0x0000_0100_0000 (TXN_DATA offset 0, the
 *             transaction version byte) faults with a permission violation
 *             (SIGSEGV -3 / SIGFAULT -4, runtime VM_FAILED -767),
 *             segv_vaddr = 0x1000000, segv_size = 1, segv_write = true; the
 *             transaction reverts.  The `sb` is inline asm.
 */
#include <thru.h>

THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
  (void)instr_data;
  (void)instr_data_sz;
  uint8_t *p = (uint8_t *)THRU_TXN_DATA_ADDR;
  thru_printf("fault_readonly: sb to %p", (void *)p);
  __asm__ volatile("sb %0, 0(%1)" : : "r"(0x42), "r"(p) : "memory");
  /* Not reached on ThruVM. */
  thru_return(0);
}

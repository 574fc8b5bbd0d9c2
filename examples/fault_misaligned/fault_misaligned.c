/* fault_misaligned -- an 8-byte load from a misaligned stack address.
 *
 * Accounts:   0 fee payer, 1 this program.
 * Instr data: ignored.
 * Logs:       "fault_misaligned: ld from 0x<addr>" (addr = 16-byte-aligned
 *             stack buffer + 1, inside [0x050000fff000, 0x050001000000))
 * Result:     the `ld` faults (alignment violation: ThruVM forbids unaligned
 *             accesses); execution stops with a memory fault (SIGSEGV -3 /
 *             SIGFAULT -4, runtime VM_FAILED -767), segv_vaddr = addr,
 *             segv_size = 8, segv_write = false; the transaction reverts.
 *             The `ld` is written in inline asm so the compiler cannot split it.
 */
#include <thru.h>

THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
  (void)instr_data;
  (void)instr_data_sz;
  uint8_t buf[32] __attribute__((aligned(16)));
  for (unsigned i = 0; i < sizeof buf; i++) ((uint8_t volatile *)buf)[i] = (uint8_t)i;
  uint8_t *p = buf + 1;
  thru_printf("fault_misaligned: ld from %p", (void *)p);
  uint64_t v;
  __asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(p) : "memory");
  /* Not reached on ThruVM. */
  thru_return(v);
}

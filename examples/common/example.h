/* example.h -- conventions shared by the ThruModel example programs.
 *
 * Syscall failures revert with user error code  step * 1000 + |rc|,  where
 * `step` is a per-program number documented in each example's header and rc
 * is the (negative) syscall return code; e.g. 2010 = step 2 failed with
 * -10 ACCOUNT_NOT_WRITABLE.  The failure is also logged.
 */
#ifndef EXAMPLE_H
#define EXAMPLE_H

#include <thru.h>

#define EX_SYSCALL_REVERT_CODE(step, rc) ((uint64_t)(step) * 1000UL + (uint64_t)(-(rc)))

/* Revert with step*1000+|rc| (after logging) unless rc == 0. */
static inline void ex_check(long rc, unsigned step, char const *what) {
  if (__builtin_expect(rc != 0, 0)) {
    thru_printf("%s failed: %s (%ld)", what, thru_syscall_strerror(rc), rc);
    thru_revert(EX_SYSCALL_REVERT_CODE(step, rc));
  }
}

/* Log `msg` and revert with `code`. */
static inline THRU_NORETURN void ex_fail(uint64_t code, char const *msg) {
  thru_printf("error %lu: %s", code, msg);
  thru_revert(code);
}

#endif /* EXAMPLE_H */

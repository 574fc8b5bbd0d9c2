/* hello -- the smallest ThruVM program.
 *
 * Accounts:   0 fee payer, 1 this program (nothing else needed).
 * Instr data: ignored (any size).
 * Result:     success, exit code 0.
 * Logs:       "Hello, Thru!"
 * Events:     none.
 */
#include <thru.h>

THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
  (void)instr_data;
  (void)instr_data_sz;
  thru_log_str("Hello, Thru!");
  thru_return(0);
}

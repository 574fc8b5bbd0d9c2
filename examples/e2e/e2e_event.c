/* e2e_event -- stand-in for the event-emission program of the public CLI
 * end-to-end test (Unto-Labs/thru rpc/cli/tests/thru_cli_e2e.sh: scenarios
 * "program", "program-upgrade", "event" and the first transaction of "debug").
 * Written from the instruction data the script sends and the events it
 * expects; the original program's source is not public.
 *
 * Accounts:   0 fee payer, 1 this program (any others are ignored).
 * Instr data (little-endian):
 *   count u64 | event_type u64 | message bytes (up to the first NUL, at most 200)
 * Events: `count` events (at most 16), each with the payload
 *   event_type u64 | message bytes (without the NUL padding).
 *   The script's instruction is count 3, event_type 1, "To be, or not to be?"
 *   padded with NULs to 64 bytes; it expects 3 events of type 1 whose text is
 *   that sentence.  How the real CLI splits a payload into event_type and
 *   text is not public: this layout (type first) is our assumption.
 * Logs:   "e2e_event: emitted <count> events of type <event_type> (<n> bytes of text)"
 * Result: success, exit code 0.
 * Reverts: 0xE2E101 instruction data shorter than 16 bytes, 0xE2E102 count > 16,
 *   1000+|rc| emit_event failed (see examples/common/example.h).
 */
#include <thru.h>

#include "example.h"

#define MSG_MAX 200UL
#define COUNT_MAX 16UL

THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
  uint8_t const *d = instr_data;
  if (instr_data_sz < 16) ex_fail(0xE2E101, "e2e_event: instruction data shorter than 16 bytes");
  uint64_t count = thru_load_u64(d);
  uint64_t type = thru_load_u64(d + 8);
  if (count > COUNT_MAX) ex_fail(0xE2E102, "e2e_event: more than 16 events requested");

  uint64_t text_sz = 0;
  while (16 + text_sz < instr_data_sz && text_sz < MSG_MAX && d[16 + text_sz] != 0) text_sz++;

  uint8_t payload[8 + MSG_MAX];
  thru_store_u64(payload, type);
  memcpy(payload + 8, d + 16, text_sz);
  for (uint64_t i = 0; i < count; i++)
    ex_check(thru_sys_emit_event(payload, 8 + text_sz), 1, "emit_event");

  thru_printf("e2e_event: emitted %lu events of type %lu (%lu bytes of text)", count, type, text_sz);
  thru_return(0);
}

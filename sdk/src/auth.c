/* auth.c -- invoke wrapper and the SDK invoke-authorization convention
 * (spec syscalls.md §0x0A "Invoke authorization descriptor"), plus a few
 * transaction / shadow-stack helpers.
 *
 * The descriptor is an SDK convention: the VM only preserves the caller's a3
 * (auth pointer) in the caller's shadow-stack frame (saved_regs[13]); callees
 * read it from there.
 */
#include <thru.h>

uint64_t thru_txn_find_account(thru_pubkey_t const *pk) {
  uint64_t cnt = thru_txn_account_cnt();
  for (uint64_t i = 0; i < cnt; i++) {
    if (thru_pubkey_eq(thru_txn_account_key(i), pk)) return i;
  }
  return THRU_ACCOUNT_IDX_NONE;
}

bool thru_is_program_reentrant(void) {
  uint64_t depth = thru_call_depth();
  uint64_t me = thru_frame(depth)->program_acc_idx;
  for (uint64_t d = 1; d < depth; d++) {
    if (thru_frame(d)->program_acc_idx == me) return true;
  }
  return false;
}

/* Header fields of a descriptor, read byte-wise (the pointer comes from
 * another program and need not be aligned). */
typedef struct {
  uint8_t const *idxs;
  uint64_t auth_cnt;
  uint64_t deauth_cnt;
} auth_view_t;

static bool in_program_segment(uint64_t addr) {
  return (addr >> 24) == (THRU_PROGRAM_ADDR >> 24);
}

/* Decode the descriptor at addr; false if addr is 0, points into the PROGRAM
 * segment (which now holds *our* code, not the caller's) or lacks the magic. */
static bool auth_view(uint64_t addr, auth_view_t *v) {
  if (addr == 0 || in_program_segment(addr)) return false;
  uint8_t const *p = (uint8_t const *)addr;
  if (thru_load_u64(p) != THRU_INVOKE_AUTH_MAGIC) return false;
  v->auth_cnt = thru_load_u16(p + 8);
  v->deauth_cnt = thru_load_u16(p + 10);
  v->idxs = p + 12;
  return true;
}

static uint64_t auth_idx(auth_view_t const *v, uint64_t i) {
  return thru_load_u16(v->idxs + 2 * i);
}

void thru_invoke_auth_validate(void const *auth) {
  uint64_t addr = (uint64_t)auth;
  if (in_program_segment(addr)) thru_revert(THRU_REVERT_AUTH_IN_PROGRAM_SEG);
  auth_view_t v;
  if (!auth_view(addr, &v)) thru_revert(THRU_REVERT_AUTH_BAD_MAGIC);
  uint64_t cnt = thru_txn_account_cnt();
  uint64_t me = thru_current_program_idx();
  for (uint64_t i = 0; i < v.auth_cnt + v.deauth_cnt; i++) {
    uint64_t idx = auth_idx(&v, i);
    if (idx >= cnt) thru_revert(THRU_REVERT_AUTH_INVALID_IDX);
    if (i < v.auth_cnt && !thru_account_is_owned_by_idx(idx, me))
      thru_revert(THRU_REVERT_AUTH_NOT_OWNED);
  }
}

long thru_invoke(void const *instr_data, uint64_t instr_data_sz, uint64_t program_idx,
                 void const *auth, uint64_t *exit_code) {
  if (instr_data_sz && in_program_segment((uint64_t)instr_data))
    thru_revert(THRU_REVERT_INSTR_IN_PROGRAM_SEG);
  if (auth) thru_invoke_auth_validate(auth);
  return thru_sys_invoke(instr_data, instr_data_sz, program_idx, auth, exit_code);
}

/* Shared walk.  match(i) tells whether account index i denotes the account
 * being asked about (by index or by pubkey). */
typedef struct {
  uint64_t idx;              /* used when pk == NULL */
  thru_pubkey_t const *pk;
} query_t;

static bool matches(query_t const *q, uint64_t idx) {
  if (!q->pk) return idx == q->idx;
  thru_pubkey_t const *k = thru_txn_account_key(idx);
  return k && thru_pubkey_eq(k, q->pk);
}

static bool authorized(query_t const *q) {
  uint64_t depth = thru_call_depth();
  if (matches(q, THRU_FEE_PAYER_IDX)) return true;
  if (matches(q, thru_frame(depth)->program_acc_idx)) return true;
  if (depth <= 1) return false;
  uint64_t cnt = thru_txn_account_cnt();
  for (uint64_t d = depth - 1; d >= 1; d--) {
    thru_shadow_stack_frame_t const *f = thru_frame(d);
    uint64_t caller = f->program_acc_idx;
    auth_view_t v;
    if (auth_view(f->saved_regs[THRU_REG_A3], &v)) {
      for (uint64_t i = 0; i < v.deauth_cnt; i++) {
        uint64_t idx = auth_idx(&v, v.auth_cnt + i);
        if (idx >= cnt) thru_revert(THRU_REVERT_AUTH_INVALID_IDX);
        if (matches(q, idx)) return false;
      }
      for (uint64_t i = 0; i < v.auth_cnt; i++) {
        uint64_t idx = auth_idx(&v, i);
        if (idx >= cnt) thru_revert(THRU_REVERT_AUTH_INVALID_IDX);
        if (matches(q, idx)) {
          if (thru_account_is_owned_by_idx(idx, caller)) return true;
          thru_revert(THRU_REVERT_AUTH_WALK_UNOWNED);
        }
      }
    }
    if (matches(q, caller)) return true;
  }
  return false;
}

bool thru_is_account_authorized_by_idx(uint64_t idx) {
  query_t q = {idx, NULL};
  return authorized(&q);
}

bool thru_is_account_authorized_by_pubkey(thru_pubkey_t const *pk) {
  query_t q = {0, pk};
  return authorized(&q);
}

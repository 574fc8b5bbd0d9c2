/* info -- read-only tour of the VM-visible state: transaction header, account
 * metadata, shadow stack and block context.  Useful to check a VM's segment
 * layouts against the SDK structs.
 *
 * Accounts:   any (0 fee payer, 1 this program, then rw and ro accounts).
 * Instr data: any; its size and first bytes are logged.
 * Logs (one line each; <...> are values):
 *   "info: txn v<version> flags 0x<flags> rw <rw> ro <ro> instr <instr_data_sz> cu <req_cu> su <req_su> mu <req_mu>"
 *   "info: fee <fee> nonce <nonce> start_slot <slot> expiry_after <n> chain_id <id>"
 *   "info: entry a0 <ptr> a1 <size>; txn instr data at <ptr>"
 *   "info: depth <call_depth> max <max_call_depth> program <idx> stack_pages <n> heap_pages <n>"
 *   "info: block slot <slot> time <ns> price <price>"
 *   for each account i (at most 16):
 *   "info: acc <i> <key hex prefix> <rw|ro> v<version> flags 0x<flags> data_sz <n> balance <b> nonce <n> owner <owner hex prefix>"
 * Result: success, exit code = number of accounts in the transaction.
 * Events: none.  Reverts: none (apart from VM faults if a layout is wrong).
 */
#include <thru.h>

static void hex8(char out[17], uint8_t const *b) {
  static char const hex[] = "0123456789abcdef";
  for (unsigned i = 0; i < 8; i++) {
    out[2 * i] = hex[b[i] >> 4];
    out[2 * i + 1] = hex[b[i] & 15];
  }
  out[16] = '\0';
}

THRU_NORETURN void start(void const *instr_data, unsigned long instr_data_sz) {
  thru_txn_hdr_t const *h = thru_txn_hdr();
  thru_printf("info: txn v%u flags 0x%x rw %u ro %u instr %u cu %u su %u mu %u",
              h->transaction_version, h->flags, h->readwrite_accounts_cnt,
              h->readonly_accounts_cnt, h->instr_data_sz, h->req_compute_units,
              h->req_state_units, h->req_memory_units);
  thru_printf("info: fee %lu nonce %lu start_slot %lu expiry_after %u chain_id %u", h->fee,
              h->nonce, h->start_slot, h->expiry_after, h->chain_id);
  thru_printf("info: entry a0 %p a1 %lu; txn instr data at %p", instr_data, instr_data_sz,
              (void const *)thru_txn_instr_data());

  thru_shadow_stack_t const *ss = thru_shadow_stack();
  thru_shadow_stack_frame_t const *f = thru_current_frame();
  thru_printf("info: depth %u max %u program %u stack_pages %u heap_pages %u", ss->call_depth,
              ss->max_call_depth, f->program_acc_idx, f->stack_pages, f->heap_pages);

  thru_block_ctx_t const *b = thru_block_ctx(0);
  thru_printf("info: block slot %lu time %lu price %lu", b->slot, b->block_time, b->block_price);

  uint64_t cnt = thru_txn_account_cnt();
  for (uint64_t i = 0; i < cnt && i < 16; i++) {
    thru_account_meta_t const *m = thru_account_meta(i);
    thru_pubkey_t const *k = thru_txn_account_key(i);
    if (!k) break;
    char key[17], owner[17];
    hex8(key, k->b);
    hex8(owner, m->owner.b);
    thru_printf("info: acc %lu %s.. %s v%u flags 0x%02x data_sz %u balance %lu nonce %lu owner %s..",
                i, key, thru_txn_is_account_idx_writable(i) ? "rw" : "ro", m->version, m->flags,
                m->data_sz, m->balance, m->nonce, owner);
  }
  thru_return(cnt);
}

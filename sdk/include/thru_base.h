/* thru_base.h -- ThruVM constants, address map and byte-exact structures.
 *
 * Part of the ThruModel C SDK.  Every value here is taken from ThruModel's
 * specification (docs/spec/: memory.md, transactions.md, errors.md,
 * syscalls.md, executable.md).  Structures that live at fixed VM addresses are
 * declared with the exact layout the VM exposes and pinned with _Static_assert.
 *
 * Freestanding: only <stdint.h>, <stddef.h> and <stdbool.h> are used.
 */
#ifndef THRU_BASE_H
#define THRU_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if !defined(__riscv) || __riscv_xlen != 64
#error "ThruVM programs must be compiled for RV64 (riscv64-unknown-elf-gcc)"
#endif

#define THRU_INLINE static inline __attribute__((always_inline))
#define THRU_NORETURN __attribute__((noreturn))
#define THRU_PACKED __attribute__((packed))

/* ------------------------------------------------------------------------- */
/* Virtual addresses (memory.md §1-2)                                         */
/* ------------------------------------------------------------------------- */

/* addr = seg_type[47:40] | seg_idx[39:24] | offset[23:0]; bits 63:48 are 0. */
#define THRU_ADDR(seg_type, seg_idx, offset)                                   \
  ((((uint64_t)(seg_type) & 0xFFUL) << 40) |                                   \
   (((uint64_t)(seg_idx) & 0xFFFFUL) << 24) | ((uint64_t)(offset) & 0xFFFFFFUL))

#define THRU_ADDR_SEG_TYPE(a) (((uint64_t)(a) >> 40) & 0xFFUL)
#define THRU_ADDR_SEG_IDX(a) (((uint64_t)(a) >> 24) & 0xFFFFUL)
#define THRU_ADDR_OFFSET(a) ((uint64_t)(a) & 0xFFFFFFUL)

#define THRU_SEG_TYPE_MASK 0x0000FF0000000000UL
#define THRU_SEG_IDX_MASK 0x000000FFFF000000UL
#define THRU_SEG_OFFSET_MASK 0x0000000000FFFFFFUL

/* Segment types */
#define THRU_SEG_TYPE_READONLY 0x00     /* null, txn, shadow stack, program, block ctx */
#define THRU_SEG_TYPE_ACCOUNT_META 0x02 /* idx = account index, read-only            */
#define THRU_SEG_TYPE_ACCOUNT_DATA 0x03 /* idx = account index                        */
#define THRU_SEG_TYPE_EVENT 0x04        /* reserved for event emission               */
#define THRU_SEG_TYPE_STACK 0x05        /* idx 0, grows down from offset 0xFFFFFF     */
#define THRU_SEG_TYPE_HEAP 0x07         /* idx 0, grows up from offset 0              */

/* Segment indices inside segment type 0x00 */
#define THRU_SEG_IDX_NULL 0x0000
#define THRU_SEG_IDX_TXN_DATA 0x0001
#define THRU_SEG_IDX_SHADOW_STACK 0x0002
#define THRU_SEG_IDX_PROGRAM 0x0003
#define THRU_SEG_IDX_BLOCK_CTX 0x0004

#define THRU_TXN_DATA_ADDR 0x000001000000UL     /* THRU_ADDR(0x00, 0x0001, 0) */
#define THRU_SHADOW_STACK_ADDR 0x000002000000UL /* THRU_ADDR(0x00, 0x0002, 0) */
#define THRU_PROGRAM_ADDR 0x000003000000UL      /* THRU_ADDR(0x00, 0x0003, 0) */
#define THRU_BLOCK_CTX_ADDR 0x000004000000UL    /* THRU_ADDR(0x00, 0x0004, 0) */
#define THRU_STACK_SEG_ADDR 0x050000000000UL    /* THRU_ADDR(0x05, 0, 0)      */
#define THRU_STACK_TOP 0x050001000000UL         /* one past the stack's last byte */
#define THRU_HEAP_SEG_ADDR 0x070000000000UL     /* THRU_ADDR(0x07, 0, 0)      */

#define THRU_ACCOUNT_META_ADDR(idx) THRU_ADDR(THRU_SEG_TYPE_ACCOUNT_META, (idx), 0)
#define THRU_ACCOUNT_DATA_ADDR(idx) THRU_ADDR(THRU_SEG_TYPE_ACCOUNT_DATA, (idx), 0)

/* ------------------------------------------------------------------------- */
/* Sizes and limits                                                           */
/* ------------------------------------------------------------------------- */

#define THRU_PAGE_SZ 4096UL
#define THRU_SEG_SZ_MAX 0x1000000UL          /* 16 MiB, 24-bit offset          */
#define THRU_ACCOUNT_DATA_SZ_MAX 16777216UL  /* TN_ACCOUNT_DATA_SZ_MAX         */
#define THRU_ACCOUNT_META_FOOTPRINT 62UL     /* VM/SDK view of account meta    */
#define THRU_ACCOUNT_META_FOOTPRINT_RUNTIME 64UL /* on-chain tn_account_meta_t */
#define THRU_ACCOUNT_META_MAGIC 0xC7A3       /* runtime record only            */
#define THRU_LOG_DATA_MAX_SZ 1024UL          /* TN_VM_LOG_DATA_MAX_SIZE         */
#define THRU_TXN_MTU 32768UL
#define THRU_TXN_MAX_ACCOUNTS 1024UL
#define THRU_TXN_HDR_SZ 112UL
#define THRU_TXN_SIGNATURE_SZ 64UL
#define THRU_BLOCK_CTX_SPACING 0x1000UL
#define THRU_BLOCK_CTX_SPAN 512UL            /* blocks of history              */
#define THRU_SHADOW_STACK_FRAME_MAX 17       /* incl. the sentinel frame 0     */
#define THRU_CALL_DEPTH_MAX 16
#define THRU_REG_MAX 32
#define THRU_PUBKEY_SZ 32UL
#define THRU_HASH_SZ 32UL
#define THRU_SIGNATURE_SZ 64UL
#define THRU_SEED_SZ 32UL
#define THRU_STATE_PROOF_KEYS_MAX 256
#define THRU_SYSCALL_BASE_COST 512UL         /* compute units                  */

/* Register numbers (saved_regs[] index) */
#define THRU_REG_RA 1
#define THRU_REG_SP 2
#define THRU_REG_A0 10
#define THRU_REG_A1 11
#define THRU_REG_A2 12
#define THRU_REG_A3 13
#define THRU_REG_A7 17

/* Account index of "no program" (caller of the root frame) */
#define THRU_ACCOUNT_IDX_NONE 0xFFFF
#define THRU_FEE_PAYER_IDX 0
#define THRU_PROGRAM_IDX 1 /* program of the transaction (root frame) */

/* ------------------------------------------------------------------------- */
/* Basic value types                                                          */
/* ------------------------------------------------------------------------- */

typedef struct { uint8_t b[32]; } thru_pubkey_t;
typedef struct { uint8_t b[32]; } thru_hash_t;
typedef struct { uint8_t b[64]; } thru_signature_t;

_Static_assert(sizeof(thru_pubkey_t) == 32 && _Alignof(thru_pubkey_t) == 1, "pubkey");
_Static_assert(sizeof(thru_signature_t) == 64, "signature");

/* ------------------------------------------------------------------------- */
/* Transaction (transactions.md §1)                                           */
/* ------------------------------------------------------------------------- */

#define THRU_TXN_V1 0x01
#define THRU_TXN_FLAG_HAS_FEE_PAYER_PROOF 0x01
#define THRU_TXN_FLAG_MAY_COMPRESS_ACCOUNT 0x02

/* Header at TXN_DATA offset 0 (naturally aligned, no padding). */
typedef struct {
  uint8_t transaction_version;     /* 0   must be 1                        */
  uint8_t flags;                   /* 1                                    */
  uint16_t readwrite_accounts_cnt; /* 2   excludes fee payer and program   */
  uint16_t readonly_accounts_cnt;  /* 4                                    */
  uint16_t instr_data_sz;          /* 6                                    */
  uint32_t req_compute_units;      /* 8                                    */
  uint16_t req_state_units;        /* 12                                   */
  uint16_t req_memory_units;       /* 14                                   */
  uint64_t fee;                    /* 16                                   */
  uint64_t nonce;                  /* 24                                   */
  uint64_t start_slot;             /* 32                                   */
  uint32_t expiry_after;           /* 40                                   */
  uint16_t chain_id;               /* 44                                   */
  uint16_t padding_0;              /* 46                                   */
  thru_pubkey_t fee_payer_pubkey;  /* 48  account index 0                  */
  thru_pubkey_t program_pubkey;    /* 80  account index 1                  */
} thru_txn_hdr_t;                  /* 112 then rw keys, ro keys, instr data */

_Static_assert(sizeof(thru_txn_hdr_t) == 112, "txn hdr size");
_Static_assert(offsetof(thru_txn_hdr_t, flags) == 1, "txn flags");
_Static_assert(offsetof(thru_txn_hdr_t, readwrite_accounts_cnt) == 2, "txn rw");
_Static_assert(offsetof(thru_txn_hdr_t, readonly_accounts_cnt) == 4, "txn ro");
_Static_assert(offsetof(thru_txn_hdr_t, instr_data_sz) == 6, "txn instr sz");
_Static_assert(offsetof(thru_txn_hdr_t, req_compute_units) == 8, "txn cu");
_Static_assert(offsetof(thru_txn_hdr_t, req_state_units) == 12, "txn su");
_Static_assert(offsetof(thru_txn_hdr_t, req_memory_units) == 14, "txn mu");
_Static_assert(offsetof(thru_txn_hdr_t, fee) == 16, "txn fee");
_Static_assert(offsetof(thru_txn_hdr_t, nonce) == 24, "txn nonce");
_Static_assert(offsetof(thru_txn_hdr_t, start_slot) == 32, "txn start slot");
_Static_assert(offsetof(thru_txn_hdr_t, expiry_after) == 40, "txn expiry");
_Static_assert(offsetof(thru_txn_hdr_t, chain_id) == 44, "txn chain id");
_Static_assert(offsetof(thru_txn_hdr_t, padding_0) == 46, "txn pad");
_Static_assert(offsetof(thru_txn_hdr_t, fee_payer_pubkey) == 48, "txn fee payer");
_Static_assert(offsetof(thru_txn_hdr_t, program_pubkey) == 80, "txn program");

/* State proofs (transactions.md §6).  The header can sit at any byte offset
 * (it follows the instruction data), so it is declared packed. */
#define THRU_STATE_PROOF_TYPE_EXISTING 0
#define THRU_STATE_PROOF_TYPE_UPDATING 1
#define THRU_STATE_PROOF_TYPE_CREATION 2
#define THRU_STATE_PROOF_HDR_SZ 40UL

typedef struct THRU_PACKED {
  uint64_t type_slot;       /* bits 63..62 = type, 61..0 = slot */
  uint64_t path_bitset[4];  /* bit i set => sibling hash at depth i */
} thru_state_proof_hdr_t;

_Static_assert(sizeof(thru_state_proof_hdr_t) == 40, "state proof hdr");

/* ------------------------------------------------------------------------- */
/* Shadow stack (memory.md §5) at 0x0000_0200_0000                            */
/* ------------------------------------------------------------------------- */

typedef struct {
  uint16_t program_acc_idx;              /* 0x00 txn account index of the program */
  uint16_t stack_pages;                  /* 0x02 total stack pages (4 KiB)       */
  uint16_t heap_pages;                   /* 0x04 total heap pages                */
  uint16_t padding;                      /* 0x06                                 */
  uint64_t saved_regs[THRU_REG_MAX];     /* 0x08 x0..x31 at the time of invoke   */
} thru_shadow_stack_frame_t;

typedef struct {
  uint16_t call_depth;                   /* 0x000 1 at top level                 */
  uint16_t current_total_stack_pages;    /* 0x002                                */
  uint16_t current_total_heap_pages;     /* 0x004                                */
  uint16_t max_call_depth;               /* 0x006                                */
  thru_shadow_stack_frame_t stack_frames[THRU_SHADOW_STACK_FRAME_MAX]; /* 0x008 */
} thru_shadow_stack_t;

_Static_assert(sizeof(thru_shadow_stack_frame_t) == 264, "frame size");
_Static_assert(offsetof(thru_shadow_stack_frame_t, stack_pages) == 2, "frame stack pages");
_Static_assert(offsetof(thru_shadow_stack_frame_t, heap_pages) == 4, "frame heap pages");
_Static_assert(offsetof(thru_shadow_stack_frame_t, saved_regs) == 8, "frame regs");
_Static_assert(sizeof(thru_shadow_stack_t) == 4496, "shadow stack size");
_Static_assert(offsetof(thru_shadow_stack_t, max_call_depth) == 6, "max depth");
_Static_assert(offsetof(thru_shadow_stack_t, stack_frames) == 8, "frames");

/* ------------------------------------------------------------------------- */
/* Block context (memory.md §6): window k (blocks ago) at 0x4000000 + k*0x1000 */
/* ------------------------------------------------------------------------- */

typedef struct {
  uint64_t slot;                 /* 0x00 */
  uint64_t block_time;           /* 0x08 Unix time, nanoseconds */
  uint64_t block_price;          /* 0x10 */
  thru_hash_t state_root;        /* 0x18 */
  thru_hash_t cur_block_hash;    /* 0x38 */
  thru_pubkey_t block_producer;  /* 0x58 */
  uint64_t weight_slot;          /* 0x78 */
} thru_block_ctx_t;

_Static_assert(sizeof(thru_block_ctx_t) == 128, "block ctx size");
_Static_assert(offsetof(thru_block_ctx_t, state_root) == 0x18, "block ctx root");
_Static_assert(offsetof(thru_block_ctx_t, cur_block_hash) == 0x38, "block ctx hash");
_Static_assert(offsetof(thru_block_ctx_t, block_producer) == 0x58, "block ctx producer");
_Static_assert(offsetof(thru_block_ctx_t, weight_slot) == 0x78, "block ctx weight");

/* ------------------------------------------------------------------------- */
/* Account metadata (memory.md §7): 62-byte packed view at 0x02_iiii_000000.  */
/* Fields are unaligned; ThruVM faults on unaligned accesses, and the packed  */
/* attribute makes GCC (with -mstrict-align) use byte loads for them.  Always */
/* go through thru_account_meta(idx) (see thru.h for why).                    */
/* ------------------------------------------------------------------------- */

#define THRU_ACCOUNT_V1 0x01

#define THRU_ACCOUNT_FLAG_PROGRAM 0x01
#define THRU_ACCOUNT_FLAG_PRIVILEGED 0x02
#define THRU_ACCOUNT_FLAG_UNCOMPRESSABLE 0x04
#define THRU_ACCOUNT_FLAG_EPHEMERAL 0x08
#define THRU_ACCOUNT_FLAG_DELETED 0x10
#define THRU_ACCOUNT_FLAG_NEW 0x20
#define THRU_ACCOUNT_FLAG_COMPRESSED 0x40

typedef struct THRU_PACKED {
  uint8_t version;       /* 0  0 => account does not exist */
  uint8_t flags;         /* 1  THRU_ACCOUNT_FLAG_*          */
  uint32_t data_sz;      /* 2                               */
  uint64_t seq;          /* 6                               */
  thru_pubkey_t owner;   /* 14 owning program               */
  uint64_t balance;      /* 46                              */
  uint64_t nonce;        /* 54                              */
} thru_account_meta_t;   /* 62 */

_Static_assert(sizeof(thru_account_meta_t) == THRU_ACCOUNT_META_FOOTPRINT, "meta size");
_Static_assert(offsetof(thru_account_meta_t, flags) == 1, "meta flags");
_Static_assert(offsetof(thru_account_meta_t, data_sz) == 2, "meta data_sz");
_Static_assert(offsetof(thru_account_meta_t, seq) == 6, "meta seq");
_Static_assert(offsetof(thru_account_meta_t, owner) == 14, "meta owner");
_Static_assert(offsetof(thru_account_meta_t, balance) == 46, "meta balance");
_Static_assert(offsetof(thru_account_meta_t, nonce) == 54, "meta nonce");

/* ------------------------------------------------------------------------- */
/* Invoke authorization descriptor (syscalls.md §0x0A), pointed to by a3.     */
/* SDK convention only: the VM just preserves a3 in the caller's frame.       */
/* ------------------------------------------------------------------------- */

#define THRU_INVOKE_AUTH_MAGIC 0xC3F7A1D9E5B20846UL

typedef struct {
  uint64_t magic;        /* 0  THRU_INVOKE_AUTH_MAGIC                          */
  uint16_t auth_cnt;     /* 8                                                   */
  uint16_t deauth_cnt;   /* 10                                                  */
  uint16_t acc_idxs[];   /* 12 auth_cnt auth indices, then deauth_cnt indices   */
} thru_invoke_auth_t;

_Static_assert(offsetof(thru_invoke_auth_t, auth_cnt) == 8, "auth cnt");
_Static_assert(offsetof(thru_invoke_auth_t, deauth_cnt) == 10, "deauth cnt");
_Static_assert(offsetof(thru_invoke_auth_t, acc_idxs) == 12, "auth idxs");

/* A concrete descriptor type with room for N indices (auth + deauth), layout-
 * compatible with thru_invoke_auth_t.  Keep it on the stack or heap: the
 * PROGRAM segment is switched to the callee on invoke. */
#define THRU_INVOKE_AUTH_T(N)                                                  \
  struct {                                                                     \
    uint64_t magic;                                                            \
    uint16_t auth_cnt;                                                         \
    uint16_t deauth_cnt;                                                       \
    uint16_t acc_idxs[(N) > 0 ? (N) : 1];                                      \
  }

/* ------------------------------------------------------------------------- */
/* Syscall numbers (syscalls.md §2)                                           */
/* ------------------------------------------------------------------------- */

#define THRU_SYSCALL_NR_SET_ANONYMOUS_SEGMENT_SZ 0x00
#define THRU_SYSCALL_NR_INCREMENT_ANONYMOUS_SEGMENT_SZ 0x01
#define THRU_SYSCALL_NR_SET_ACCOUNT_DATA_WRITABLE 0x02
#define THRU_SYSCALL_NR_ACCOUNT_TRANSFER 0x03
#define THRU_SYSCALL_NR_ACCOUNT_CREATE 0x04
#define THRU_SYSCALL_NR_ACCOUNT_CREATE_EPHEMERAL 0x05
#define THRU_SYSCALL_NR_ACCOUNT_DELETE 0x06
#define THRU_SYSCALL_NR_ACCOUNT_RESIZE 0x07
#define THRU_SYSCALL_NR_ACCOUNT_COMPRESS 0x08
#define THRU_SYSCALL_NR_ACCOUNT_DECOMPRESS 0x09
#define THRU_SYSCALL_NR_INVOKE 0x0A
#define THRU_SYSCALL_NR_EXIT 0x0B
#define THRU_SYSCALL_NR_LOG 0x0C
#define THRU_SYSCALL_NR_EMIT_EVENT 0x0D
#define THRU_SYSCALL_NR_ACCOUNT_SET_FLAGS 0x0E
#define THRU_SYSCALL_NR_ACCOUNT_CREATE_EOA 0x0F

/* ------------------------------------------------------------------------- */
/* Syscall return codes, current numbering (errors.md §1).  a0 is a signed    */
/* 64-bit value; the wrappers return it as `long`.                            */
/* ------------------------------------------------------------------------- */

#define THRU_SYSCALL_SUCCESS 0L
#define THRU_SYSCALL_SUCCESS_EXIT 1L
#define THRU_SYSCALL_ERR_BAD_SEGMENT_TABLE_SIZE (-7L)
#define THRU_SYSCALL_ERR_INVALID_ACCOUNT_INDEX (-8L)
#define THRU_SYSCALL_ERR_ACCOUNT_DOES_NOT_EXIST (-9L)
#define THRU_SYSCALL_ERR_ACCOUNT_NOT_WRITABLE (-10L)
#define THRU_SYSCALL_ERR_BALANCE_OVERFLOW (-11L)
#define THRU_SYSCALL_ERR_ACCOUNT_TOO_BIG (-12L)
#define THRU_SYSCALL_ERR_INVALID_OBJ_REF_KIND (-13L)
#define THRU_SYSCALL_ERR_OBJ_NOT_WRITABLE (-14L)
#define THRU_SYSCALL_ERR_ACCOUNT_ALREADY_EXISTS (-15L)
#define THRU_SYSCALL_ERR_BAD_ACCOUNT_ADDRESS (-16L)
#define THRU_SYSCALL_ERR_ACCOUNT_IS_NOT_PROGRAM (-17L)
#define THRU_SYSCALL_ERR_ACCOUNT_HAS_DATA (-18L)
#define THRU_SYSCALL_ERR_SEGMENT_ALREADY_MAPPED (-19L)
#define THRU_SYSCALL_ERR_BAD_PARAMS (-20L)
#define THRU_SYSCALL_ERR_INVALID_SEGMENT_ID (-21L)
#define THRU_SYSCALL_ERR_INVALID_ADDRESS (-22L)
#define THRU_SYSCALL_ERR_INVALID_STATE_PROOF (-23L)
#define THRU_SYSCALL_ERR_CALL_DEPTH_TOO_DEEP (-24L)
#define THRU_SYSCALL_ERR_REVERT (-25L)
#define THRU_SYSCALL_ERR_INSUFFICIENT_PAGES (-26L)
#define THRU_SYSCALL_ERR_INVALID_ACCOUNT (-27L)
#define THRU_SYSCALL_ERR_INVALID_SEGMENT_SIZE (-28L)
#define THRU_SYSCALL_ERR_UNFREEABLE_PAGE (-29L)
#define THRU_SYSCALL_ERR_LOG_DATA_TOO_LARGE (-30L)
#define THRU_SYSCALL_ERR_EVENT_TOO_LARGE (-31L)
#define THRU_SYSCALL_ERR_INVALID_PROOF_LEN (-32L)
#define THRU_SYSCALL_ERR_INVALID_PROOF_SLOT (-33L)
#define THRU_SYSCALL_ERR_ACCOUNT_IN_COMPRESSION_TIMEOUT (-34L)
#define THRU_SYSCALL_ERR_INVALID_ACCOUNT_DATA_SIZE (-35L)
#define THRU_SYSCALL_ERR_INVALID_SEED_LENGTH (-36L)
#define THRU_SYSCALL_ERR_TXN_HAS_COMPRESSED_ACCOUNT (-37L)
#define THRU_SYSCALL_ERR_INSUFFICIENT_BALANCE (-38L)
#define THRU_SYSCALL_ERR_INVALID_OFFSET (-39L)
#define THRU_SYSCALL_ERR_COMPUTE_UNITS_EXCEEDED (-40L)
#define THRU_SYSCALL_ERR_INVALID_FLAGS (-41L)
#define THRU_SYSCALL_ERR_EPHEMERAL_ACCOUNT_CANNOT_CREATE_PERSISTENT (-42L)
#define THRU_SYSCALL_ERR_ACCOUNT_COMPRESSION_NOT_ALLOWED (-43L)
#define THRU_SYSCALL_ERR_INVALID_SIGNATURE (-44L)
#define THRU_SYSCALL_ERR_ACCOUNT_UNCOMPRESSABLE (-45L)
#define THRU_SYSCALL_ERR_EVENT_IS_ZERO_SIZE (-46L)
#define THRU_SYSCALL_ERR_STATE_BYTES_ADDED_OVERFLOW (-47L)
#define THRU_SYSCALL_ERR_STATE_BYTES_REMOVED_OVERFLOW (-48L)
#define THRU_SYSCALL_ERR_PROGRAM_IN_CALL_STACK (-49L)

/* VM error codes (errors.md §2) */
#define THRU_VM_SUCCESS 0L
#define THRU_VM_ERR_SIGTEXT (-1L)
#define THRU_VM_ERR_SIGILL (-2L)
#define THRU_VM_ERR_SIGSEGV (-3L)
#define THRU_VM_ERR_SIGFAULT (-4L)
#define THRU_VM_ERR_SIGCU (-5L)
#define THRU_VM_ERR_SIGSU (-6L)

/* VM fault codes (errors.md §3) */
#define THRU_VM_FAULT_NONE 0
#define THRU_VM_FAULT_REVERT 1
#define THRU_VM_FAULT_SIGCU 2
#define THRU_VM_FAULT_SIGSU 3

/* Runtime transaction errors (errors.md §4), i32 */
#define THRU_RUNTIME_TXN_EXECUTE_SUCCESS 0
#define THRU_RUNTIME_TXN_ERR_INVALID_FORMAT (-255)
#define THRU_RUNTIME_TXN_ERR_INVALID_VERSION (-254)
#define THRU_RUNTIME_TXN_ERR_INVALID_FLAGS (-253)
#define THRU_RUNTIME_TXN_ERR_INVALID_SIGNATURE (-252)
#define THRU_RUNTIME_TXN_ERR_DUPLICATE_ACCOUNT (-251)
#define THRU_RUNTIME_TXN_ERR_UNSORTED_ACCOUNTS (-250)
#define THRU_RUNTIME_TXN_ERR_UNSORTED_READWRITE_ACCOUNTS (-249)
#define THRU_RUNTIME_TXN_ERR_UNSORTED_READONLY_ACCOUNTS (-248)
#define THRU_RUNTIME_TXN_ERR_ACCOUNT_COUNT_LIMIT_EXCEEDED (-247)
#define THRU_RUNTIME_TXN_ERR_NONCE_TOO_LOW (-511)
#define THRU_RUNTIME_TXN_ERR_NONCE_TOO_HIGH (-510)
#define THRU_RUNTIME_TXN_ERR_INSUFFICIENT_FEE_PAYER_BALANCE (-509)
#define THRU_RUNTIME_TXN_ERR_FEE_PAYER_ACCOUNT_DOES_NOT_EXIST (-508)
#define THRU_RUNTIME_TXN_ERR_NOT_LIVE_YET (-507)
#define THRU_RUNTIME_TXN_ERR_EXPIRED (-506)
#define THRU_RUNTIME_TXN_ERR_INVALID_FEE_PAYER_STATE_PROOF (-505)
#define THRU_RUNTIME_TXN_ERR_INVALID_FEE_PAYER_STATE_PROOF_TYPE (-504)
#define THRU_RUNTIME_TXN_ERR_INVALID_FEE_PAYER_STATE_PROOF_SLOT (-503)
#define THRU_RUNTIME_TXN_ERR_INVALID_FEE_PAYER_ACCOUNT_OWNER (-502)
#define THRU_RUNTIME_TXN_ERR_INVALID_FEE_PAYER_STATE_PROOF_ACCOUNT_OWNER (-501)
#define THRU_RUNTIME_TXN_ERR_INVALID_FEE_PAYER_STATE_PROOF_ACCOUNT_META_DATA_SZ (-500)
#define THRU_RUNTIME_TXN_ERR_VM_FAILED (-767)
#define THRU_RUNTIME_TXN_ERR_INVALID_PROGRAM_ACCOUNT (-766)
#define THRU_RUNTIME_TXN_ERR_VM_REVERT (-765)
#define THRU_RUNTIME_TXN_ERR_CU_EXHAUSTED (-764)
#define THRU_RUNTIME_TXN_ERR_SU_EXHAUSTED (-763)

/* SDK-level revert codes (user_error_code).  0xBAD0A17x are the public SDK
 * values (errors.md §5); 0xBAD0000x are ThruModel-SDK specific. */
#define THRU_REVERT_AUTH_BAD_MAGIC 0xBAD0A170UL
#define THRU_REVERT_AUTH_NOT_OWNED 0xBAD0A171UL
#define THRU_REVERT_AUTH_INVALID_IDX 0xBAD0A173UL
#define THRU_REVERT_AUTH_WALK_UNOWNED 0xBAD0A174UL
#define THRU_REVERT_AUTH_IN_PROGRAM_SEG 0xBAD0A175UL /* ThruModel SDK */
#define THRU_REVERT_START_RETURNED 0xBAD00001UL      /* start() returned */
#define THRU_REVERT_BAD_TXN_VERSION 0xBAD00002UL     /* txn version != 1 in _start */
#define THRU_REVERT_INSTR_IN_PROGRAM_SEG 0xBAD00003UL /* thru_invoke instr data in PROGRAM seg */

#endif /* THRU_BASE_H */

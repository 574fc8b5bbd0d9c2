/* start.S -- ThruVM program entry (spec executable.md §4).
 *
 * Placed first in .text, i.e. at PROGRAM-segment offset 0 = 0x3000000, where
 * the VM starts execution with a0 = instruction-data pointer,
 * a1 = instruction-data size and every other register 0 (sp included).
 *
 *  1. Transaction version (TXN_DATA byte 0) must be 1, else revert.
 *  2. The stack segment is shared by all frames; a callee's stack sits right
 *     below its caller's.  The caller's (parent's) size is
 *     stack_frames[call_depth - 1].stack_pages pages (frame 0 = sentinel = 0
 *     at top level), so sp = 0x050001000000 - parent_bytes.
 *  3. set_anonymous_segment_sz(sp - __thru_stack_sz) maps this frame's stack
 *     (total stack size parent_bytes + __thru_stack_sz); revert with the
 *     syscall code on failure.
 *  4. Reserve a 32-byte frame holding zero ra/s0 (unwinding terminator), call
 *     start(instr_data, instr_data_sz).  start() must exit via the exit
 *     syscall; if it returns, revert with THRU_REVERT_START_RETURNED.
 *
 * __thru_stack_sz defaults to 4096 in thru.ld (override with
 * -Wl,--defsym=__thru_stack_sz=N, N a multiple of 4096).
 */

#define TXN_DATA_ADDR        0x000001000000
#define SHADOW_STACK_ADDR    0x000002000000
#define STACK_SEG_TOP        0x050001000000  /* (0x05 << 40) | (0x0001 << 24) */
#define FRAME_SZ             264             /* sizeof(thru_shadow_stack_frame_t) */
#define FRAMES_OFF           8               /* offsetof(thru_shadow_stack_t, stack_frames) */
#define FRAME_STACK_PAGES    2               /* offsetof(frame, stack_pages) */
#define SYS_SET_ANON_SEG_SZ  0x00
#define SYS_EXIT             0x0B
#define REVERT_START_RETURNED 0xBAD00001
#define REVERT_BAD_TXN_VERSION 0xBAD00002

  .attribute unaligned_access, 0
  .attribute stack_align, 16

  .section .text._start, "ax", @progbits
  .globl _start
  .type _start, @function
_start:
  /* 1. transaction version */
  li    t5, TXN_DATA_ADDR
  lbu   t5, 0(t5)
  li    t6, 1
  bne   t5, t6, .Lbad_version

  /* keep the entry arguments across the syscall (the VM preserves t0/t1) */
  mv    t0, a0
  mv    t1, a1

  /* 2. parent frame = stack_frames[call_depth - 1] */
  li    t2, SHADOW_STACK_ADDR
  lhu   t3, 0(t2)                 /* call_depth */
  addi  t3, t3, -1
  li    t4, FRAME_SZ
  mul   t3, t3, t4
  add   t3, t3, t2
  lhu   t3, FRAMES_OFF + FRAME_STACK_PAGES(t3)   /* parent.stack_pages */
  slli  t3, t3, 12                /* parent_bytes */
  li    sp, STACK_SEG_TOP
  sub   sp, sp, t3

  /* 3. map our stack: a0 = sp - stack size */
  lui   t4, %hi(__thru_stack_sz)
  addi  t4, t4, %lo(__thru_stack_sz)
  sub   a0, sp, t4
  li    a7, SYS_SET_ANON_SEG_SZ
  ecall
  bnez  a0, .Lrevert              /* revert with the syscall code */

  /* 4. zeroed ra/s0 slots, then start(a0, a1) */
  addi  sp, sp, -32
  sd    ra, 24(sp)
  sd    s0, 16(sp)
  mv    a0, t0
  mv    a1, t1
  call  start

  li    a0, REVERT_START_RETURNED
  j     .Lrevert
.Lbad_version:
  li    a0, REVERT_BAD_TXN_VERSION
.Lrevert:
  li    a1, 1
  li    a7, SYS_EXIT
  ecall
  unimp                           /* not reached */
  .size _start, . - _start

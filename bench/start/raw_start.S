/* raw_start.S -- entry of a raw image (`thru raw`, decision D-RAW's contract: the image is
 * loaded at 0x80000000 in a zero-filled 16 MiB read/write region, every register 0, pc at
 * the first byte; the run stops at the first ecall). The stack pointer goes to the top of
 * the region (__stack_top, bench/start/raw.ld); bench_main's checksum is left in a0 when
 * the ecall stops the run. */
  .section .text.start, "ax", @progbits
  .globl _start
  .type _start, @function
_start:
  la    sp, __stack_top
  call  bench_main
  ecall
1:
  j     1b
  .size _start, . - _start

/* linux_start.S -- entry of the static Linux RV64 ELF (qemu-riscv64): the kernel (or
 * qemu-user) has set sp and zeroed bss; bench_report writes the checksum and exits. */
  .section .text.start, "ax", @progbits
  .globl _start
  .type _start, @function
_start:
  call  bench_main
  call  bench_report
1:
  j     1b
  .size _start, . - _start

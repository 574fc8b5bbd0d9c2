/* linux_rt.c -- the Linux side of the RV64 ELF build, without libc: print the checksum
 * as 16 hex digits and a newline on stdout (write, syscall 64), then exit(0) (93). */
#include <stdint.h>

static long sys3(long n, long a, long b, long c) {
  register long a0 __asm__("a0") = a;
  register long a1 __asm__("a1") = b;
  register long a2 __asm__("a2") = c;
  register long a7 __asm__("a7") = n;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
  return a0;
}

__attribute__((noreturn)) void bench_report(uint64_t checksum) {
  char line[17];
  for (int i = 0; i < 16; i++) line[i] = "0123456789abcdef"[(checksum >> (60 - 4 * i)) & 15];
  line[16] = '\n';
  sys3(64, 1, (long)line, 17);
  for (;;) sys3(93, 0, 0, 0);
}

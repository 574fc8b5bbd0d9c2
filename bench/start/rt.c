/* rt.c -- memcpy and memset for the freestanding RISC-V builds of the suite (the
 * compiler may emit calls to them for structure copies and clears). Aligned 8-byte
 * words when both pointers allow, bytes otherwise (ThruVM refuses misaligned accesses).
 * Built with -fno-tree-loop-distribute-patterns so the loops stay loops. */
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dst, void const *src, size_t n) {
  unsigned char *d = dst;
  unsigned char const *s = src;
  if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
    for (; n >= 8; n -= 8, d += 8, s += 8) *(uint64_t *)d = *(uint64_t const *)s;
  }
  while (n--) *d++ = *s++;
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  if (((uintptr_t)d & 7) == 0) {
    uint64_t w = (uint64_t)(unsigned char)c * 0x0101010101010101ULL;
    for (; n >= 8; n -= 8, d += 8) *(uint64_t *)d = w;
  }
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

/* mem.c -- memcpy/memmove/memset/memcmp/strlen for freestanding ThruVM programs.
 *
 * GCC emits calls to these for struct copies and large initialisers even with
 * -ffreestanding.  ThruVM faults on unaligned accesses, so word-sized accesses
 * are used only when both pointers are 8-byte aligned; everything else is done
 * byte by byte.  Must be compiled with -fno-tree-loop-distribute-patterns (the
 * SDK flags do) so GCC does not turn these loops back into calls to themselves.
 */
#include <thru.h>

#define ALIGNED8(p) ((((uintptr_t)(p)) & 7u) == 0)

/* Forward copy; safe for overlapping regions when dst < src. */
static void copy_forward(uint8_t *d, uint8_t const *s, size_t n) {
  if (ALIGNED8(d) && ALIGNED8(s)) {
    for (; n >= 8; n -= 8, d += 8, s += 8) *(uint64_t *)d = *(uint64_t const *)s;
  }
  for (; n; n--) *d++ = *s++;
}

void *memcpy(void *restrict dst, void const *restrict src, size_t n) {
  copy_forward(dst, src, n);
  return dst;
}

void *memmove(void *dst, void const *src, size_t n) {
  uint8_t *d = dst;
  uint8_t const *s = src;
  if (d == s || n == 0) return dst;
  if ((uintptr_t)d - (uintptr_t)s >= n) { /* dst before src, or disjoint */
    copy_forward(d, s, n);
    return dst;
  }
  /* src < dst < src + n: copy backwards */
  d += n;
  s += n;
  if (ALIGNED8(d) && ALIGNED8(s)) {
    for (; n >= 8; n -= 8) {
      d -= 8;
      s -= 8;
      *(uint64_t *)d = *(uint64_t const *)s;
    }
  }
  while (n--) *--d = *--s;
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  uint8_t *d = dst;
  uint8_t b = (uint8_t)c;
  for (; n && !ALIGNED8(d); n--) *d++ = b;
  uint64_t w = 0x0101010101010101UL * b;
  for (; n >= 8; n -= 8, d += 8) *(uint64_t *)d = w;
  for (; n; n--) *d++ = b;
  return dst;
}

int memcmp(void const *a, void const *b, size_t n) {
  uint8_t const *x = a;
  uint8_t const *y = b;
  if (ALIGNED8(x) && ALIGNED8(y)) {
    for (; n >= 8 && *(uint64_t const *)x == *(uint64_t const *)y; n -= 8, x += 8, y += 8) {
    }
  }
  for (; n; n--, x++, y++) {
    if (*x != *y) return (int)*x - (int)*y;
  }
  return 0;
}

size_t strlen(char const *s) {
  char const *p = s;
  while (*p) p++;
  return (size_t)(p - s);
}

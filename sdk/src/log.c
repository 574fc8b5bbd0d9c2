/* log.c -- formatted logging for ThruVM programs (log syscall 0x0C).
 *
 * A deliberately small printf subset; formats into a stack buffer (the default
 * stack is a single 4 KiB page, so the buffer is THRU_PRINTF_BUF_SZ bytes) and
 * writes it with one log syscall.
 */
#include <stdarg.h>
#include <thru.h>

typedef struct {
  char *buf;
  size_t cap; /* bytes available for characters (buffer size - 1) */
  size_t len; /* characters produced so far (may exceed cap)      */
} out_t;

static void put(out_t *o, char c) {
  if (o->len < o->cap) o->buf[o->len] = c;
  o->len++;
}

static void pad(out_t *o, char c, int n) {
  for (; n > 0; n--) put(o, c);
}

/* Emit `digits` (already formatted, length n) with sign/prefix and padding. */
static void emit_num(out_t *o, char const *prefix, char const *digits, int n, int width,
                     bool left, bool zero) {
  int plen = (int)strlen(prefix);
  int fill = width - n - plen;
  if (!left && !zero) pad(o, ' ', fill);
  for (int i = 0; i < plen; i++) put(o, prefix[i]);
  if (!left && zero) pad(o, '0', fill);
  for (int i = 0; i < n; i++) put(o, digits[i]);
  if (left) pad(o, ' ', fill);
}

static int utoa_rev(uint64_t v, unsigned base, bool upper, char *tmp) {
  char const *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  int n = 0;
  do {
    tmp[n++] = dig[v % base];
    v /= base;
  } while (v);
  return n;
}

int thru_vsnprintf(char *buf, size_t buf_sz, char const *fmt, va_list ap) {
  out_t o = {buf, buf_sz ? buf_sz - 1 : 0, 0};
  for (char const *p = fmt; *p; p++) {
    if (*p != '%') {
      put(&o, *p);
      continue;
    }
    p++;
    bool left = false, zero = false;
    for (;; p++) {
      if (*p == '-') left = true;
      else if (*p == '0') zero = true;
      else break;
    }
    int width = 0;
    if (*p == '*') {
      width = va_arg(ap, int);
      if (width < 0) {
        left = true;
        width = -width;
      }
      p++;
    } else {
      while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
    }
    int prec = -1;
    if (*p == '.') {
      p++;
      prec = 0;
      if (*p == '*') {
        prec = va_arg(ap, int);
        p++;
      } else {
        while (*p >= '0' && *p <= '9') prec = prec * 10 + (*p++ - '0');
      }
    }
    int lng = 0; /* 0 int, 1 long (l, ll, z, j, t are all 64-bit on lp64) */
    while (*p == 'l' || *p == 'h' || *p == 'z' || *p == 'j' || *p == 't') {
      if (*p != 'h') lng = 1;
      p++;
    }
    char tmp[24], digits[24];
    int n;
    switch (*p) {
    case 'd':
    case 'i': {
      int64_t v = lng ? va_arg(ap, long) : va_arg(ap, int);
      uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
      n = utoa_rev(mag, 10, false, tmp);
      for (int i = 0; i < n; i++) digits[i] = tmp[n - 1 - i];
      emit_num(&o, v < 0 ? "-" : "", digits, n, width, left, zero);
      break;
    }
    case 'u':
    case 'x':
    case 'X':
    case 'p': {
      uint64_t v;
      if (*p == 'p') v = (uint64_t)va_arg(ap, void *);
      else v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
      n = utoa_rev(v, *p == 'u' ? 10 : 16, *p == 'X', tmp);
      for (int i = 0; i < n; i++) digits[i] = tmp[n - 1 - i];
      emit_num(&o, *p == 'p' ? "0x" : "", digits, n, width, left, zero);
      break;
    }
    case 'c': {
      char c = (char)va_arg(ap, int);
      emit_num(&o, "", &c, 1, width, left, false);
      break;
    }
    case 's': {
      char const *s = va_arg(ap, char const *);
      if (!s) s = "(null)";
      int len = 0;
      while ((prec < 0 || len < prec) && s[len]) len++; /* never read past the precision */
      emit_num(&o, "", s, len, width, left, false);
      break;
    }
    case '%':
      put(&o, '%');
      break;
    case '\0':
      p--; /* trailing '%': stop at the terminator */
      break;
    default: /* unknown conversion: copy it verbatim */
      put(&o, '%');
      put(&o, *p);
      break;
    }
  }
  if (buf_sz) buf[o.len < o.cap ? o.len : o.cap] = '\0';
  return (int)o.len;
}

int thru_snprintf(char *buf, size_t buf_sz, char const *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = thru_vsnprintf(buf, buf_sz, fmt, ap);
  va_end(ap);
  return n;
}

int thru_printf(char const *fmt, ...) {
  char buf[THRU_PRINTF_BUF_SZ];
  va_list ap;
  va_start(ap, fmt);
  int n = thru_vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  size_t len = (size_t)n < sizeof buf - 1 ? (size_t)n : sizeof buf - 1;
  thru_sys_log(buf, len);
  return n;
}

long thru_log_hex(char const *label, void const *data, size_t n) {
  static char const hex[] = "0123456789abcdef";
  char buf[THRU_PRINTF_BUF_SZ];
  size_t len = 0;
  for (; label && *label && len < sizeof buf; label++) buf[len++] = *label;
  uint8_t const *d = data;
  for (size_t i = 0; i < n && len + 2 <= sizeof buf; i++) {
    buf[len++] = hex[d[i] >> 4];
    buf[len++] = hex[d[i] & 15];
  }
  return thru_sys_log(buf, len);
}

char const *thru_syscall_strerror(long rc) {
  switch (rc) {
  case 0: return "SUCCESS";
  case 1: return "SUCCESS_EXIT";
  case -7: return "BAD_SEGMENT_TABLE_SIZE";
  case -8: return "INVALID_ACCOUNT_INDEX";
  case -9: return "ACCOUNT_DOES_NOT_EXIST";
  case -10: return "ACCOUNT_NOT_WRITABLE";
  case -11: return "BALANCE_OVERFLOW";
  case -12: return "ACCOUNT_TOO_BIG";
  case -13: return "INVALID_OBJ_REF_KIND";
  case -14: return "OBJ_NOT_WRITABLE";
  case -15: return "ACCOUNT_ALREADY_EXISTS";
  case -16: return "BAD_ACCOUNT_ADDRESS";
  case -17: return "ACCOUNT_IS_NOT_PROGRAM";
  case -18: return "ACCOUNT_HAS_DATA";
  case -19: return "SEGMENT_ALREADY_MAPPED";
  case -20: return "BAD_PARAMS";
  case -21: return "INVALID_SEGMENT_ID";
  case -22: return "INVALID_ADDRESS";
  case -23: return "INVALID_STATE_PROOF";
  case -24: return "CALL_DEPTH_TOO_DEEP";
  case -25: return "REVERT";
  case -26: return "INSUFFICIENT_PAGES";
  case -27: return "INVALID_ACCOUNT";
  case -28: return "INVALID_SEGMENT_SIZE";
  case -29: return "UNFREEABLE_PAGE";
  case -30: return "LOG_DATA_TOO_LARGE";
  case -31: return "EVENT_TOO_LARGE";
  case -32: return "INVALID_PROOF_LEN";
  case -33: return "INVALID_PROOF_SLOT";
  case -34: return "ACCOUNT_IN_COMPRESSION_TIMEOUT";
  case -35: return "INVALID_ACCOUNT_DATA_SIZE";
  case -36: return "INVALID_SEED_LENGTH";
  case -37: return "TXN_HAS_COMPRESSED_ACCOUNT";
  case -38: return "INSUFFICIENT_BALANCE";
  case -39: return "INVALID_OFFSET";
  case -40: return "COMPUTE_UNITS_EXCEEDED";
  case -41: return "INVALID_FLAGS";
  case -42: return "EPHEMERAL_ACCOUNT_CANNOT_CREATE_PERSISTENT";
  case -43: return "ACCOUNT_COMPRESSION_NOT_ALLOWED";
  case -44: return "INVALID_SIGNATURE";
  case -45: return "ACCOUNT_UNCOMPRESSABLE";
  case -46: return "EVENT_IS_ZERO_SIZE";
  case -47: return "STATE_BYTES_ADDED_OVERFLOW";
  case -48: return "STATE_BYTES_REMOVED_OVERFLOW";
  case -49: return "PROGRAM_IN_CALL_STACK";
  default: return "UNKNOWN";
  }
}

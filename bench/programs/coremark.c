/* coremark -- a CoreMark-like mix of four small workloads, each iteration running all of
 * them on data derived from the previous iteration's result:
 *   list:   a singly linked list of 128 records in a pool; find, reverse, and a merge
 *           sort by value then by index (the list is put back in index order);
 *   matrix: 24x24 16-bit matrices: add and multiply by a constant, matrix-vector,
 *           matrix-matrix, and matrix-matrix keeping a bit field of each product;
 *   state:  a scanner that classifies comma-separated tokens (integer, decimal,
 *           exponent, invalid) character by character, with a transition count;
 *   crc:    a bitwise CRC-16 (polynomial 0xA001) over every result.
 * Self-checks: the sorted list is in order and a permutation of the records; the scanner
 * classifies a fixed input as expected. Written for ThruModel (not CoreMark's code). */
#include "bench.h"

#define ITERATIONS BENCH_SCALE(800, 24)

/* ---- CRC-16, bit by bit ---- */
static uint16_t crc_byte(uint8_t b, uint16_t crc) {
  for (int i = 0; i < 8; i++) {
    uint16_t mix = (uint16_t)((crc ^ b) & 1);
    crc >>= 1;
    if (mix) crc ^= 0xA001;
    b >>= 1;
  }
  return crc;
}
static uint16_t crc_u16(uint16_t v, uint16_t crc) { return crc_byte((uint8_t)(v >> 8), crc_byte((uint8_t)v, crc)); }
static uint16_t crc_u32(uint32_t v, uint16_t crc) { return crc_u16((uint16_t)(v >> 16), crc_u16((uint16_t)v, crc)); }

/* ---- list ---- */
#define LIST_N 128
typedef struct node {
  struct node *next;
  uint16_t value;
  uint16_t index;
} node;
static node pool[LIST_N];

static node *list_build(uint16_t seed) {
  node *head = 0;
  for (int i = LIST_N - 1; i >= 0; i--) {
    pool[i].index = (uint16_t)i;
    pool[i].value = (uint16_t)((seed ^ (uint16_t)(i * 0x9E37u)) * 0x2F1Bu + (uint16_t)(i >> 3));
    pool[i].next = head;
    head = &pool[i];
  }
  return head;
}

static node *list_find(node *n, uint16_t value) {
  while (n && (n->value & 0xFF) != (value & 0xFF)) n = n->next;
  return n;
}

static node *list_reverse(node *n) {
  node *prev = 0;
  while (n) {
    node *next = n->next;
    n->next = prev;
    prev = n;
    n = next;
  }
  return prev;
}

static int by_value(node const *a, node const *b) { return a->value != b->value ? a->value < b->value : a->index <= b->index; }
static int by_index(node const *a, node const *b) { return a->index <= b->index; }

/* Bottom-up merge sort of a linked list. */
static node *list_sort(node *list, int (*le)(node const *, node const *)) {
  for (int width = 1;; width *= 2) {
    node *p = list, *tail = 0;
    list = 0;
    int merges = 0;
    while (p) {
      merges++;
      node *q = p;
      int psize = 0;
      for (int i = 0; i < width && q; i++) psize++, q = q->next;
      int qsize = width;
      while (psize > 0 || (qsize > 0 && q)) {
        node *e;
        if (psize == 0) e = q, q = q->next, qsize--;
        else if (qsize == 0 || !q) e = p, p = p->next, psize--;
        else if (le(p, q)) e = p, p = p->next, psize--;
        else e = q, q = q->next, qsize--;
        if (tail) tail->next = e;
        else list = e;
        tail = e;
      }
      p = q;
    }
    tail->next = 0;
    if (merges <= 1) return list;
  }
}

static uint16_t bench_list(uint16_t seed, uint16_t crc, int *failed) {
  node *head = list_build(seed);
  for (int i = 0; i < 8; i++) {
    node *f = list_find(head, (uint16_t)(seed + i * 37));
    crc = crc_u16(f ? f->index : 0xFFFF, crc);
  }
  head = list_reverse(head);
  crc = crc_u16(head->index, crc);
  head = list_sort(head, by_value);
  unsigned count = 0, seen = 0;
  for (node *n = head; n; n = n->next) {
    if (n->next && !by_value(n, n->next)) *failed = 1;
    count++;
    seen += n->index;
    crc = crc_u16(n->value, crc);
  }
  if (count != LIST_N || seen != LIST_N * (LIST_N - 1) / 2) *failed = 1;
  head = list_sort(head, by_index);
  for (node *n = head; n; n = n->next) crc = crc_u16(n->index, crc);
  return crc;
}

/* ---- matrix ---- */
#define MAT_N 24
static uint16_t mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N];
static uint32_t mat_c[MAT_N][MAT_N], vec_c[MAT_N];

static uint16_t bench_matrix(uint16_t seed, uint16_t crc) {
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      mat_a[i][j] = (uint16_t)((seed * (i + 1) + j * 7) & 0x0FFF);
      mat_b[i][j] = (uint16_t)((seed ^ (uint16_t)(j * 13 + i)) & 0x0FFF);
    }
  uint16_t k = (uint16_t)(seed | 1);
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) mat_a[i][j] = (uint16_t)(mat_a[i][j] + k);
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) mat_c[i][j] = (uint32_t)mat_a[i][j] * k;
  uint32_t acc = 0;
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) acc += mat_c[i][j];
  crc = crc_u32(acc, crc);
  for (int i = 0; i < MAT_N; i++) {
    uint32_t s = 0;
    for (int j = 0; j < MAT_N; j++) s += (uint32_t)mat_a[i][j] * mat_b[j][0];
    vec_c[i] = s;
    crc = crc_u32(s, crc);
  }
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      uint32_t s = 0;
      for (int m = 0; m < MAT_N; m++) s += (uint32_t)mat_a[i][m] * mat_b[m][j];
      mat_c[i][j] = s;
    }
  acc = 0;
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) acc += mat_c[i][j] ^ vec_c[j];
  crc = crc_u32(acc, crc);
  for (int i = 0; i < MAT_N; i++)
    for (int j = 0; j < MAT_N; j++) {
      uint32_t s = 0;
      for (int m = 0; m < MAT_N; m++) s += ((uint32_t)mat_a[i][m] * mat_b[m][j] >> 2) & 0x3F;
      crc = crc_u16((uint16_t)s, crc);
    }
  return crc;
}

/* ---- state machine ---- */
enum { S_START, S_SIGN, S_INT, S_POINT, S_FRAC, S_EXP, S_EXPSIGN, S_EXPINT, S_INVALID, S_COUNT };

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* Classify one token starting at *p (ends at ',' or NUL); returns its final state. */
static int scan_token(uint8_t const **p, unsigned transitions[S_COUNT]) {
  int s = S_START;
  uint8_t c;
  while ((c = **p) != 0 && c != ',') {
    int next;
    switch (s) {
    case S_START: next = is_digit(c) ? S_INT : (c == '+' || c == '-') ? S_SIGN : c == '.' ? S_POINT : S_INVALID; break;
    case S_SIGN: next = is_digit(c) ? S_INT : c == '.' ? S_POINT : S_INVALID; break;
    case S_INT: next = is_digit(c) ? S_INT : c == '.' ? S_POINT : (c == 'e' || c == 'E') ? S_EXP : S_INVALID; break;
    case S_POINT: next = is_digit(c) ? S_FRAC : S_INVALID; break;
    case S_FRAC: next = is_digit(c) ? S_FRAC : (c == 'e' || c == 'E') ? S_EXP : S_INVALID; break;
    case S_EXP: next = is_digit(c) ? S_EXPINT : (c == '+' || c == '-') ? S_EXPSIGN : S_INVALID; break;
    case S_EXPSIGN: next = is_digit(c) ? S_EXPINT : S_INVALID; break;
    case S_EXPINT: next = is_digit(c) ? S_EXPINT : S_INVALID; break;
    default: next = S_INVALID; break;
    }
    if (next != s) transitions[next]++;
    s = next;
    (*p)++;
  }
  if (**p == ',') (*p)++;
  return s;
}

#define TEXT_N 480
static uint8_t text[TEXT_N + 1];
static char const *const tokens[] = {"5012", "1.23", "-874", "+122", "T0.3e-1F", "-.3e-1", "81e5", "7.", "-x9", "3.14e+0", "0", "++1"};

static uint16_t bench_state(uint16_t seed, uint16_t crc) {
  /* The text: tokens picked by the seed; a few characters then altered by it. */
  unsigned n = 0, t = seed;
  while (n < TEXT_N - 12) {
    char const *tok = tokens[t % 12];
    t = t * 1103515245u + 12345u;
    while (*tok) text[n++] = (uint8_t)*tok++;
    text[n++] = ',';
  }
  text[n] = 0;
  for (unsigned i = seed % 17; i < n; i += 23)
    if (text[i] != ',') text[i] = (uint8_t)(text[i] ^ 0x01);
  unsigned transitions[S_COUNT] = {0}, finals[S_COUNT] = {0};
  uint8_t const *p = text;
  while (*p) finals[scan_token(&p, transitions)]++;
  for (int s = 0; s < S_COUNT; s++) crc = crc_u16((uint16_t)(finals[s] * 256 + transitions[s]), crc);
  return crc;
}

static int state_selfcheck(void) {
  static char const input[] = "5012,1.23,-874,+122,T0.3e-1F,-.3e-1,81e5,7.,-x9,3.14e+0,0,++1";
  static int const expected[] = {S_INT, S_FRAC, S_INT, S_INT, S_INVALID, S_EXPINT, S_EXPINT, S_POINT, S_INVALID, S_EXPINT, S_INT, S_INVALID};
  unsigned transitions[S_COUNT] = {0};
  uint8_t const *p = (uint8_t const *)input;
  for (int i = 0; i < 12; i++)
    if (scan_token(&p, transitions) != expected[i]) return 0;
  return *p == 0;
}

uint64_t bench_main(void) {
  int failed = !state_selfcheck();
  uint16_t crc = 0, seed = 0x3415;
  uint64_t h = 0;
  for (int it = 0; it < ITERATIONS; it++) {
    crc = bench_list(seed, crc, &failed);
    crc = bench_matrix(seed, crc);
    crc = bench_state(seed, crc);
    seed = (uint16_t)(crc ^ (seed * 31u));
    h = bench_fold(h, crc);
  }
  return failed ? h ^ BENCH_FAILED : h;
}

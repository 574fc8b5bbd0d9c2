/* linkedlist -- list manipulation with pointers: build a sorted doubly linked list by
 * insertion (walking from the nearer end), delete every third node, reverse it, split it
 * in two and merge the halves back, several rounds over a pool. Self-check: order and
 * length after each step. */
#include "bench.h"

#define POOL 3000
#define ROUNDS BENCH_SCALE(60, 1)

typedef struct link {
  struct link *prev, *next;
  uint64_t key;
} link;

static link pool[POOL];

typedef struct {
  link *head, *tail;
  long length;
} list;

static void insert_sorted(list *l, link *n) {
  if (!l->head) {
    n->prev = n->next = 0;
    l->head = l->tail = n;
  } else if (n->key < 0x8000000000000000ULL) {
    link *p = l->head;
    while (p && p->key < n->key) p = p->next;
    if (!p) {
      n->prev = l->tail, n->next = 0, l->tail->next = n, l->tail = n;
    } else {
      n->next = p, n->prev = p->prev;
      if (p->prev) p->prev->next = n;
      else l->head = n;
      p->prev = n;
    }
  } else {
    link *p = l->tail;
    while (p && p->key > n->key) p = p->prev;
    if (!p) {
      n->next = l->head, n->prev = 0, l->head->prev = n, l->head = n;
    } else {
      n->prev = p, n->next = p->next;
      if (p->next) p->next->prev = n;
      else l->tail = n;
      p->next = n;
    }
  }
  l->length++;
}

static void unlink_node(list *l, link *n) {
  if (n->prev) n->prev->next = n->next;
  else l->head = n->next;
  if (n->next) n->next->prev = n->prev;
  else l->tail = n->prev;
  l->length--;
}

static int ascending(list const *l) {
  long count = 0;
  for (link *p = l->head; p; p = p->next, count++)
    if (p->next && (p->next->key < p->key || p->next->prev != p)) return 0;
  return count == l->length;
}

static void reverse(list *l) {
  link *p = l->head;
  while (p) {
    link *next = p->next;
    p->next = p->prev;
    p->prev = next;
    p = next;
  }
  link *t = l->head;
  l->head = l->tail;
  l->tail = t;
}

/* Split a descending list into alternating halves, then merge them back ascending. */
static void split_merge(list *l) {
  list a = {0, 0, 0}, b = {0, 0, 0};
  int toggle = 0;
  for (link *p = l->tail; p;) {
    link *prev = p->prev;
    list *d = toggle ? &b : &a;
    toggle ^= 1;
    p->prev = d->tail;
    p->next = 0;
    if (d->tail) d->tail->next = p;
    else d->head = p;
    d->tail = p;
    d->length++;
    p = prev;
  }
  list m = {0, 0, 0};
  link *x = a.head, *y = b.head;
  while (x || y) {
    link *take;
    if (!y || (x && x->key <= y->key)) take = x, x = x->next;
    else take = y, y = y->next;
    take->prev = m.tail;
    take->next = 0;
    if (m.tail) m.tail->next = take;
    else m.head = take;
    m.tail = take;
    m.length++;
  }
  *l = m;
}

uint64_t bench_main(void) {
  uint64_t state = 0x11A7C0DEULL, h = 0;
  int failed = 0;
  for (int r = 0; r < ROUNDS; r++) {
    list l = {0, 0, 0};
    for (int i = 0; i < POOL; i++) {
      pool[i].key = bench_rand(&state);
      insert_sorted(&l, &pool[i]);
    }
    if (!ascending(&l) || l.length != POOL) failed = 1;
    int i = 0;
    for (link *p = l.head; p;) {
      link *next = p->next;
      if (i++ % 3 == 2) unlink_node(&l, p);
      p = next;
    }
    if (!ascending(&l) || l.length != POOL - POOL / 3) failed = 1;
    reverse(&l);
    split_merge(&l);
    if (!ascending(&l) || l.length != POOL - POOL / 3) failed = 1;
    uint64_t s = 0;
    for (link *p = l.head; p; p = p->next) s = s * 31 + (p->key >> 40);
    h = bench_fold(h, s);
  }
  return failed ? h ^ BENCH_FAILED : h;
}

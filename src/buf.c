#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void cams_buf_init(cams_buf *b) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->high = 0;
  b->failed = 0;
}

void cams_buf_free(cams_buf *b) {
  free(b->data);
  cams_buf_init(b);
}

void cams_buf_wipe(cams_buf *b) {
  cams_buf_reset(b);
  if (b->data) OPENSSL_cleanse(b->data, b->high < b->cap ? b->high + 1 : b->cap);
  b->high = 0;
}

void cams_buf_free_secret(cams_buf *b) {
  cams_buf_wipe(b);
  cams_buf_free(b);
}

void cams_buf_reset(cams_buf *b) {
  if (b->len > b->high) b->high = b->len;
  b->len = 0;
  b->failed = 0;
  if (b->data) b->data[0] = '\0';
}

int cams_buf_reserve(cams_buf *b, size_t extra) {
  size_t need, cap;
  char *p;
  if (b->failed) return 0;
  if (extra < b->cap - b->len) return 1; /* fits: the common case once a buffer is reused */
  if (extra > (size_t)-1 - b->len - 1) {
    b->failed = 1;
    return 0;
  }
  need = b->len + extra + 1;
  if (need <= b->cap) return 1;
  cap = b->cap ? b->cap : 64;
  while (cap < need) cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
  p = realloc(b->data, cap);
  if (!p) {
    b->failed = 1;
    return 0;
  }
  b->data = p;
  b->cap = cap;
  return 1;
}

void cams_buf_add(cams_buf *b, const char *s, size_t n) {
  if (!cams_buf_reserve(b, n)) return;
  if (n) memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void cams_buf_adds(cams_buf *b, const char *s) { cams_buf_add(b, s, strlen(s)); }

void cams_buf_addc_slow(cams_buf *b, char c) {
  if (!cams_buf_reserve(b, 1)) return;
  b->data[b->len++] = c;
  b->data[b->len] = '\0';
}

const char *cams_buf_str(const cams_buf *b) { return b->data ? b->data : ""; }

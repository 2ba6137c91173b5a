/* Fields of a fuzz input for the signer and request harnesses: each one length byte and
   that many bytes (fewer when the input runs out; "" once it has). */
#ifndef CAMS_FUZZ_FIELD_READER_H
#define CAMS_FUZZ_FIELD_READER_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const uint8_t *p;
  size_t left;
} reader;

/* Next field: a copy with a NUL after it (embedded NULs kept; *len, when asked for, says
   how long; a C caller reading it as a string stops at the first NUL). */
static char *next_field(reader *r, size_t *len) {
  size_t n = 0;
  char *s;
  if (r->left) {
    n = *r->p++;
    r->left--;
    if (n > r->left) n = r->left;
  }
  s = malloc(n + 1);
  if (!s) abort();
  if (n) memcpy(s, r->p, n);
  s[n] = '\0';
  r->p += n;
  r->left -= n;
  if (len) *len = n;
  return s;
}

#endif

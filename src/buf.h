/* Growable byte buffer used by the encoder, the signer and the transport. */
#ifndef CAMS_BUF_H
#define CAMS_BUF_H

#include <stddef.h>

typedef struct {
  char *data;   /* always NUL-terminated once anything was appended */
  size_t len;
  size_t cap;
  size_t high;  /* the longest contents since the last wipe: what a wipe must cover */
  int failed;   /* set when an allocation failed; later appends are no-ops */
} cams_buf;

void cams_buf_init(cams_buf *b);
void cams_buf_free(cams_buf *b);
/* Wipes the contents before freeing: for buffers that held key material. */
void cams_buf_free_secret(cams_buf *b);
void cams_buf_reset(cams_buf *b);
/* Overwrites every byte written since the last wipe with zeros and empties the buffer
   (keeps the memory). */
void cams_buf_wipe(cams_buf *b);
int cams_buf_reserve(cams_buf *b, size_t extra);
void cams_buf_add(cams_buf *b, const char *s, size_t n);
void cams_buf_adds(cams_buf *b, const char *s);
void cams_buf_addc_slow(cams_buf *b, char c);

/* Inline: the signer appends many single separators. */
static inline void cams_buf_addc(cams_buf *b, char c) {
  if (!b->failed && b->cap - b->len > 1) {
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
  } else {
    cams_buf_addc_slow(b, c);
  }
}
/* The contents as a C string ("" for an empty buffer). */
const char *cams_buf_str(const cams_buf *b);

#endif

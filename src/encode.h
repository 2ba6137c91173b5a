/* Percent-encoding, hex, UTC timestamps and nonces by the Alibaba Cloud rules. */
#ifndef CAMS_ENCODE_H
#define CAMS_ENCODE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

typedef enum {
  /* Canonicalization: only A-Z a-z 0-9 - _ . ~ are kept; space is %20. */
  CAMS_ENC_STRICT,
  /* Wire form of bodies and query strings, as the official SDKs send them:
     also keeps ! ' ( ) *, which the server decodes before canonicalizing. */
  CAMS_ENC_FORM
} cams_enc_mode;

void cams_percent_encode(cams_buf *out, const char *s, size_t n, cams_enc_mode mode);
void cams_hex(cams_buf *out, const unsigned char *bytes, size_t n);
/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int cams_utf8_valid(const char *s, size_t n);

#define CAMS_TIMESTAMP_LEN 20 /* "YYYY-MM-DDTHH:MM:SSZ" */
#define CAMS_NONCE_LEN 32     /* 16 random bytes as hex */

/* Current UTC time as ISO 8601; out must hold CAMS_TIMESTAMP_LEN + 1 bytes. */
int cams_timestamp(char *out);
/* The same for a given time. */
int cams_timestamp_at(time_t t, char *out);
/* Fresh nonce from RAND_bytes; out must hold CAMS_NONCE_LEN + 1 bytes. */
int cams_nonce(char *out);
/* Uniform in [0, 1) from RAND_bytes (retry jitter that differs between processes). */
int cams_random_unit(double *out);
/* The nonce for CAMS_NONCE_LEN / 2 random bytes; out as for cams_nonce. */
void cams_nonce_hex(char *out, const unsigned char *raw);

#endif

#define _POSIX_C_SOURCE 200809L /* gmtime_r */

#include "encode.h"

#include <string.h>
#include <time.h>

#include <openssl/rand.h>

static const char HEX[] = "0123456789ABCDEF";
static const char hex_lower[] = "0123456789abcdef";

/* By byte: 1 kept in both modes (A-Z a-z 0-9 - _ . ~), 2 kept in form mode only
   (! ' ( ) *), 0 always encoded. */
static const unsigned char KEEP[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 2, 0, 0, 0, 0, 0, 2, 2, 2, 2, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

void cams_percent_encode(cams_buf *out, const char *s, size_t n, cams_enc_mode mode) {
  size_t i;
  char *w;
  unsigned char limit = mode == CAMS_ENC_FORM ? 2 : 1;
  if (n > ((size_t)-1) / 3 || !cams_buf_reserve(out, n * 3)) return;
  w = out->data + out->len;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    unsigned char k = KEEP[c];
    if (k && k <= limit) {
      *w++ = (char)c;
    } else {
      *w++ = '%';
      *w++ = HEX[c >> 4];
      *w++ = HEX[c & 15];
    }
  }
  out->len = (size_t)(w - out->data);
  out->data[out->len] = '\0';
}

void cams_hex(cams_buf *out, const unsigned char *bytes, size_t n) {
  size_t i;
  char *w;
  if (n > ((size_t)-1) / 2 || !cams_buf_reserve(out, n * 2)) return;
  w = out->data + out->len;
  for (i = 0; i < n; i++) {
    *w++ = hex_lower[bytes[i] >> 4];
    *w++ = hex_lower[bytes[i] & 15];
  }
  out->len += n * 2;
  out->data[out->len] = '\0';
}

int cams_utf8_valid(const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t need, k;
    unsigned long cp, min;
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1, cp = c & 0x1Fu, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2, cp = c & 0x0Fu, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3, cp = c & 0x07u, min = 0x10000;
    } else {
      return 0;
    }
    if (n - i <= need) return 0;
    for (k = 1; k <= need; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (s[i + k] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    i += need + 1;
  }
  return 1;
}

int cams_timestamp_at(time_t t, char *out) {
  struct tm tm;
  if (!gmtime_r(&t, &tm)) return 0;
  return strftime(out, CAMS_TIMESTAMP_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) == CAMS_TIMESTAMP_LEN;
}

int cams_timestamp(char *out) {
  time_t now = time(NULL);
  return now != (time_t)-1 && cams_timestamp_at(now, out);
}

void cams_nonce_hex(char *out, const unsigned char *raw) {
  size_t i;
  for (i = 0; i < CAMS_NONCE_LEN / 2; i++) {
    out[2 * i] = hex_lower[raw[i] >> 4];
    out[2 * i + 1] = hex_lower[raw[i] & 15];
  }
  out[CAMS_NONCE_LEN] = '\0';
}

int cams_nonce(char *out) {
  unsigned char raw[CAMS_NONCE_LEN / 2];
  if (RAND_bytes(raw, (int)sizeof raw) != 1) return 0;
  cams_nonce_hex(out, raw);
  return 1;
}

int cams_random_unit(double *out) {
  unsigned char raw[7];
  unsigned long long v = 0;
  size_t i;
  if (RAND_bytes(raw, (int)sizeof raw) != 1) return 0;
  for (i = 0; i < sizeof raw; i++) v = (v << 8) | raw[i];
  *out = (double)(v >> 3) / 9007199254740992.0; /* 53 random bits / 2^53 */
  return 1;
}

/* libFuzzer harness: the percent-encoder (both modes) and hex.
   Checks that the output uses only the allowed characters, decodes back to the input and
   has the expected length. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int kept(unsigned char c, cams_enc_mode mode) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
      c == '_' || c == '.' || c == '~')
    return 1;
  return mode == CAMS_ENC_FORM && (c == '!' || c == '\'' || c == '(' || c == ')' || c == '*');
}

static void check_mode(const uint8_t *data, size_t size, cams_enc_mode mode) {
  cams_buf out;
  size_t i = 0, n = 0;
  cams_buf_init(&out);
  cams_buf_adds(&out, "prefix:"); /* encoding appends */
  cams_percent_encode(&out, (const char *)data, size, mode);
  if (out.failed) abort();
  if (out.len < 7 + size || out.len > 7 + 3 * size) abort();
  if (memcmp(out.data, "prefix:", 7) != 0 || out.data[out.len] != '\0') abort();
  for (i = 7; i < out.len; n++) {
    unsigned char c = (unsigned char)out.data[i];
    if (n >= size) abort();
    if (c == '%') {
      int hi, lo;
      if (i + 2 >= out.len) abort();
      hi = hexval(out.data[i + 1]);
      lo = hexval(out.data[i + 2]);
      if (hi < 0 || lo < 0) abort();
      if ((unsigned char)(hi * 16 + lo) != data[n] || kept(data[n], mode)) abort();
      i += 3;
    } else {
      if (!kept(c, mode) || c != data[n]) abort();
      i++;
    }
  }
  if (n != size) abort();
  cams_buf_free(&out);
}

static void check_hex(const uint8_t *data, size_t size) {
  cams_buf out;
  size_t i;
  cams_buf_init(&out);
  cams_hex(&out, data, size);
  if (out.failed || out.len != 2 * size) abort();
  for (i = 0; i < size; i++) {
    static const char digits[] = "0123456789abcdef";
    if (out.data[2 * i] != digits[data[i] >> 4] || out.data[2 * i + 1] != digits[data[i] & 15])
      abort();
  }
  cams_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_mode(data, size, CAMS_ENC_STRICT);
  check_mode(data, size, CAMS_ENC_FORM);
  check_hex(data, size);
  return 0;
}

/* libFuzzer harness: the UTF-8 validator against a reference written from the table of
   well-formed byte sequences (Unicode 15, table 3-7), byte ranges rather than arithmetic. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "encode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int in(uint8_t b, uint8_t lo, uint8_t hi) { return b >= lo && b <= hi; }

static int reference_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t b = s[i];
    size_t left = n - i;
    if (b <= 0x7F) {
      i += 1;
    } else if (in(b, 0xC2, 0xDF)) {
      if (left < 2 || !in(s[i + 1], 0x80, 0xBF)) return 0;
      i += 2;
    } else if (b == 0xE0 || in(b, 0xE1, 0xEC) || b == 0xED || in(b, 0xEE, 0xEF)) {
      uint8_t lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
      if (left < 3 || !in(s[i + 1], lo, hi) || !in(s[i + 2], 0x80, 0xBF)) return 0;
      i += 3;
    } else if (b == 0xF0 || in(b, 0xF1, 0xF3) || b == 0xF4) {
      uint8_t lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
      if (left < 4 || !in(s[i + 1], lo, hi) || !in(s[i + 2], 0x80, 0xBF) ||
          !in(s[i + 3], 0x80, 0xBF))
        return 0;
      i += 4;
    } else {
      return 0;
    }
  }
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (cams_utf8_valid((const char *)data, size) != reference_valid(data, size)) abort();
  return 0;
}

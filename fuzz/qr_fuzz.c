/* libFuzzer harness: QR encoding and its writers.
   Input: level, margin, SVG scale, PNG scale and invert bytes, then the text. Checks the
   status against the documented rules, the symbol's fixed patterns, and that the SVG path,
   the terminal text and the PNG (decoded with libpng) draw exactly the modules. Out-of-range
   levels, margins and scales must be refused with their own status. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "encode.h"
#include "qr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER 5
#define MAX_SIDE (CAMS_QR_MAX_SIZE + 2 * CAMS_QR_MAX_MARGIN)

static cams_qr qr;
static unsigned char grid[MAX_SIDE * MAX_SIDE];

/* The expected picture at this margin into grid; returns its side. */
static int expected(int margin) {
  int w = qr.size + 2 * margin, x, y;
  memset(grid, 0, sizeof grid);
  for (y = 0; y < qr.size; y++)
    for (x = 0; x < qr.size; x++)
      grid[(y + margin) * w + x + margin] = qr.modules[y * qr.size + x];
  return w;
}

static int finder_at(int x0, int y0) {
  int x, y;
  for (y = 0; y < 7; y++)
    for (x = 0; x < 7; x++) {
      int ring = x == 0 || y == 0 || x == 6 || y == 6;
      int core = x >= 2 && x <= 4 && y >= 2 && y <= 4;
      if (qr.modules[(y0 + y) * qr.size + x0 + x] != (ring || core)) return 0;
    }
  return 1;
}

static void check_symbol(cams_qr_level level, int eci) {
  int n = qr.size, i;
  if (qr.version < 1 || qr.version > 40 || n != 17 + 4 * qr.version) abort();
  if (qr.level != level || qr.eci != eci) abort();
  for (i = 0; i < n * n; i++)
    if (qr.modules[i] > 1) abort();
  if (!finder_at(0, 0) || !finder_at(n - 7, 0) || !finder_at(0, n - 7)) abort();
  for (i = 8; i < n - 8; i++)
    if (qr.modules[6 * n + i] != !(i & 1) || qr.modules[i * n + 6] != !(i & 1)) abort();
  if (!qr.modules[(n - 8) * n + 8]) abort(); /* the dark module */
}

static long number(const char **p) {
  long v = 0;
  if (**p < '0' || **p > '9') abort();
  while (**p >= '0' && **p <= '9') v = v * 10 + *(*p)++ - '0';
  return v;
}

static void expect(const char **p, const char *s) {
  size_t n = strlen(s);
  if (strncmp(*p, s, n) != 0) abort();
  *p += n;
}

static void check_svg(int margin, int scale) {
  static unsigned char drawn[MAX_SIDE * MAX_SIDE];
  cams_buf out;
  const char *p;
  int w;
  cams_qr_status st;
  cams_buf_init(&out);
  st = cams_qr_svg(&qr, margin, scale, &out);
  if (margin < 0 || margin > CAMS_QR_MAX_MARGIN) {
    if (st != CAMS_QR_BAD_MARGIN) abort();
  } else if (scale < 0 || scale > CAMS_QR_MAX_SCALE) {
    if (st != CAMS_QR_BAD_SCALE) abort();
  } else {
    if (st != CAMS_QR_OK || strlen(cams_buf_str(&out)) != out.len) abort();
    w = expected(margin);
    p = cams_buf_str(&out);
    expect(&p, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ");
    if (number(&p) != w) abort();
    expect(&p, " ");
    if (number(&p) != w) abort();
    if (scale) {
      expect(&p, "\" width=\"");
      if (number(&p) != (long)w * scale) abort();
      expect(&p, "\" height=\"");
      if (number(&p) != (long)w * scale) abort();
    }
    expect(&p, "\" shape-rendering=\"crispEdges\"><rect width=\"");
    if (number(&p) != w) abort();
    expect(&p, "\" height=\"");
    if (number(&p) != w) abort();
    expect(&p, "\" fill=\"#fff\"/><path fill=\"#000\" d=\"");
    memset(drawn, 0, sizeof drawn);
    while (*p == 'M') {
      long x, y, run, i;
      p++;
      x = number(&p);
      expect(&p, " ");
      y = number(&p);
      expect(&p, "h");
      run = number(&p);
      expect(&p, "v1h-");
      if (number(&p) != run || run < 1 || x + run > w || y >= w) abort();
      expect(&p, "z");
      for (i = x; i < x + run; i++) {
        if (drawn[y * w + i]) abort(); /* drawn twice */
        drawn[y * w + i] = 1;
      }
    }
    expect(&p, "\"/></svg>\n");
    if (*p || memcmp(drawn, grid, (size_t)w * (size_t)w) != 0) abort();
  }
  cams_buf_free(&out);
}

static void check_terminal(int margin, int invert) {
  static const char *const blocks[] = {" ", "\xE2\x96\x80", "\xE2\x96\x84", "\xE2\x96\x88"};
  cams_buf out;
  const char *p;
  int w, x, y, k;
  cams_qr_status st;
  cams_buf_init(&out);
  st = cams_qr_terminal(&qr, margin, invert, &out);
  if (margin < 0 || margin > CAMS_QR_MAX_MARGIN) {
    if (st != CAMS_QR_BAD_MARGIN) abort();
  } else {
    if (st != CAMS_QR_OK || !cams_utf8_valid(out.data, out.len)) abort();
    w = expected(margin);
    p = cams_buf_str(&out);
    for (y = 0; y < w; y += 2) {
      for (x = 0; x < w; x++) {
        int top = grid[y * w + x] ^ (invert != 0);
        int bottom = y + 1 < w ? grid[(y + 1) * w + x] ^ (invert != 0) : 0;
        k = top | bottom << 1;
        expect(&p, blocks[k]);
      }
      expect(&p, "\n");
    }
    if (*p) abort();
  }
  cams_buf_free(&out);
}

static void check_png(int margin, int scale) {
  static unsigned char want[MAX_SIDE * CAMS_QR_DEFAULT_SCALE];
  cams_buf out;
  png_image image;
  unsigned char *pixels;
  int w, x, y, i, px;
  cams_qr_status st;
  cams_buf_init(&out);
  st = cams_qr_png(&qr, margin, scale, &out);
  if (margin < 0 || margin > CAMS_QR_MAX_MARGIN) {
    if (st != CAMS_QR_BAD_MARGIN) abort();
    cams_buf_free(&out);
    return;
  }
  if (st != CAMS_QR_OK) abort();
  if (!scale) scale = CAMS_QR_DEFAULT_SCALE;
  w = expected(margin);
  px = w * scale;
  if (px > (int)sizeof want) abort(); /* the harness's own limit: png_scale stays small */
  /* IHDR: 1-bit greyscale */
  if (out.len < 33 || (unsigned char)out.data[24] != 1 || out.data[25] != 0) abort();
  memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, out.data, out.len)) abort();
  if (image.width != (png_uint_32)px || image.height != (png_uint_32)px) abort();
  image.format = PNG_FORMAT_GRAY;
  pixels = malloc((size_t)px * (size_t)px); /* one byte per grey pixel */
  if (!pixels) abort();
  if (!png_image_finish_read(&image, NULL, pixels, 0, NULL)) abort();
  for (y = 0; y < w; y++) { /* one row of pixels per module row, compared scale times */
    for (x = 0; x < w; x++)
      memset(want + (size_t)x * (size_t)scale, grid[y * w + x] ? 0 : 255, (size_t)scale);
    for (i = 0; i < scale; i++)
      if (memcmp(pixels + ((size_t)y * (size_t)scale + (size_t)i) * (size_t)px, want,
                 (size_t)px) != 0)
        abort();
  }
  free(pixels);
  cams_buf_free(&out);
}

/* The ECI designator the text should get: UTF-8 that is not plain ASCII. */
static int reference_eci(const uint8_t *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (s[i] >= 0x80) return cams_utf8_valid((const char *)s, n) ? CAMS_QR_ECI_UTF8 : 0;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const size_t capacity[] = {2953, 2331, 1663, 1273}; /* ISO/IEC 18004 table 7 */
  cams_qr_level level;
  const char *text;
  size_t len;
  int margin, svg_scale, png_scale, invert, eci;
  cams_qr_status st;
  if (size < HEADER) return 0;
  level = (cams_qr_level)(data[0] % 6); /* 4 and 5 are not levels */
  margin = data[1] % (CAMS_QR_MAX_MARGIN + 3) - 1;
  svg_scale = data[2] % (CAMS_QR_MAX_SCALE + 3) - 1;
  png_scale = data[3] % 4; /* small pictures keep the runs fast; 0 is the default */
  invert = data[4];
  text = (const char *)data + HEADER;
  len = size - HEADER;

  st = cams_qr_encode(&qr, text, len, level);
  eci = reference_eci(data + HEADER, len);
  if (cams_qr_eci(text, len) != eci) abort();
  if (data[0] % 6 > CAMS_QR_EC_H) {
    if (st != CAMS_QR_BAD_LEVEL || cams_qr_capacity(level, 0) != 0) abort();
    return 0;
  }
  if (cams_qr_capacity(level, eci) != capacity[level] - (eci ? 1 : 0)) abort();
  if (len == 0) {
    if (st != CAMS_QR_EMPTY) abort();
    return 0;
  }
  if (len > cams_qr_capacity(level, eci)) {
    if (st != CAMS_QR_TOO_LONG) abort();
    return 0;
  }
  if (st != CAMS_QR_OK) abort();
  check_symbol(level, eci);
  check_svg(margin, svg_scale);
  check_terminal(margin, invert);
  check_png(margin, png_scale);
  return 0;
}

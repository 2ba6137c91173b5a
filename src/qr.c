#include "qr.h"

#include "encode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* 8-bit mode capacity of version 40 (ISO/IEC 18004 table 7), by cams_qr_level; an ECI
   designator takes 12 more bits, which costs one byte at each level. */
static const size_t capacity[] = {2953, 2331, 1663, 1273};

const char *cams_qr_message(cams_qr_status status) {
  switch (status) {
  case CAMS_QR_OK:
    return "no error";
  case CAMS_QR_EMPTY:
    return "the text is empty";
  case CAMS_QR_TOO_LONG:
    return "the text is longer than a QR code holds at this error-correction level";
  case CAMS_QR_BAD_LEVEL:
    return "the error-correction level must be L, M, Q or H";
  case CAMS_QR_BAD_MARGIN:
    return "the margin must be 0 to " STR(CAMS_QR_MAX_MARGIN) " modules";
  case CAMS_QR_BAD_SCALE:
    return "the scale must be 1 to " STR(CAMS_QR_MAX_SCALE) " pixels per module";
  case CAMS_QR_NOMEM:
    return "out of memory";
  case CAMS_QR_FAILED:
    break;
  }
  return "QR encoding failed";
}

static int known_level(cams_qr_level level) {
  return level == CAMS_QR_EC_L || level == CAMS_QR_EC_M || level == CAMS_QR_EC_Q ||
         level == CAMS_QR_EC_H;
}

int cams_qr_eci(const char *text, size_t len) {
  size_t i;
  for (i = 0; i < len && (unsigned char)text[i] < 0x80; i++) continue;
  return i < len && cams_utf8_valid(text, len) ? CAMS_QR_ECI_UTF8 : 0;
}

size_t cams_qr_capacity(cams_qr_level level, int eci) {
  if (!known_level(level)) return 0;
  return eci ? capacity[level] - 1 : capacity[level];
}

/* The symbol of the smallest version that holds the text, or NULL with errno set. */
static QRcode *encode_bytes(const char *text, size_t len, QRecLevel level, int eci) {
  QRinput *input = QRinput_new2(0, level);
  QRcode *code = NULL;
  if (!input) return NULL;
  if ((!eci || QRinput_appendECIheader(input, (unsigned)eci) == 0) &&
      QRinput_append(input, QR_MODE_8, (int)len, (const unsigned char *)text) == 0)
    code = QRcode_encodeInput(input);
  QRinput_free(input);
  return code;
}

cams_qr_status cams_qr_encode(cams_qr *qr, const char *text, size_t len, cams_qr_level level) {
  static const QRecLevel ec[] = {QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H};
  QRcode *code;
  int i, n, eci;
  if (!known_level(level)) return CAMS_QR_BAD_LEVEL;
  if (len == 0) return CAMS_QR_EMPTY;
  eci = cams_qr_eci(text, len);
  if (len > cams_qr_capacity(level, eci)) return CAMS_QR_TOO_LONG;
  errno = 0;
  code = encode_bytes(text, len, ec[level], eci);
  if (!code) {
    if (errno == ENOMEM) return CAMS_QR_NOMEM;
    return errno == ERANGE ? CAMS_QR_TOO_LONG : CAMS_QR_FAILED;
  }
  if (code->version < 1 || code->version > 40 || code->width != 17 + 4 * code->version) {
    QRcode_free(code);
    return CAMS_QR_FAILED;
  }
  qr->version = code->version;
  qr->size = code->width;
  qr->level = level;
  qr->eci = eci;
  n = code->width * code->width;
  for (i = 0; i < n; i++) qr->modules[i] = code->data[i] & 1; /* bit 0: dark */
  QRcode_free(code);
  return CAMS_QR_OK;
}

/* ---- writers ---------------------------------------------------------------------- */

static cams_qr_status check_layout(const cams_qr *qr, int margin) {
  if (qr->version < 1 || qr->version > 40 || qr->size != 17 + 4 * qr->version)
    return CAMS_QR_FAILED;
  return margin < 0 || margin > CAMS_QR_MAX_MARGIN ? CAMS_QR_BAD_MARGIN : CAMS_QR_OK;
}

/* Whether the module at (x, y) of the picture, quiet zone included, is dark. */
static int dark_at(const cams_qr *qr, int margin, int x, int y) {
  x -= margin;
  y -= margin;
  return x >= 0 && y >= 0 && x < qr->size && y < qr->size && qr->modules[y * qr->size + x];
}

/* Appends text, then the decimal digits of v. */
static void add_num(cams_buf *out, const char *text, int v) {
  char digits[16];
  int n = snprintf(digits, sizeof digits, "%d", v);
  cams_buf_adds(out, text);
  if (n > 0 && (size_t)n < sizeof digits) cams_buf_add(out, digits, (size_t)n);
}

cams_qr_status cams_qr_svg(const cams_qr *qr, int margin, int scale, cams_buf *out) {
  cams_qr_status st = check_layout(qr, margin);
  int w, x, y;
  if (st != CAMS_QR_OK) return st;
  if (scale < 0 || scale > CAMS_QR_MAX_SCALE) return CAMS_QR_BAD_SCALE;
  w = qr->size + 2 * margin;
  add_num(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", w);
  add_num(out, " ", w);
  if (scale) {
    add_num(out, "\" width=\"", w * scale);
    add_num(out, "\" height=\"", w * scale);
  }
  add_num(out, "\" shape-rendering=\"crispEdges\"><rect width=\"", w);
  add_num(out, "\" height=\"", w);
  cams_buf_adds(out, "\" fill=\"#fff\"/><path fill=\"#000\" d=\"");
  /* one 1-module-high rectangle per horizontal run of dark modules */
  for (y = 0; y < qr->size; y++) {
    for (x = 0; x < qr->size; x++) {
      int run = 0;
      while (x + run < qr->size && qr->modules[y * qr->size + x + run]) run++;
      if (run) {
        add_num(out, "M", x + margin);
        add_num(out, " ", y + margin);
        add_num(out, "h", run);
        add_num(out, "v1h-", run);
        cams_buf_addc(out, 'z');
      }
      x += run;
    }
  }
  cams_buf_adds(out, "\"/></svg>\n");
  return out->failed ? CAMS_QR_NOMEM : CAMS_QR_OK;
}

cams_qr_status cams_qr_terminal(const cams_qr *qr, int margin, int invert, cams_buf *out) {
  /* indexed by top | bottom << 1, 1 meaning ink: none, upper half, lower half, full */
  static const char *const blocks[] = {" ", "\xE2\x96\x80", "\xE2\x96\x84", "\xE2\x96\x88"};
  cams_qr_status st = check_layout(qr, margin);
  int w, x, y;
  if (st != CAMS_QR_OK) return st;
  invert = invert != 0;
  w = qr->size + 2 * margin; /* odd: the last line has a top row only */
  for (y = 0; y < w; y += 2) {
    for (x = 0; x < w; x++) {
      int top = dark_at(qr, margin, x, y) ^ invert;
      int bottom = y + 1 < w ? dark_at(qr, margin, x, y + 1) ^ invert : 0;
      cams_buf_adds(out, blocks[top | bottom << 1]);
    }
    cams_buf_addc(out, '\n');
  }
  return out->failed ? CAMS_QR_NOMEM : CAMS_QR_OK;
}

/* libpng reports errors by longjmp to png_jmpbuf; nothing is printed. */
static void on_png_error(png_structp png, png_const_charp message) {
  (void)message;
  png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp message) {
  (void)png;
  (void)message;
}

static void append_png_data(png_structp png, png_bytep data, size_t n) {
  cams_buf *out = png_get_io_ptr(png);
  cams_buf_add(out, (const char *)data, n);
  if (out->failed) png_error(png, "out of memory");
}

static void flush_nothing(png_structp png) { (void)png; }

/* The rows of the picture, each repeated scale times. png, info and row are set up by the
   caller and left untouched here, so they survive the longjmp of an error. */
static int write_png_rows(png_structp png, png_infop info, unsigned char *row, size_t rowbytes,
                          const cams_qr *qr, int margin, int scale) {
  int w = qr->size + 2 * margin, px = w * scale, x, y, i;
  if (setjmp(png_jmpbuf(png))) return 0;
  png_set_IHDR(png, info, (png_uint_32)px, (png_uint_32)px, 1, PNG_COLOR_TYPE_GRAY,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE); /* best for 1-bit pictures */
  png_write_info(png, info);
  for (y = 0; y < w; y++) {
    memset(row, 0xFF, rowbytes); /* grey level 1: white */
    for (x = 0; x < w; x++) {
      if (!dark_at(qr, margin, x, y)) continue;
      for (i = x * scale; i < (x + 1) * scale; i++)
        row[i >> 3] &= (unsigned char)~(0x80u >> (i & 7)); /* bit 0: black */
    }
    for (i = 0; i < scale; i++) png_write_row(png, row);
  }
  png_write_end(png, info);
  return 1;
}

cams_qr_status cams_qr_png(const cams_qr *qr, int margin, int scale, cams_buf *out) {
  cams_qr_status st = check_layout(qr, margin);
  png_structp png;
  png_infop info;
  unsigned char *row;
  size_t rowbytes;
  int ok;
  if (st != CAMS_QR_OK) return st;
  if (scale == 0) scale = CAMS_QR_DEFAULT_SCALE;
  if (scale < 0 || scale > CAMS_QR_MAX_SCALE) return CAMS_QR_BAD_SCALE;
  rowbytes = ((size_t)(qr->size + 2 * margin) * (size_t)scale + 7) / 8;
  row = malloc(rowbytes);
  if (!row) return CAMS_QR_NOMEM;
  png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_png_error, on_png_warning);
  info = png ? png_create_info_struct(png) : NULL;
  if (!info) {
    png_destroy_write_struct(&png, NULL);
    free(row);
    return CAMS_QR_NOMEM;
  }
  png_set_write_fn(png, out, append_png_data, flush_nothing);
  ok = write_png_rows(png, info, row, rowbytes, qr, margin, scale);
  png_destroy_write_struct(&png, &info);
  free(row);
  if (out->failed) return CAMS_QR_NOMEM;
  return ok ? CAMS_QR_OK : CAMS_QR_FAILED;
}

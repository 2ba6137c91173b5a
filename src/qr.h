/* QR codes drawn locally: text encoded with libqrencode (8-bit byte mode, smallest version
   that holds it), written as SVG, PNG (libpng) or terminal text into a cams_buf.
   Text that is UTF-8 and not plain ASCII carries the ECI designator of UTF-8 (26): without
   it byte mode means ISO-8859-1, and readers that guess take short UTF-8 text for
   Shift JIS. ASCII text, the usual deep link, goes without, as every reader expects. */
#ifndef CAMS_QR_H
#define CAMS_QR_H

#include <stddef.h>

#include "buf.h"

/* Limits; the functions below refuse margins and scales outside them. */
#define CAMS_QR_MAX_SIZE 177     /* modules per side at version 40 */
#define CAMS_QR_MAX_MARGIN 16    /* quiet zone in modules, 0..16 (the standard asks for 4) */
#define CAMS_QR_MAX_SCALE 32     /* pixels per module, 1..32 */
#define CAMS_QR_DEFAULT_SCALE 8  /* PNG, when scale is 0 */

/* Error-correction levels: about 7, 15, 25 and 30 % of the code may be damaged. */
typedef enum { CAMS_QR_EC_L, CAMS_QR_EC_M, CAMS_QR_EC_Q, CAMS_QR_EC_H } cams_qr_level;

typedef enum {
  CAMS_QR_OK,
  CAMS_QR_EMPTY,     /* no text */
  CAMS_QR_TOO_LONG,  /* over cams_qr_capacity(level, eci) bytes */
  CAMS_QR_BAD_LEVEL, /* not one of cams_qr_level */
  CAMS_QR_BAD_MARGIN,
  CAMS_QR_BAD_SCALE,
  CAMS_QR_NOMEM,
  CAMS_QR_FAILED /* libqrencode or libpng refused for another reason */
} cams_qr_status;

#define CAMS_QR_ECI_UTF8 26

/* One encoded symbol: modules[y * size + x] is 1 for a dark module, 0 for a light one. */
typedef struct {
  int version; /* 1..40 */
  int size;    /* 17 + 4 * version */
  cams_qr_level level;
  int eci;     /* CAMS_QR_ECI_UTF8 or 0 (none) */
  unsigned char modules[CAMS_QR_MAX_SIZE * CAMS_QR_MAX_SIZE];
} cams_qr;

/* A short English sentence for a status ("the text is empty", ...). */
const char *cams_qr_message(cams_qr_status status);

/* The ECI designator cams_qr_encode gives this text: CAMS_QR_ECI_UTF8 or 0. */
int cams_qr_eci(const char *text, size_t len);

/* Bytes of 8-bit text a version 40 symbol holds at this level: 2953, 2331, 1663, 1273, one
   less with an ECI designator (eci != 0); 0 for an invalid level. */
size_t cams_qr_capacity(cams_qr_level level, int eci);

/* Encodes len bytes of text as they are (NUL bytes are data). */
cams_qr_status cams_qr_encode(cams_qr *qr, const char *text, size_t len, cams_qr_level level);

/* The writers append to out; on an error out may hold a partial picture. margin: quiet zone
   in modules on every side, 0..CAMS_QR_MAX_MARGIN. */

/* One <svg> element, no XML declaration (a file as is, or inline in HTML): a viewBox in
   modules, a white background, the dark modules as one path, crisp edges. scale 1..32
   sets width and height in pixels; 0 leaves them out (the picture fills its container). */
cams_qr_status cams_qr_svg(const cams_qr *qr, int margin, int scale, cams_buf *out);

/* A 1-bit greyscale PNG, scale pixels per module (0: CAMS_QR_DEFAULT_SCALE). */
cams_qr_status cams_qr_png(const cams_qr *qr, int margin, int scale, cams_buf *out);

/* UTF-8 text, two module rows per line with the half blocks U+2580, U+2584, U+2588 and
   spaces, each line ended by "\n". Ink marks dark modules (dark text on a light
   background); invert makes ink mark light modules (light text on a dark background). */
cams_qr_status cams_qr_terminal(const cams_qr *qr, int margin, int invert, cams_buf *out);

#endif

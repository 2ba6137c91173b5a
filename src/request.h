/* A request ready for the wire, formatted once: its URL, its header lines as libcurl takes
   them ("name: value", each ended by a NUL) and its body, in one buffer. Every header that
   reaches it has been checked, here or by the signer: names are lowercase tokens and no
   value holds CR, LF or NUL. */
#ifndef CAMS_REQUEST_H
#define CAMS_REQUEST_H

#include <stddef.h>

#include "buf.h"
#include "sign.h"

#define CAMS_REQUEST_MAX_LINES 72 /* the signer's headers and up to 32 extra ones */

typedef struct {
  char method[8];
  cams_buf data; /* url NUL, the header lines, the body */
  size_t url_len;
  size_t target_off; /* where the target ("/...") starts within the URL */
  size_t nlines;
  size_t body_off, body_len;
} cams_request;

void cams_request_init(cams_request *r);
/* The buffer holds the Authorization value and any security token: wiped, then freed. */
void cams_request_free(cams_request *r);
void cams_request_wipe(cams_request *r);

/* From the signer's output, sent to endpoint ("https://host[:port]"). A user_agent (or
   NULL) is added, unsigned, unless an extra header named user-agent was signed in. NULL on
   success, else a static message. */
const char *cams_request_from_signed(cams_request *r, const char *method, const char *endpoint,
                                     const cams_signed *s, const char *user_agent);

/* An unsigned request (the metadata service, an anonymous STS call, an image download):
   url "http[s]://authority/target", headers checked here. */
const char *cams_request_plain(cams_request *r, const char *method, const char *url,
                               const cams_kv *headers, size_t nheaders, const char *body,
                               size_t body_len, const char *user_agent);

/* Pointers to the header lines, at most max of them; returns how many. */
size_t cams_request_lines(const cams_request *r, const char **lines, size_t max);

/* The request as HTTP/1.1 bytes: request line, header lines (Host added when absent),
   Content-Length, the blank line, the body. */
void cams_request_http1(const cams_request *r, cams_buf *out);

#endif

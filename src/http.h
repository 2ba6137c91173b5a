/* libcurl transport: one reusable easy handle per client, so connections are kept alive. */
#ifndef CAMS_HTTP_H
#define CAMS_HTTP_H

#include <stddef.h>

#include "buf.h"

typedef struct cams_http cams_http;

typedef struct {
  long connect_timeout_ms;
  long timeout_ms;
  const char *ca_file; /* NULL: the system trust store */
  const char *user_agent;
  const char *proxy;   /* NULL: libcurl's own choice from the environment; "": no proxy */
  const char *noproxy; /* NULL: libcurl reads NO_PROXY; otherwise hosts that bypass the proxy */
} cams_http_opts;

typedef struct {
  const char *method; /* "GET" or "POST" (others sent as a custom request) */
  const char *url;
  const char *const *headers; /* "Name: value" lines, already checked for CR/LF */
  size_t nheaders;
  const char *body;
  size_t body_len;
  long timeout_ms; /* 0: the handle's timeout; else this one (a call's own, or what is left
                      before its deadline) */
} cams_http_request;

typedef struct {
  long status;
  cams_buf headers; /* "name\0value\0" pairs of the final response, lowercase names */
  size_t nheaders;
  cams_buf body;
} cams_http_response;

/* NULL when out of memory or libcurl could not make a handle. */
cams_http *cams_http_new(const cams_http_opts *opts);
void cams_http_free(cams_http *h);

void cams_http_response_init(cams_http_response *r);
void cams_http_response_free(cams_http_response *r);

/* 1 on an HTTP exchange (any status). 0 on failure: *code is one of "Transport.Connect",
   "Transport.Resolve", "Transport.Timeout", "Transport.TLS", "Transport.Reset",
   "Transport.Error", "Response.TooLarge" (over 8 MiB of headers or body), and message
   holds curl's explanation. libcurl never resends a request by itself: a reused
   connection that closes before any answer ends in "Transport.Reset". *sent says whether
   the request had started to go out when it failed (the server may have acted on it) or
   not (connecting, resolving, the TLS handshake: it did not). */
int cams_http_perform(cams_http *h, const cams_http_request *req, cams_http_response *resp,
                      const char **code, char *message, size_t message_len, int *sent);

#endif

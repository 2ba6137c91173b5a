/* libFuzzer harness: request objects (request.c), unsigned ones from fuzzed fields and
   signed ones from the V3 signer's output, and their HTTP/1.1 form.
   Input: a flag byte, a count byte, then fields, each one length byte and that many bytes:
   method, URL, user agent, body, then a name and a value per header.
   Checks: what is refused is refused with a message; what is accepted has header lines
   without CR, LF or NUL in them, the URL and body as given, and an HTTP/1.1 form whose
   head is only "name: value" lines ended by CRLF, then the body; a wipe empties it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "field_reader.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HEADERS 12

/* The HTTP/1.1 form: a request line, header lines, a blank line, then exactly the body. */
static void check_http1(const cams_request *r) {
  cams_buf b;
  const char *p, *end, *blank;
  size_t lines = 0;
  cams_buf_init(&b);
  cams_request_http1(r, &b);
  if (b.failed) abort();
  p = cams_buf_str(&b);
  end = p + b.len;
  blank = strstr(p, "\r\n\r\n");
  if (!blank) abort();
  if ((size_t)(end - (blank + 4)) != r->body_len) abort();
  if (r->body_len && memcmp(blank + 4, cams_buf_str(&r->data) + r->body_off, r->body_len) != 0)
    abort();
  while (p < blank + 2) { /* each line ends with CRLF and holds neither alone */
    const char *eol = strstr(p, "\r\n");
    const char *q;
    if (!eol || eol > blank + 2) abort();
    for (q = p; q < eol; q++)
      if (*q == '\r' || *q == '\n' || *q == '\0') abort();
    if (lines++ && !memchr(p, ':', (size_t)(eol - p))) abort();
    p = eol + 2;
  }
  if (lines < r->nlines + 1) abort();
  cams_buf_free(&b);
}

static void check_request(const cams_request *r, const char *url, size_t url_len) {
  const char *lines[CAMS_REQUEST_MAX_LINES];
  size_t i, n = cams_request_lines(r, lines, CAMS_REQUEST_MAX_LINES);
  if (n != r->nlines) abort();
  if (url && (r->url_len != url_len || memcmp(cams_buf_str(&r->data), url, url_len) != 0)) abort();
  for (i = 0; i < n; i++)
    if (strchr(lines[i], '\r') || strchr(lines[i], '\n') || !strpbrk(lines[i], ":;")) abort();
  check_http1(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  reader r;
  char *method, *url, *agent, *body, *names[MAX_HEADERS], *values[MAX_HEADERS];
  size_t method_len, url_len, agent_len, body_len, i, nh;
  cams_kv headers[MAX_HEADERS];
  cams_request req;
  const char *err;
  uint8_t flags;

  if (size < 2) return 0;
  flags = data[0];
  nh = data[1] % (MAX_HEADERS + 1);
  r.p = data + 2;
  r.left = size - 2;
  method = next_field(&r, &method_len);
  url = next_field(&r, &url_len);
  agent = next_field(&r, &agent_len);
  body = next_field(&r, &body_len);
  for (i = 0; i < nh; i++) {
    names[i] = next_field(&r, &headers[i].klen);
    values[i] = next_field(&r, &headers[i].vlen);
    headers[i].key = names[i];
    headers[i].val = values[i];
  }

  cams_request_init(&req);
  err = cams_request_plain(&req, (flags & 1) ? method : "POST", url, headers, nh, body,
                           body_len, (flags & 2) ? agent : NULL);
  if (err) {
    if (!*err || req.data.len) abort();
  } else {
    check_request(&req, url, strlen(url));
  }

  /* The same headers through the signer, then into a request. */
  if (!(flags & 4)) {
    cams_sign_input in;
    cams_signed out;
    memset(&in, 0, sizeof in);
    in.alg = CAMS_SIG_V3;
    in.method = "POST";
    in.host = "cams.ap-southeast-1.aliyuncs.com";
    in.path = "/";
    in.action = "UpdatePhoneMessageQrdl";
    in.version = "2020-06-06";
    in.access_key_id = "id";
    in.access_key_secret = "secret";
    in.security_token = (flags & 8) ? "token" : NULL;
    in.headers = headers;
    in.nheaders = nh;
    cams_signed_init(&out);
    if (!cams_sign(&in, &out)) {
      err = cams_request_from_signed(&req, "POST", (flags & 16) ? url : "https://cams.example",
                                     &out, (flags & 2) ? agent : NULL);
      if (err) {
        if (!*err) abort();
      } else {
        check_request(&req, NULL, 0);
      }
    }
    cams_signed_free(&out);
  }
  cams_request_wipe(&req);
  if (req.data.len || req.nlines || req.url_len) abort();
  cams_request_free(&req);

  free(method), free(url), free(agent), free(body);
  for (i = 0; i < nh; i++) free(names[i]), free(values[i]);
  return 0;
}

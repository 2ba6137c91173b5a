#include "request.h"

#include <stdio.h>
#include <string.h>

void cams_request_init(cams_request *r) {
  memset(r, 0, sizeof *r);
  cams_buf_init(&r->data);
}

void cams_request_wipe(cams_request *r) {
  cams_buf_wipe(&r->data);
  r->url_len = r->target_off = r->nlines = r->body_off = r->body_len = 0;
}

void cams_request_free(cams_request *r) {
  cams_buf_free_secret(&r->data);
  cams_request_init(r);
}

static int method_ok(const char *m) {
  size_t i, n = strlen(m);
  if (n == 0 || n >= sizeof ((cams_request *)0)->method) return 0;
  for (i = 0; i < n; i++)
    if (m[i] < 'A' || m[i] > 'Z') return 0;
  return 1;
}

static int name_ok(const char *s, size_t n) {
  size_t i;
  if (n == 0) return 0;
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return 0;
  }
  return 1;
}

/* Headers that describe the connection or the body's framing: the transport writes them. */
static int framing(const char *s, size_t n) {
  static const char *const names[] = {"content-length", "transfer-encoding", "connection",
                                      "keep-alive", "te", "upgrade", "expect"};
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strlen(names[i]) == n && memcmp(s, names[i], n) == 0) return 1;
  return 0;
}

static int value_ok(const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0') return 0;
  return 1;
}

/* "http[s]://authority" followed by nothing (want_target 0) or a target starting with '/':
   the length of the scheme and authority, or 0 when the URL is not one. */
static size_t origin_len(const char *url, int want_target) {
  size_t i, start;
  if (strncmp(url, "https://", 8) == 0)
    start = 8;
  else if (strncmp(url, "http://", 7) == 0)
    start = 7;
  else
    return 0;
  for (i = 0; url[i]; i++)
    if ((unsigned char)url[i] <= ' ' || url[i] == 127) return 0;
  for (i = start; url[i] && url[i] != '/' && url[i] != '?' && url[i] != '#'; i++) continue;
  if (i == start || (want_target ? url[i] != '/' : url[i] != '\0')) return 0;
  return i;
}

static void start(cams_request *r, const char *method) {
  cams_buf_reset(&r->data);
  r->nlines = 0;
  memcpy(r->method, method, strlen(method) + 1); /* method_ok: shorter than the field */
}

static void add_line(cams_request *r, const char *k, size_t kl, const char *v, size_t vl) {
  cams_buf *b = &r->data;
  cams_buf_add(b, k, kl);
  cams_buf_add(b, vl ? ": " : ";", vl ? 2 : 1); /* "name;" is how libcurl sends an empty one */
  cams_buf_add(b, v, vl);
  cams_buf_addc(b, '\0');
  r->nlines++;
}

static void add_user_agent(cams_request *r, const char *user_agent, int has_one) {
  if (user_agent && !has_one) add_line(r, "user-agent", 10, user_agent, strlen(user_agent));
}

static const char *finish(cams_request *r, const char *body, size_t body_len) {
  r->body_off = r->data.len;
  r->body_len = body_len;
  cams_buf_add(&r->data, body, body_len);
  if (r->data.failed || r->nlines > CAMS_REQUEST_MAX_LINES) {
    const char *err = r->data.failed ? "out of memory" : "too many headers";
    cams_request_wipe(r);
    return err;
  }
  return NULL;
}

const char *cams_request_from_signed(cams_request *r, const char *method, const char *endpoint,
                                     const cams_signed *s, const char *user_agent) {
  const char *p = cams_buf_str(&s->headers);
  size_t i, origin = origin_len(endpoint, 0);
  int has_agent = 0;
  if (!method_ok(method)) return "invalid method";
  if (!origin) return "invalid endpoint";
  if (user_agent && !value_ok(user_agent, strlen(user_agent))) return "invalid user agent";
  start(r, method);
  /* the exact size, in one allocation: "name: value\0" is the pair's "name\0value\0" and 2 */
  cams_buf_reserve(&r->data, origin + s->target.len + 1 + s->headers.len + 2 * s->nheaders +
                                 (user_agent ? strlen(user_agent) + 13 : 0) + s->body.len);
  cams_buf_add(&r->data, endpoint, origin);
  cams_buf_add(&r->data, cams_buf_str(&s->target), s->target.len);
  r->target_off = origin;
  r->url_len = r->data.len;
  cams_buf_addc(&r->data, '\0');
  for (i = 0; i < s->nheaders; i++) { /* "name\0value\0" pairs, checked by the signer */
    size_t kl = strlen(p), vl = strlen(p + kl + 1);
    if (kl == 10 && memcmp(p, "user-agent", 10) == 0) has_agent = 1;
    add_line(r, p, kl, p + kl + 1, vl);
    p += kl + vl + 2;
  }
  add_user_agent(r, user_agent, has_agent);
  return finish(r, cams_buf_str(&s->body), s->body.len);
}

const char *cams_request_plain(cams_request *r, const char *method, const char *url,
                               const cams_kv *headers, size_t nheaders, const char *body,
                               size_t body_len, const char *user_agent) {
  size_t i, origin = origin_len(url, 1);
  int has_agent = 0;
  if (!method_ok(method)) return "invalid method";
  if (!origin) return "invalid URL";
  if (user_agent && !value_ok(user_agent, strlen(user_agent))) return "invalid user agent";
  for (i = 0; i < nheaders; i++) {
    if (!name_ok(headers[i].key, headers[i].klen)) return "header names must be lowercase tokens";
    if (framing(headers[i].key, headers[i].klen))
      return "the transport writes the framing headers (content-length, connection, ...)";
    if (!value_ok(headers[i].val, headers[i].vlen)) return "CR, LF or NUL in a header value";
  }
  if (nheaders > CAMS_REQUEST_MAX_LINES - 1) return "too many headers";
  start(r, method);
  cams_buf_adds(&r->data, url);
  r->target_off = origin;
  r->url_len = r->data.len;
  cams_buf_addc(&r->data, '\0');
  for (i = 0; i < nheaders; i++) {
    if (headers[i].klen == 10 && memcmp(headers[i].key, "user-agent", 10) == 0) has_agent = 1;
    add_line(r, headers[i].key, headers[i].klen, headers[i].val, headers[i].vlen);
  }
  add_user_agent(r, user_agent, has_agent);
  return finish(r, body, body_len);
}

size_t cams_request_lines(const cams_request *r, const char **lines, size_t max) {
  const char *p = r->data.data + r->url_len + 1;
  size_t i;
  for (i = 0; i < r->nlines && i < max; i++) {
    lines[i] = p;
    p += strlen(p) + 1;
  }
  return i;
}

void cams_request_http1(const cams_request *r, cams_buf *out) {
  const char *url = cams_buf_str(&r->data), *p = url + r->url_len + 1;
  size_t i;
  int has_host = 0;
  char length[32];
  cams_buf_adds(out, r->method);
  cams_buf_addc(out, ' ');
  cams_buf_add(out, url + r->target_off, r->url_len - r->target_off);
  cams_buf_adds(out, " HTTP/1.1\r\n");
  for (i = 0; i < r->nlines; i++) {
    size_t n = strlen(p), kl = strcspn(p, ":;");
    if (kl == 4 && memcmp(p, "host", 4) == 0) has_host = 1;
    cams_buf_add(out, p, kl);
    cams_buf_add(out, ": ", 2);
    if (kl + 2 <= n) cams_buf_add(out, p + kl + 2, n - kl - 2);
    cams_buf_add(out, "\r\n", 2);
    p += n + 1;
  }
  if (!has_host) {
    const char *authority = strstr(url, "://") + 3;
    cams_buf_adds(out, "host: ");
    cams_buf_add(out, authority, (size_t)(url + r->target_off - authority));
    cams_buf_add(out, "\r\n", 2);
  }
  if (r->body_len || strcmp(r->method, "GET") != 0) {
    int n = snprintf(length, sizeof length, "content-length: %lu\r\n\r\n",
                     (unsigned long)r->body_len);
    cams_buf_add(out, length, (size_t)n);
  } else {
    cams_buf_add(out, "\r\n", 2);
  }
  cams_buf_add(out, url + r->body_off, r->body_len);
}

#include "http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct cams_http {
  CURL *easy;
  char errbuf[CURL_ERROR_SIZE];
  /* The header list handed to libcurl, built in place on every request: libcurl only
     reads it, and reusing the nodes saves two allocations per header. */
  struct curl_slist *nodes;
  size_t nodes_cap;
  cams_buf url; /* the URL libcurl holds, so an unchanged one is not set again */
};

void cams_http_response_init(cams_http_response *r) {
  r->status = 0;
  cams_buf_init(&r->headers);
  r->nheaders = 0;
  cams_buf_init(&r->body);
}

void cams_http_response_free(cams_http_response *r) {
  cams_buf_free(&r->headers);
  cams_buf_free(&r->body);
  r->nheaders = 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
  cams_buf *b = ud;
  size_t len = size * n;
  cams_buf_add(b, data, len);
  return b->failed ? 0 : len;
}

/* Keeps only the last header block: interim 1xx responses start a new one. */
static size_t on_header(char *data, size_t size, size_t n, void *ud) {
  cams_http_response *r = ud;
  size_t len = size * n, i, name_end;
  if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
    cams_buf_reset(&r->headers);
    r->nheaders = 0;
    return len;
  }
  for (name_end = 0; name_end < len && data[name_end] != ':'; name_end++) continue;
  if (name_end == 0 || name_end == len) return len; /* blank line or folded junk */
  for (i = 0; i < name_end; i++) cams_buf_addc(&r->headers, (char)tolower((unsigned char)data[i]));
  cams_buf_addc(&r->headers, '\0');
  i = name_end + 1;
  while (i < len && (data[i] == ' ' || data[i] == '\t')) i++;
  while (len > i && (data[len - 1] == '\r' || data[len - 1] == '\n' || data[len - 1] == ' ')) len--;
  cams_buf_add(&r->headers, data + i, len - i);
  cams_buf_addc(&r->headers, '\0');
  r->nheaders++;
  return r->headers.failed ? 0 : size * n;
}

cams_http *cams_http_new(const cams_http_opts *o) {
  cams_http *h = calloc(1, sizeof *h);
  CURL *c;
  if (!h) return NULL;
  cams_buf_init(&h->url);
  h->easy = c = curl_easy_init();
  if (!c) {
    free(h);
    return NULL;
  }
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM: safe inside any host program */
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (o->ca_file) curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  if (o->user_agent) curl_easy_setopt(c, CURLOPT_USERAGENT, o->user_agent);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  return h;
}

void cams_http_free(cams_http *h) {
  if (!h) return;
  curl_easy_cleanup(h->easy);
  free(h->nodes);
  cams_buf_free(&h->url);
  free(h);
}

/* "Expect:" first (it stops curl from waiting for 100-continue on larger bodies), then
   the request's lines. NULL when out of memory. */
static struct curl_slist *header_list(cams_http *h, const cams_http_request *req) {
  static char expect[] = "Expect:";
  size_t n = req->nheaders + 1, i;
  if (n > h->nodes_cap) {
    struct curl_slist *p = realloc(h->nodes, n * sizeof *p);
    if (!p) return NULL;
    h->nodes = p;
    h->nodes_cap = n;
  }
  h->nodes[0].data = expect;
  for (i = 1; i < n; i++) {
    h->nodes[i - 1].next = &h->nodes[i];
    h->nodes[i].data = (char *)req->headers[i - 1]; /* libcurl does not write to it */
  }
  h->nodes[n - 1].next = NULL;
  return h->nodes;
}

static const char *map_error(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
      return "Transport.Connect";
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return "Transport.Resolve";
    case CURLE_OPERATION_TIMEDOUT:
      return "Transport.Timeout";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
      return "Transport.TLS";
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return "Transport.Reset";
    default:
      return "Transport.Error";
  }
}

int cams_http_perform(cams_http *h, const cams_http_request *req, cams_http_response *resp,
                      const char **code, char *message, size_t message_len) {
  CURL *c = h->easy;
  struct curl_slist *list = header_list(h, req);
  CURLcode rc;

  if (!list) {
    *code = "Transport.Error";
    snprintf(message, message_len, "out of memory");
    return 0;
  }

  cams_buf_reset(&resp->headers);
  resp->nheaders = 0;
  cams_buf_reset(&resp->body);
  resp->status = 0;
  h->errbuf[0] = '\0';

  if (strcmp(cams_buf_str(&h->url), req->url) != 0) {
    cams_buf_reset(&h->url);
    cams_buf_adds(&h->url, req->url);
    if (h->url.failed || curl_easy_setopt(c, CURLOPT_URL, req->url) != CURLE_OK) {
      cams_buf_reset(&h->url);
      *code = "Transport.Error";
      snprintf(message, message_len, "cannot set the URL (out of memory?)");
      return 0;
    }
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp->body);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
  if (strcmp(req->method, "GET") == 0) {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
  } else {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST,
                     strcmp(req->method, "POST") == 0 ? NULL : req->method);
  }

  rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);

  if (rc != CURLE_OK) {
    *code = map_error(rc);
    snprintf(message, message_len, "%s", h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
    return 0;
  }
  if (resp->headers.failed || resp->body.failed) {
    *code = "Transport.Error";
    snprintf(message, message_len, "out of memory while reading the response");
    return 0;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
  return 1;
}

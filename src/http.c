#define _POSIX_C_SOURCE 200809L /* getpid, strdup */

#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

/* 7.80.0 brought CURLOPT_PREREQFUNCTION, which stops libcurl from resending a signed
   request by itself (see on_prereq). */
#if LIBCURL_VERSION_NUM < 0x075000
#error "lua-cams needs libcurl 7.80.0 or newer"
#endif

/* CAMS answers are a few kilobytes: a larger body, or header block, is refused rather than
   held in memory. The header limit is below libcurl's own (300 KiB in all, 100 KiB a line),
   whose overflow would look like a dropped connection. */
#define MAX_RESPONSE_BYTES ((size_t)8 << 20)
#define MAX_HEADER_BYTES ((size_t)64 << 10)

struct cams_http {
  CURL *easy;
  pid_t pid;       /* of the process that made easy: a forked child makes its own */
  cams_http_opts opts; /* copies of the strings, to make easy again after a fork */
  long timeout_ms;
  cams_http_response *resp; /* of the exchange under way */
  int sends;                /* requests libcurl started in this exchange */
  int oversized;            /* the response passed MAX_RESPONSE_BYTES */
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

static int too_large(cams_http *h, const cams_buf *b, size_t len, size_t max) {
  if (len <= max && b->len <= max - len) return 0;
  h->oversized = 1;
  return 1;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
  cams_http *h = ud;
  cams_buf *b = &h->resp->body;
  size_t len = size * n;
  if (too_large(h, b, len, MAX_RESPONSE_BYTES)) return 0;
  cams_buf_add(b, data, len);
  return b->failed ? 0 : len;
}

/* Keeps only the last header block: interim 1xx responses start a new one. */
static size_t on_header(char *data, size_t size, size_t n, void *ud) {
  cams_http *h = ud;
  cams_http_response *r = h->resp;
  size_t len = size * n, i, name_end;
  if (too_large(h, &r->headers, len, MAX_HEADER_BYTES)) return 0;
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

/* When a reused connection closes before any answer, libcurl sends the same request again
   on a new one. That copy repeats the signature nonce, which the server refuses as a
   replay (and the first copy may have been processed), so the exchange ends here instead
   and the caller signs a new attempt. */
static int on_prereq(void *ud, char *primary_ip, char *local_ip, int primary_port,
                     int local_port) {
  cams_http *h = ud;
  (void)primary_ip, (void)local_ip, (void)primary_port, (void)local_port;
  return h->sends++ ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

static CURL *make_easy(cams_http *h) {
  const cams_http_opts *o = &h->opts;
  CURL *c = curl_easy_init();
  if (!c) return NULL;
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM: safe inside any host program */
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0; older ones take a bit mask */
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (o->ca_file) curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  if (o->user_agent) curl_easy_setopt(c, CURLOPT_USERAGENT, o->user_agent);
  if (o->proxy) curl_easy_setopt(c, CURLOPT_PROXY, o->proxy);
  if (o->noproxy) curl_easy_setopt(c, CURLOPT_NOPROXY, o->noproxy);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
  curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, on_prereq);
  curl_easy_setopt(c, CURLOPT_PREREQDATA, h);
  return c;
}

static void free_opts(cams_http_opts *o) {
  free((char *)o->ca_file);
  free((char *)o->user_agent);
  free((char *)o->proxy);
  free((char *)o->noproxy);
}

/* A copy of s, or NULL for NULL; *failed set when out of memory. */
static const char *copy(const char *s, int *failed) {
  char *d;
  if (!s) return NULL;
  d = strdup(s);
  if (!d) *failed = 1;
  return d;
}

cams_http *cams_http_new(const cams_http_opts *o) {
  cams_http *h = calloc(1, sizeof *h);
  int failed = 0;
  if (!h) return NULL;
  cams_buf_init(&h->url);
  h->opts = *o;
  h->opts.ca_file = copy(o->ca_file, &failed);
  h->opts.user_agent = copy(o->user_agent, &failed);
  h->opts.proxy = copy(o->proxy, &failed);
  h->opts.noproxy = copy(o->noproxy, &failed);
  h->timeout_ms = o->timeout_ms;
  h->pid = getpid();
  h->easy = failed ? NULL : make_easy(h);
  if (!h->easy) {
    free_opts(&h->opts);
    free(h);
    return NULL;
  }
  return h;
}

/* After fork() the kept-alive connection is the parent's too: a child that used it would
   break the parent's TLS session (and fail once itself). The child leaves that handle
   alone, untouched and unfreed (cleaning it up would send the parent's close_notify), and
   makes its own. 0 when out of memory. */
static int own_easy(cams_http *h) {
  pid_t pid = getpid();
  CURL *c;
  if (pid == h->pid) return 1;
  c = make_easy(h);
  if (!c) return 0;
  h->easy = c;
  h->pid = pid;
  cams_buf_reset(&h->url);
  return 1;
}

void cams_http_free(cams_http *h) {
  if (!h) return;
  if (h->pid == getpid()) curl_easy_cleanup(h->easy); /* else the parent's (see own_easy) */
  free_opts(&h->opts);
  free(h->nodes);
  cams_buf_free(&h->url);
  free(h);
}

/* "Expect:" first (it stops curl from waiting for 100-continue on larger bodies), then
   the request's lines. NULL when out of memory. */
/* Whether a "Name: value" line for this lowercase name is among the request headers. */
static int has_header(const cams_http_request *req, const char *name) {
  size_t i, n = strlen(name);
  for (i = 0; i < req->nheaders; i++) {
    const char *line = req->headers[i];
    size_t k;
    for (k = 0; k < n && line[k] && tolower((unsigned char)line[k]) == name[k]; k++) continue;
    if (k == n && (line[n] == ':' || line[n] == ';')) return 1;
  }
  return 0;
}

/* "Expect:" stops curl from waiting for 100-continue on larger bodies; "Content-Type:"
   stops it from adding a form content type the signer did not sign (empty bodies). */
static struct curl_slist *header_list(cams_http *h, const cams_http_request *req) {
  static char expect[] = "Expect:", no_type[] = "Content-Type:";
  size_t fixed = has_header(req, "content-type") ? 1 : 2;
  size_t n = req->nheaders + fixed, i;
  if (n > h->nodes_cap) {
    struct curl_slist *p = realloc(h->nodes, n * sizeof *p);
    if (!p) return NULL;
    h->nodes = p;
    h->nodes_cap = n;
  }
  h->nodes[0].data = expect;
  h->nodes[fixed - 1].data = fixed == 2 ? no_type : expect;
  for (i = fixed; i < n; i++) h->nodes[i].data = (char *)req->headers[i - fixed]; /* read only */
  for (i = 0; i + 1 < n; i++) h->nodes[i].next = &h->nodes[i + 1];
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
                      const char **code, char *message, size_t message_len, int *sent) {
  CURL *c;
  struct curl_slist *list = header_list(h, req);
  CURLcode rc;

  *sent = 0;
  if (!list || !own_easy(h)) {
    *code = "Transport.Error";
    snprintf(message, message_len, "out of memory");
    return 0;
  }

  cams_buf_reset(&resp->headers);
  resp->nheaders = 0;
  cams_buf_reset(&resp->body);
  resp->status = 0;
  h->errbuf[0] = '\0';

  c = h->easy;
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : h->timeout_ms);
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
  h->resp = resp;
  h->sends = 0;
  h->oversized = 0;
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

  errno = 0;
  rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
  h->resp = NULL;
  *sent = h->sends > 0; /* on_prereq runs once connected, right before the request goes */

  if (rc != CURLE_OK) {
    if (h->oversized || rc == CURLE_OUT_OF_MEMORY ||
        strstr(h->errbuf, "Too large response headers")) {
      /* libcurl says "Out of memory" for a header line over its 100 KiB */
      *code = "Response.TooLarge";
      snprintf(message, message_len, "the response is larger than %lu bytes of headers or "
               "%lu of body", (unsigned long)MAX_HEADER_BYTES, (unsigned long)MAX_RESPONSE_BYTES);
    } else if (errno == EMFILE || errno == ENFILE) {
      /* what libcurl then says (a CA file it "cannot set", say) is beside the point */
      *code = "Transport.Error";
      snprintf(message, message_len, "too many open files (the process's descriptor limit; "
               "a client dropped without close() keeps its connection until it is collected)");
    } else if (rc == CURLE_ABORTED_BY_CALLBACK && h->sends > 1) {
      *code = "Transport.Reset";
      snprintf(message, message_len, "the connection closed before a response arrived");
    } else {
      *code = map_error(rc);
      snprintf(message, message_len, "%s", h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
    }
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

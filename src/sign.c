#define _POSIX_C_SOURCE 200809L /* pthread_atfork */

#include "sign.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/opensslv.h>
/* EVP_MAC (HMAC contexts kept between signatures) came with OpenSSL 3.0. */
#if OPENSSL_VERSION_NUMBER < 0x30000000L
#error "lua-cams needs OpenSSL 3.0 or newer"
#endif

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "encode.h"

#define V3_ALGORITHM "ACS3-HMAC-SHA256"
#define FORM_TYPE "application/x-www-form-urlencoded"
#define MAX_HEADERS 64
#define NONCE_BYTES (CAMS_NONCE_LEN / 2)

/* Fetched once and reused: OpenSSL's one-shot calls fetch the algorithm and build a
   context on every use, which costs more than the hashing itself. */
struct cams_crypto {
  EVP_MD *sha256;
  EVP_MD_CTX *md;
  EVP_MAC_CTX *hmac_sha256, *hmac_sha1;
  cams_buf hashed; /* V3 payload hash, hex */
  long stamp_second; /* the second `stamp` was made for */
  char stamp[CAMS_TIMESTAMP_LEN + 1];
  /* Random bytes for nonces, drawn in batches: one RAND_bytes call costs as much as a
     whole signature. Dropped in a forked child so that no two processes share nonces. */
  unsigned char pool[32 * NONCE_BYTES];
  size_t pool_left;
  unsigned long pool_forks;
};

/* Bumped in every child after fork(); a pool filled under another count is stale. */
static volatile unsigned long forks;
static int forks_tracked;
static pthread_once_t track_once = PTHREAD_ONCE_INIT;

static void count_fork(void) { forks++; }

static void track_forks(void) { forks_tracked = pthread_atfork(NULL, NULL, count_fork) == 0; }

static void crypto_free(cams_crypto *c) {
  if (!c) return;
  EVP_MAC_CTX_free(c->hmac_sha256);
  EVP_MAC_CTX_free(c->hmac_sha1);
  EVP_MD_CTX_free(c->md);
  EVP_MD_free(c->sha256);
  cams_buf_free(&c->hashed);
  OPENSSL_cleanse(c->pool, sizeof c->pool);
  free(c);
}

static EVP_MAC_CTX *hmac_new(EVP_MAC *mac, const char *digest) {
  OSSL_PARAM params[2];
  EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
  params[1] = OSSL_PARAM_construct_end();
  if (ctx && !EVP_MAC_CTX_set_params(ctx, params)) {
    EVP_MAC_CTX_free(ctx);
    ctx = NULL;
  }
  return ctx;
}

static cams_crypto *crypto_of(cams_signed *s) {
  cams_crypto *c;
  EVP_MAC *mac;
  if (s->crypto) return s->crypto;
  pthread_once(&track_once, track_forks);
  c = calloc(1, sizeof *c);
  if (!c) return NULL;
  cams_buf_init(&c->hashed);
  c->stamp_second = -1;
  c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
  c->md = EVP_MD_CTX_new();
  mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  if (mac) {
    c->hmac_sha256 = hmac_new(mac, "SHA256");
    c->hmac_sha1 = hmac_new(mac, "SHA1");
    EVP_MAC_free(mac); /* the contexts hold their own references */
  }
  if (!c->sha256 || !c->md || !c->hmac_sha256 || !c->hmac_sha1) {
    crypto_free(c);
    return NULL;
  }
  s->crypto = c;
  return c;
}

static int next_nonce(cams_crypto *c, char *out) {
  if (!forks_tracked) return cams_nonce(out);
  if (c->pool_forks != forks) c->pool_left = 0;
  if (c->pool_left < NONCE_BYTES) {
    if (RAND_bytes(c->pool, (int)sizeof c->pool) != 1) return 0;
    c->pool_left = sizeof c->pool;
    c->pool_forks = forks;
  }
  cams_nonce_hex(out, c->pool + sizeof c->pool - c->pool_left);
  c->pool_left -= NONCE_BYTES;
  return 1;
}

/* Formatting the date costs more than a clock read: made once per second. */
static int timestamp(cams_crypto *c, char *out) {
  time_t now = time(NULL);
  if (now == (time_t)-1) return 0;
  if ((long)now != c->stamp_second) {
    if (!cams_timestamp_at(now, c->stamp)) return 0;
    c->stamp_second = (long)now;
  }
  memcpy(out, c->stamp, sizeof c->stamp);
  return 1;
}

static int sha256_hex(cams_crypto *c, cams_buf *out, const char *s, size_t n) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (!EVP_DigestInit_ex(c->md, c->sha256, NULL) || !EVP_DigestUpdate(c->md, s, n) ||
      !EVP_DigestFinal_ex(c->md, md, &mdlen))
    return 0;
  cams_hex(out, md, mdlen);
  return !out->failed;
}

/* The context keeps the key schedule until the next signature or cams_signed_free. */
static int hmac(EVP_MAC_CTX *ctx, const char *key, size_t klen, const cams_buf *msg,
                unsigned char *mac, size_t *maclen) {
  return EVP_MAC_init(ctx, (const unsigned char *)key, klen, NULL) &&
         EVP_MAC_update(ctx, (const unsigned char *)cams_buf_str(msg), msg->len) &&
         EVP_MAC_final(ctx, mac, maclen, EVP_MAX_MD_SIZE);
}

void cams_signed_init(cams_signed *s) {
  cams_buf_init(&s->target);
  cams_buf_init(&s->headers);
  s->nheaders = 0;
  cams_buf_init(&s->body);
  cams_buf_init(&s->canonical);
  cams_buf_init(&s->string_to_sign);
  cams_buf_init(&s->signature);
  cams_buf_init(&s->signed_headers);
  s->crypto = NULL;
}

void cams_signed_wipe(cams_signed *s) {
  /* the buffers that can hold the security token or the Authorization value (a V2 query,
     and the canonical strings built from it, carry the token) */
  cams_buf_wipe(&s->target);
  cams_buf_wipe(&s->headers);
  cams_buf_wipe(&s->canonical);
  cams_buf_wipe(&s->string_to_sign);
  cams_buf_reset(&s->body);
  cams_buf_reset(&s->signature);
  cams_buf_reset(&s->signed_headers);
  s->nheaders = 0;
}

void cams_signed_free(cams_signed *s) {
  cams_signed_wipe(s);
  cams_buf_free(&s->target);
  cams_buf_free(&s->headers);
  cams_buf_free(&s->body);
  cams_buf_free(&s->canonical);
  cams_buf_free(&s->string_to_sign);
  cams_buf_free(&s->signature);
  cams_buf_free(&s->signed_headers);
  crypto_free(s->crypto);
  s->crypto = NULL;
}

static void signed_reset(cams_signed *s) {
  cams_buf_reset(&s->target);
  cams_buf_reset(&s->headers);
  s->nheaders = 0;
  cams_buf_reset(&s->body);
  cams_buf_reset(&s->canonical);
  cams_buf_reset(&s->string_to_sign);
  cams_buf_reset(&s->signature);
  cams_buf_reset(&s->signed_headers);
}

static int signed_failed(const cams_signed *s) {
  return s->target.failed || s->headers.failed || s->body.failed || s->canonical.failed ||
         s->string_to_sign.failed || s->signature.failed || s->signed_headers.failed;
}

static cams_kv kv(const char *key, const char *val) {
  cams_kv p;
  p.key = key;
  p.klen = strlen(key);
  p.val = val;
  p.vlen = strlen(val);
  return p;
}

static int kv_cmp(const void *a, const void *b) {
  const cams_kv *x = a, *y = b;
  size_t n = x->klen < y->klen ? x->klen : y->klen;
  int c = memcmp(x->key, y->key, n);
  if (c) return c;
  return (x->klen > y->klen) - (x->klen < y->klen);
}

/* Sorts by key and rejects repeated keys, which would make the signature ambiguous.
   Requests have a handful of keys: insertion sort beats qsort's setup there. */
static int sort_unique(cams_kv *v, size_t n) {
  size_t i, j;
  if (n > 16) {
    qsort(v, n, sizeof *v, kv_cmp);
  } else {
    for (i = 1; i < n; i++) {
      cams_kv x = v[i];
      for (j = i; j > 0 && kv_cmp(&v[j - 1], &x) > 0; j--) v[j] = v[j - 1];
      v[j] = x;
    }
  }
  for (i = 1; i < n; i++)
    if (kv_cmp(&v[i - 1], &v[i]) == 0) return 0;
  return 1;
}

/* A header value must not be able to start a new header line. */
static int header_value_ok(const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0') return 0;
  return 1;
}

static int header_name_ok(const char *s, size_t n) {
  size_t i;
  if (n == 0) return 0;
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return 0;
  }
  return 1;
}

static int is_signed_v3(const cams_kv *h) {
  return (h->klen == 4 && memcmp(h->key, "host", 4) == 0) ||
         (h->klen == 12 && memcmp(h->key, "content-type", 12) == 0) ||
         (h->klen > 6 && memcmp(h->key, "x-acs-", 6) == 0);
}

static void trim(const char **s, size_t *n) {
  while (*n && (**s == ' ' || **s == '\t')) (*s)++, (*n)--;
  while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t')) (*n)--;
}

static void add_header(cams_signed *out, const cams_kv *h) {
  cams_buf_add(&out->headers, h->key, h->klen);
  cams_buf_addc(&out->headers, '\0');
  cams_buf_add(&out->headers, h->val, h->vlen);
  cams_buf_addc(&out->headers, '\0');
  out->nheaders++;
}

/* "k=v&k=v" with keys and values encoded in the given mode. */
static void join_pairs(cams_buf *b, const cams_kv *v, size_t n, cams_enc_mode mode) {
  size_t i;
  for (i = 0; i < n; i++) {
    if (i) cams_buf_addc(b, '&');
    cams_percent_encode(b, v[i].key, v[i].klen, mode);
    cams_buf_addc(b, '=');
    cams_percent_encode(b, v[i].val, v[i].vlen, mode);
  }
}

static const char *check_input(const cams_sign_input *in) {
  size_t i;
  if (!in->method || !*in->method) return "method is required";
  if (!in->host || !*in->host) return "host is required";
  if (!in->path || in->path[0] != '/') return "path must start with '/'";
  if (!in->action || !*in->action) return "action is required";
  if (!in->version || !*in->version) return "version is required";
  if (!in->access_key_id || !*in->access_key_id) return "access_key_id is required";
  if (!in->access_key_secret || !*in->access_key_secret) return "access_key_secret is required";
  if (!header_value_ok(in->host, strlen(in->host)) ||
      !header_value_ok(in->action, strlen(in->action)) ||
      !header_value_ok(in->version, strlen(in->version)) ||
      !header_value_ok(in->access_key_id, strlen(in->access_key_id)) ||
      (in->security_token && !header_value_ok(in->security_token, strlen(in->security_token))) ||
      (in->date && !header_value_ok(in->date, strlen(in->date))) ||
      (in->nonce && !header_value_ok(in->nonce, strlen(in->nonce))))
    return "CR, LF or NUL in a value that goes into a header";
  for (i = 0; i < in->nheaders; i++) {
    if (!header_name_ok(in->headers[i].key, in->headers[i].klen))
      return "header names must be lowercase tokens";
    if (!header_value_ok(in->headers[i].val, in->headers[i].vlen))
      return "CR, LF or NUL in a header value";
  }
  if (in->nheaders > MAX_HEADERS / 2) return "too many extra headers";
  return NULL;
}

static const char *sign_v3(const cams_sign_input *in, const cams_kv *params, const char *date,
                           const char *nonce, cams_crypto *c, cams_signed *out) {
  cams_kv hs[MAX_HEADERS];
  size_t nh = 0, i, nsigned = 0;
  cams_buf *hashed = &c->hashed;
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t maclen = 0;
  const char *err = NULL;

  cams_buf_reset(hashed);
  /* Body or query string; the canonical query always uses strict encoding. */
  cams_buf_adds(&out->target, in->path);
  if (in->params_in_query && in->nparams) {
    cams_buf_addc(&out->target, '?');
    join_pairs(&out->target, params, in->nparams, CAMS_ENC_FORM);
  } else {
    join_pairs(&out->body, params, in->nparams, CAMS_ENC_FORM);
  }
  if (!sha256_hex(c, hashed, cams_buf_str(&out->body), out->body.len)) {
    err = "SHA-256 failed";
    goto done;
  }

  hs[nh++] = kv("host", in->host);
  hs[nh++] = kv("x-acs-action", in->action);
  hs[nh++] = kv("x-acs-version", in->version);
  hs[nh++] = kv("x-acs-date", date);
  hs[nh++] = kv("x-acs-signature-nonce", nonce);
  hs[nh++] = kv("x-acs-content-sha256", cams_buf_str(hashed));
  if (out->body.len) hs[nh++] = kv("content-type", FORM_TYPE);
  if (in->security_token) {
    hs[nh++] = kv("x-acs-accesskey-id", in->access_key_id);
    hs[nh++] = kv("x-acs-security-token", in->security_token);
  }
  for (i = 0; i < in->nheaders; i++) {
    hs[nh] = in->headers[i];
    trim(&hs[nh].val, &hs[nh].vlen);
    nh++;
  }
  if (!sort_unique(hs, nh)) {
    err = "an extra header repeats one the signer sets";
    goto done;
  }

  /* Canonical request: method, path, query, headers, signed header list, payload hash. */
  cams_buf_adds(&out->canonical, in->method);
  cams_buf_addc(&out->canonical, '\n');
  cams_buf_adds(&out->canonical, in->path);
  cams_buf_addc(&out->canonical, '\n');
  if (in->params_in_query) join_pairs(&out->canonical, params, in->nparams, CAMS_ENC_STRICT);
  cams_buf_addc(&out->canonical, '\n');
  for (i = 0; i < nh; i++) {
    add_header(out, &hs[i]);
    if (!is_signed_v3(&hs[i])) continue;
    cams_buf_add(&out->canonical, hs[i].key, hs[i].klen);
    cams_buf_addc(&out->canonical, ':');
    cams_buf_add(&out->canonical, hs[i].val, hs[i].vlen);
    cams_buf_addc(&out->canonical, '\n');
    if (nsigned++) cams_buf_addc(&out->signed_headers, ';');
    cams_buf_add(&out->signed_headers, hs[i].key, hs[i].klen);
  }
  cams_buf_addc(&out->canonical, '\n');
  cams_buf_add(&out->canonical, cams_buf_str(&out->signed_headers), out->signed_headers.len);
  cams_buf_addc(&out->canonical, '\n');
  cams_buf_add(&out->canonical, cams_buf_str(hashed), hashed->len);

  cams_buf_adds(&out->string_to_sign, V3_ALGORITHM "\n");
  if (!sha256_hex(c, &out->string_to_sign, cams_buf_str(&out->canonical), out->canonical.len) ||
      !hmac(c->hmac_sha256, in->access_key_secret, strlen(in->access_key_secret),
            &out->string_to_sign, mac, &maclen)) {
    err = "HMAC-SHA256 failed";
    goto done;
  }
  cams_hex(&out->signature, mac, maclen);

  cams_buf_adds(&out->headers, "authorization");
  cams_buf_addc(&out->headers, '\0');
  cams_buf_adds(&out->headers, V3_ALGORITHM " Credential=");
  cams_buf_adds(&out->headers, in->access_key_id);
  cams_buf_adds(&out->headers, ",SignedHeaders=");
  cams_buf_add(&out->headers, cams_buf_str(&out->signed_headers), out->signed_headers.len);
  cams_buf_adds(&out->headers, ",Signature=");
  cams_buf_add(&out->headers, cams_buf_str(&out->signature), out->signature.len);
  cams_buf_addc(&out->headers, '\0');
  out->nheaders++;

done:
  OPENSSL_cleanse(mac, sizeof mac);
  return err;
}

static const char *sign_v2(const cams_sign_input *in, const cams_kv *params, const char *date,
                           const char *nonce, cams_crypto *c, cams_signed *out) {
  cams_kv sys[9], few[32], *all;
  cams_kv hs[MAX_HEADERS];
  size_t nsys = 0, nall, nh = 0, i, klen;
  char key_room[128], *key;
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t maclen = 0;
  unsigned char sig64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const char *err = NULL;

  /* System parameters in the order the official SDKs put them on the query string. */
  sys[nsys++] = kv("Action", in->action);
  sys[nsys++] = kv("Format", in->format ? in->format : "json");
  sys[nsys++] = kv("Version", in->version);
  sys[nsys++] = kv("Timestamp", date);
  sys[nsys++] = kv("SignatureNonce", nonce);
  if (in->security_token) sys[nsys++] = kv("SecurityToken", in->security_token);
  sys[nsys++] = kv("SignatureMethod", "HMAC-SHA1");
  sys[nsys++] = kv("SignatureVersion", "1.0");
  sys[nsys++] = kv("AccessKeyId", in->access_key_id);

  for (i = 0; i < in->nparams; i++)
    if (params[i].klen == 9 && memcmp(params[i].key, "Signature", 9) == 0)
      return "the parameter name Signature is reserved for the signature";
  nall = nsys + in->nparams;
  all = nall <= sizeof few / sizeof few[0] ? few : malloc(nall * sizeof *all);
  if (!all) return "out of memory";
  memcpy(all, sys, nsys * sizeof *all);
  if (in->nparams) memcpy(all + nsys, params, in->nparams * sizeof *all);
  if (!sort_unique(all, nall)) {
    if (all != few) free(all);
    return "a parameter name is repeated or reserved for the signature";
  }

  join_pairs(&out->canonical, all, nall, CAMS_ENC_STRICT);
  cams_buf_adds(&out->string_to_sign, in->method);
  cams_buf_addc(&out->string_to_sign, '&');
  cams_percent_encode(&out->string_to_sign, in->path, strlen(in->path), CAMS_ENC_STRICT);
  cams_buf_addc(&out->string_to_sign, '&');
  cams_percent_encode(&out->string_to_sign, cams_buf_str(&out->canonical), out->canonical.len,
                      CAMS_ENC_STRICT);

  /* The key is "secret&", wiped right after use. */
  klen = strlen(in->access_key_secret) + 1;
  key = klen <= sizeof key_room ? key_room : malloc(klen);
  if (!key) {
    err = "out of memory";
    goto done;
  }
  memcpy(key, in->access_key_secret, klen - 1);
  key[klen - 1] = '&';
  if (!hmac(c->hmac_sha1, key, klen, &out->string_to_sign, mac, &maclen)) err = "HMAC-SHA1 failed";
  OPENSSL_cleanse(key, klen);
  if (key != key_room) free(key);
  if (err) goto done;
  EVP_EncodeBlock(sig64, mac, (int)maclen);
  cams_buf_adds(&out->signature, (const char *)sig64);

  cams_buf_adds(&out->target, in->path);
  cams_buf_addc(&out->target, '?');
  join_pairs(&out->target, sys, nsys, CAMS_ENC_FORM);
  if (in->params_in_query && in->nparams) {
    cams_buf_addc(&out->target, '&');
    join_pairs(&out->target, params, in->nparams, CAMS_ENC_FORM);
  } else {
    join_pairs(&out->body, params, in->nparams, CAMS_ENC_FORM);
  }
  cams_buf_adds(&out->target, "&Signature=");
  cams_percent_encode(&out->target, cams_buf_str(&out->signature), out->signature.len,
                      CAMS_ENC_FORM);

  hs[nh++] = kv("host", in->host);
  if (out->body.len) hs[nh++] = kv("content-type", FORM_TYPE);
  for (i = 0; i < in->nheaders; i++) {
    hs[nh] = in->headers[i];
    trim(&hs[nh].val, &hs[nh].vlen);
    nh++;
  }
  if (!sort_unique(hs, nh)) {
    err = "an extra header repeats one the signer sets";
    goto done;
  }
  for (i = 0; i < nh; i++) add_header(out, &hs[i]);

done:
  OPENSSL_cleanse(mac, sizeof mac);
  if (all != few) free(all);
  return err;
}

const char *cams_sign(const cams_sign_input *in, cams_signed *out) {
  char date[CAMS_TIMESTAMP_LEN + 1], nonce[CAMS_NONCE_LEN + 1];
  cams_kv few[16], *params = NULL;
  cams_crypto *c;
  const char *err = check_input(in);
  signed_reset(out);
  if (err) return err;
  c = crypto_of(out);
  if (!c) return "cannot set up SHA-256 and HMAC (out of memory or OpenSSL misconfigured)";
  if (!in->date && !timestamp(c, date)) return "cannot read the clock";
  if (!in->nonce && !next_nonce(c, nonce)) return "RAND_bytes failed";
  /* Bodies and query strings go out sorted by name, as the official SDKs send them. */
  if (in->nparams) {
    params = in->nparams <= sizeof few / sizeof few[0] ? few
                                                       : malloc(in->nparams * sizeof *params);
    if (!params) return "out of memory";
    memcpy(params, in->params, in->nparams * sizeof *params);
    if (!sort_unique(params, in->nparams)) err = "a parameter name is repeated";
  }
  if (!err)
    err = (in->alg == CAMS_SIG_V2 ? sign_v2 : sign_v3)(in, params, in->date ? in->date : date,
                                                         in->nonce ? in->nonce : nonce, c, out);
  if (params != few) free(params);
  if (!err && signed_failed(out)) err = "out of memory";
  return err;
}

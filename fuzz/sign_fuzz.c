/* libFuzzer harness: the V3 and V2 signers over fuzzed inputs, parameters and headers.
   Input: two flag bytes, then fields, each one length byte and that many bytes: host,
   action, version, key id, secret, token, date, nonce, path, then a key and a value per
   parameter and per extra header.
   Checks: a signature of the right shape, header lines that cannot be split, a body and
   target made of encoded characters only, the same output for the same fixed date and
   nonce, and every buffer empty after a wipe. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "field_reader.h"
#include "sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFIELDS 9
#define MAX_PAIRS 15

static int only(const cams_buf *b, const char *allowed) {
  size_t i;
  for (i = 0; i < b->len; i++)
    if (!b->data[i] || !strchr(allowed, b->data[i])) return 0;
  return 1;
}

#define ENCODED "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~!'()*%"

static void check_output(const cams_sign_input *in, const cams_signed *out) {
  const char *p = cams_buf_str(&out->headers), *end = p + out->headers.len;
  size_t i, sig = out->signature.len;
  if (in->alg == CAMS_SIG_V3) {
    if (sig != 64 || !only(&out->signature, "0123456789abcdef")) abort();
  } else if (sig != 28 || out->signature.data[27] != '=') {
    abort();
  }
  for (i = 0; i < out->nheaders; i++) { /* "name\0value\0" pairs, nothing else */
    size_t kl = strlen(p), vl;
    if (!kl || p + kl >= end) abort();
    vl = strlen(p + kl + 1);
    if (memchr(p + kl + 1, '\r', vl) || memchr(p + kl + 1, '\n', vl)) abort();
    p += kl + 1 + vl + 1;
    if (p > end) abort();
  }
  if (p != end) abort();
  if (!only(&out->body, ENCODED "=&")) abort();
  if (strncmp(cams_buf_str(&out->target), in->path, strlen(in->path)) != 0) abort();
}

static int same(const cams_buf *a, const cams_buf *b) {
  return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  reader r;
  char *f[NFIELDS];
  char *pk[2 * MAX_PAIRS], *pv[2 * MAX_PAIRS];
  cams_kv params[MAX_PAIRS], headers[MAX_PAIRS];
  cams_sign_input in;
  cams_signed out, again;
  const char *err;
  size_t i, np, nh;
  uint8_t flags, counts;

  if (size < 2) return 0;
  flags = data[0];
  counts = data[1];
  r.p = data + 2;
  r.left = size - 2;
  for (i = 0; i < NFIELDS; i++) f[i] = next_field(&r, NULL);
  np = counts & 15u;
  nh = counts >> 4;
  for (i = 0; i < np + nh; i++) {
    size_t kl, vl;
    pk[i] = next_field(&r, &kl);
    pv[i] = next_field(&r, &vl);
    if (i < np) {
      params[i].key = pk[i], params[i].klen = kl, params[i].val = pv[i], params[i].vlen = vl;
    } else {
      cams_kv *h = &headers[i - np];
      h->key = pk[i], h->klen = kl, h->val = pv[i], h->vlen = vl;
    }
  }

  memset(&in, 0, sizeof in);
  in.alg = (flags & 1) ? CAMS_SIG_V2 : CAMS_SIG_V3;
  in.method = (flags & 32) ? "GET" : "POST";
  in.host = f[0];
  in.action = f[1];
  in.version = f[2];
  in.access_key_id = f[3];
  in.access_key_secret = f[4];
  in.security_token = (flags & 4) ? f[5] : NULL;
  in.date = (flags & 8) ? f[6] : NULL;
  in.nonce = (flags & 16) ? f[7] : NULL;
  in.path = (flags & 64) ? f[8] : "/";
  in.params_in_query = (flags & 2) != 0;
  in.params = params;
  in.nparams = np;
  in.headers = headers;
  in.nheaders = nh;

  cams_signed_init(&out);
  err = cams_sign(&in, &out);
  if (err) {
    if (!*err) abort();
  } else {
    check_output(&in, &out);
    if (in.date && in.nonce) {
      cams_signed_init(&again);
      if (cams_sign(&in, &again) || !same(&out.signature, &again.signature) ||
          !same(&out.headers, &again.headers) || !same(&out.body, &again.body) ||
          !same(&out.target, &again.target))
        abort();
      cams_signed_free(&again);
    }
  }
  cams_signed_wipe(&out);
  if (out.target.len || out.headers.len || out.body.len || out.canonical.len ||
      out.string_to_sign.len || out.signature.len || out.signed_headers.len || out.nheaders)
    abort();
  cams_signed_free(&out);

  for (i = 0; i < NFIELDS; i++) free(f[i]);
  for (i = 0; i < np + nh; i++) free(pk[i]), free(pv[i]);
  return 0;
}

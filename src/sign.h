/* Alibaba Cloud request signing: V3 (ACS3-HMAC-SHA256, default) and V2 (HMAC-SHA1). */
#ifndef CAMS_SIGN_H
#define CAMS_SIGN_H

#include <stddef.h>

#include "buf.h"

typedef struct {
  const char *key;
  size_t klen;
  const char *val;
  size_t vlen;
} cams_kv;

typedef enum { CAMS_SIG_V3, CAMS_SIG_V2 } cams_sig_alg;

typedef struct {
  cams_sig_alg alg;
  const char *method; /* "POST" */
  const char *host;   /* as sent in the Host header, with ":port" when not default */
  const char *path;   /* "/" */
  const char *action;
  const char *version;
  const cams_kv *params; /* business parameters */
  size_t nparams;
  int params_in_query; /* 0: form body (what the SDKs do for RPC), 1: query string */
  const char *access_key_id;
  const char *access_key_secret;
  const char *security_token; /* NULL without STS credentials */
  const char *format;         /* V2 Format parameter; NULL means "json" */
  const char *date;           /* NULL: now; fixed only for test vectors */
  const char *nonce;          /* NULL: fresh from RAND_bytes */
  const cams_kv *headers;     /* extra headers, lowercase names */
  size_t nheaders;
} cams_sign_input;

/* OpenSSL algorithms, contexts and a nonce pool kept between signatures (sign.c). */
typedef struct cams_crypto cams_crypto;

/* Reuse one cams_signed for many signatures (from one thread at a time): its buffers and
   OpenSSL contexts are kept, which makes signing several times faster. */
typedef struct {
  cams_buf target;  /* path plus "?query" when there is one */
  cams_buf headers; /* "name\0value\0" pairs, lowercase names */
  size_t nheaders;
  cams_buf body;
  cams_buf canonical; /* V3 canonical request; V2 canonicalized query string */
  cams_buf string_to_sign;
  cams_buf signature;
  cams_buf signed_headers; /* V3 only */
  cams_crypto *crypto;     /* made on first use, freed by cams_signed_free */
} cams_signed;

void cams_signed_init(cams_signed *s);
/* The outputs carry the security token (a signed header, and a V2 query parameter) and the
   Authorization value: wipe them once they have been copied out (the buffers that can hold
   them are wiped, the others emptied). free wipes too. */
void cams_signed_wipe(cams_signed *s);
void cams_signed_free(cams_signed *s);

/* Fills out (reset first). NULL on success, else a static message naming the problem. */
const char *cams_sign(const cams_sign_input *in, cams_signed *out);

#endif

/* Signing through the C API (src/sign.c) next to the bare cryptographic primitives one
   signature needs, on the same bytes, in one process.
   Usage: sign_bench [repetitions]   prints "name value" lines (medians)
          sign_bench sign|prim N     only N V3 signatures, or N sets of V3 primitives (for
                                     counting allocations under valgrind) */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "request.h"

#define SAMPLE_SECONDS 0.08

static volatile unsigned char sink; /* keeps the optimizer from dropping the work */

static void die(const char *what) {
  fprintf(stderr, "sign_bench: %s\n", what);
  exit(1);
}

/* ---- the signer ----------------------------------------------------------------- */

static cams_sign_input v3_in, v2_in;
static cams_signed out;

static void sign_v3(void) {
  if (cams_sign(&v3_in, &out)) die("V3 signing failed");
  sink ^= (unsigned char)out.signature.data[0];
}

static void sign_v2(void) {
  if (cams_sign(&v2_in, &out)) die("V2 signing failed");
  sink ^= (unsigned char)out.signature.data[0];
}

/* ---- the primitives, fastest OpenSSL use: algorithms fetched once, contexts reused --- */

typedef struct {
  char *data;
  size_t len;
} bytes;

static bytes v3_body, v3_canonical, v3_sts, v2_sts, v2_key;
static EVP_MD *sha256;
static EVP_MD_CTX *md_ctx;
static EVP_MAC_CTX *hmac_sha256, *hmac_sha1;

static bytes copy(const cams_buf *b) {
  bytes c;
  c.len = b->len;
  c.data = malloc(c.len + 1);
  if (!c.data) die("out of memory");
  memcpy(c.data, cams_buf_str(b), c.len + 1);
  return c;
}

static EVP_MAC_CTX *hmac_ctx(const char *digest) {
  EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
  OSSL_PARAM params[2];
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
  params[1] = OSSL_PARAM_construct_end();
  if (!ctx || !EVP_MAC_CTX_set_params(ctx, params)) die("cannot set up HMAC");
  EVP_MAC_free(mac);
  return ctx;
}

static void digest(const bytes *b) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n;
  if (!EVP_DigestInit_ex(md_ctx, sha256, NULL) || !EVP_DigestUpdate(md_ctx, b->data, b->len) ||
      !EVP_DigestFinal_ex(md_ctx, md, &n))
    die("SHA-256 failed");
  sink ^= md[0];
}

static void mac(EVP_MAC_CTX *ctx, const char *key, size_t klen, const bytes *msg) {
  unsigned char md[EVP_MAX_MD_SIZE];
  size_t n;
  if (!EVP_MAC_init(ctx, (const unsigned char *)key, klen, NULL) ||
      !EVP_MAC_update(ctx, (const unsigned char *)msg->data, msg->len) ||
      !EVP_MAC_final(ctx, md, &n, sizeof md))
    die("HMAC failed");
  sink ^= md[0];
}

static void prim_v3(void) {
  digest(&v3_body);
  digest(&v3_canonical);
  mac(hmac_sha256, BENCH_SECRET, strlen(BENCH_SECRET), &v3_sts);
}

static void prim_v2(void) { mac(hmac_sha1, v2_key.data, v2_key.len, &v2_sts); }

/* The same primitives through OpenSSL's one-shot calls (an implicit fetch each time). */
static void oneshot_v3(void) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n;
  if (!EVP_Digest(v3_body.data, v3_body.len, md, &n, EVP_sha256(), NULL) ||
      !EVP_Digest(v3_canonical.data, v3_canonical.len, md, &n, EVP_sha256(), NULL) ||
      !HMAC(EVP_sha256(), BENCH_SECRET, (int)strlen(BENCH_SECRET),
            (const unsigned char *)v3_sts.data, v3_sts.len, md, &n))
    die("one-shot primitives failed");
  sink ^= md[0];
}

/* ---- harness ------------------------------------------------------------------- */

typedef struct {
  const char *name;
  void (*fn)(void);
  long iterations;
  double *samples; /* microseconds per operation, one per repetition */
} bench;

static double time_per_op(void (*fn)(void), long n) {
  double t0 = now_us();
  long i;
  for (i = 0; i < n; i++) fn();
  return (now_us() - t0) / (double)n;
}

static void calibrate(bench *b) {
  double per_op;
  time_per_op(b->fn, 200); /* warm up */
  per_op = time_per_op(b->fn, 2000);
  b->iterations = (long)(SAMPLE_SECONDS * 1e6 / (per_op > 0.01 ? per_op : 0.01));
  if (b->iterations < 1000) b->iterations = 1000;
}

/* The primitives hash exactly the bytes a real signature hashes. */
static void setup(void) {
  v3_in = bench_input(CAMS_SIG_V3, BENCH_HOST);
  v2_in = bench_input(CAMS_SIG_V2, BENCH_HOST);
  cams_signed_init(&out);
  sign_v3();
  v3_body = copy(&out.body);
  v3_canonical = copy(&out.canonical);
  v3_sts = copy(&out.string_to_sign);
  sign_v2();
  v2_sts = copy(&out.string_to_sign);
  v2_key.len = strlen(BENCH_SECRET) + 1;
  v2_key.data = malloc(v2_key.len + 1);
  if (!v2_key.data) die("out of memory");
  snprintf(v2_key.data, v2_key.len + 1, "%s&", BENCH_SECRET);

  sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
  md_ctx = EVP_MD_CTX_new();
  if (!sha256 || !md_ctx) die("cannot set up SHA-256");
  hmac_sha256 = hmac_ctx("SHA256");
  hmac_sha1 = hmac_ctx("SHA1");
}

static void teardown(void) {
  free(v3_body.data);
  free(v3_canonical.data);
  free(v3_sts.data);
  free(v2_sts.data);
  free(v2_key.data);
  EVP_MAC_CTX_free(hmac_sha256);
  EVP_MAC_CTX_free(hmac_sha1);
  EVP_MD_CTX_free(md_ctx);
  EVP_MD_free(sha256);
  cams_signed_free(&out);
}

static void timings(int reps) {
  bench benches[] = {
      {"c_sign_v3_us", sign_v3, 0, NULL},      {"c_prim_v3_us", prim_v3, 0, NULL},
      {"c_oneshot_v3_us", oneshot_v3, 0, NULL}, {"c_sign_v2_us", sign_v2, 0, NULL},
      {"c_prim_v2_us", prim_v2, 0, NULL},
  };
  const size_t nb = sizeof benches / sizeof benches[0];
  double *ratio_v3 = calloc((size_t)reps, sizeof(double));
  double *ratio_v2 = calloc((size_t)reps, sizeof(double));
  size_t i;
  int r;

  if (!ratio_v3 || !ratio_v2) die("out of memory");
  for (i = 0; i < nb; i++) {
    calibrate(&benches[i]);
    benches[i].samples = calloc((size_t)reps, sizeof(double));
    if (!benches[i].samples) die("out of memory");
  }
  /* Interleaved, so that a noisy moment hits every measurement of one repetition. */
  for (r = 0; r < reps; r++) {
    for (i = 0; i < nb; i++)
      benches[i].samples[r] = time_per_op(benches[i].fn, benches[i].iterations);
    ratio_v3[r] = benches[0].samples[r] / benches[1].samples[r];
    ratio_v2[r] = benches[3].samples[r] / benches[4].samples[r];
  }

  printf("v3_body_bytes %zu\nv3_canonical_bytes %zu\nv3_string_to_sign_bytes %zu\n",
         v3_body.len, v3_canonical.len, v3_sts.len);
  printf("v2_string_to_sign_bytes %zu\n", v2_sts.len);
  for (i = 0; i < nb; i++) {
    printf("%s %.3f\n", benches[i].name, quantile(benches[i].samples, (size_t)reps, 0.5));
    free(benches[i].samples);
  }
  printf("c_ratio_v3 %.3f\n", quantile(ratio_v3, (size_t)reps, 0.5));
  printf("c_ratio_v2 %.3f\n", quantile(ratio_v2, (size_t)reps, 0.5));
  free(ratio_v3);
  free(ratio_v2);
}

int main(int argc, char **argv) {
  setup();
  if (argc > 2) {
    long n = count_arg(argv[2]), k;
    void (*fn)(void) = strcmp(argv[1], "prim") == 0 ? prim_v3 : sign_v3;
    for (k = 0; k < n; k++) fn();
  } else {
    long reps = argc > 1 ? count_arg(argv[1]) : 5;
    timings(reps > 0 && reps < 1000 ? (int)reps : 1);
  }
  teardown();
  return (int)(sink & 0);
}

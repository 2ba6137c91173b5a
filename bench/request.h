/* The request every benchmark signs: one UpdatePhoneMessageQrdl call. The same values
   are in bench/request.lua and bench/sdk.js. */
#ifndef CAMS_BENCH_REQUEST_H
#define CAMS_BENCH_REQUEST_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/sign.h"

#define BENCH_HOST "cams.ap-southeast-1.aliyuncs.com"
#define BENCH_KEY_ID "LTAI5tBenchmarkKeyId00000"
#define BENCH_SECRET "BenchmarkSecretBenchmarkSecret"

#define BENCH_NPARAMS 4
static const char *const bench_pairs[BENCH_NPARAMS][2] = {
    {"PhoneNumber", "8615800000000"},
    {"QrdlCode", "D9II3BENCH01"},
    {"PrefilledMessage", "Hello! Scan this code to chat with us about your order \xF0\x9F\x91\x8B"},
    {"GenerateQrImage", "SVG"},
};
static cams_kv bench_params[BENCH_NPARAMS];

/* host: as sent in the Host header. */
static inline cams_sign_input bench_input(cams_sig_alg alg, const char *host) {
  cams_sign_input in;
  size_t i;
  for (i = 0; i < BENCH_NPARAMS; i++) {
    bench_params[i].key = bench_pairs[i][0];
    bench_params[i].klen = strlen(bench_pairs[i][0]);
    bench_params[i].val = bench_pairs[i][1];
    bench_params[i].vlen = strlen(bench_pairs[i][1]);
  }
  memset(&in, 0, sizeof in);
  in.alg = alg;
  in.method = "POST";
  in.host = host;
  in.path = "/";
  in.action = "UpdatePhoneMessageQrdl";
  in.version = "2020-06-06";
  in.params = bench_params;
  in.nparams = BENCH_NPARAMS;
  in.access_key_id = BENCH_KEY_ID;
  in.access_key_secret = BENCH_SECRET;
  return in;
}

static inline double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* A non-negative count from the command line; -1 when s is not one. */
static inline long count_arg(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  return (end == s || *end || v < 0) ? -1 : v;
}

static inline int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts v in place; q in [0, 1], nearest rank. */
static inline double quantile(double *v, size_t n, double q) {
  size_t i;
  qsort(v, n, sizeof *v, cmp_double);
  i = (size_t)(q * (double)n + 0.5);
  if (i > 0) i--;
  if (i >= n) i = n - 1;
  return v[i];
}

#endif

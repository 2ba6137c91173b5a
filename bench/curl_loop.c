/* The baseline for the end-to-end numbers: a bare libcurl loop. One easy handle with the
   options src/http.c sets, one request signed once with src/sign.c, sent again and again
   on the kept-alive connection; the body is collected and the status checked.
   Usage: curl_loop URL CA_FILE|- CALLS WARMUP [SERVER_PIDS]
   prints "name value" lines: calls_per_s, p50_us, p99_us, client_cpu_us, server_cpu_pct. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <curl/curl.h>

#include "../src/buf.h"
#include "request.h"

static void die(const char *what, const char *detail) {
  fprintf(stderr, "curl_loop: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(1);
}

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
  cams_buf_add(ud, data, size * n);
  return size * n;
}

static double cpu_seconds_self(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* CPU seconds of the comma-separated pids, from /proc/<pid>/schedstat (nanoseconds). */
static double cpu_seconds_of(const char *pids) {
  double total = 0;
  const char *p = pids;
  while (p && *p) {
    char path[64], line[128], *next;
    long pid = strtol(p, &next, 10);
    FILE *f;
    if (next == p) break;
    p = *next == ',' ? next + 1 : next;
    snprintf(path, sizeof path, "/proc/%ld/schedstat", pid);
    f = fopen(path, "r");
    if (!f) continue;
    if (fgets(line, sizeof line, f)) total += (double)strtoull(line, NULL, 10) / 1e9;
    fclose(f);
  }
  return total;
}

int main(int argc, char **argv) {
  const char *url, *ca, *pids;
  char host[256];
  const char *h, *end;
  long calls, warmup, i, status = 0;
  cams_sign_input in;
  cams_signed req;
  const char *err, *p;
  struct curl_slist *list = NULL;
  cams_buf line, body;
  CURL *c;
  CURLcode rc;
  double *lat, t0 = 0, elapsed, server0 = 0, client0 = 0;
  size_t k;

  if (argc < 5) die("usage: curl_loop URL CA_FILE|- CALLS WARMUP [SERVER_PIDS]", NULL);
  url = argv[1];
  ca = strcmp(argv[2], "-") ? argv[2] : NULL;
  calls = count_arg(argv[3]);
  warmup = count_arg(argv[4]);
  pids = argc > 5 ? argv[5] : "";
  if (calls < 1 || warmup < 0) die("CALLS must be a positive count and WARMUP a count", NULL);

  /* Host header: the authority of the URL, as the Lua client signs it. */
  h = strstr(url, "://");
  h = h ? h + 3 : url;
  end = strchr(h, '/');
  k = end ? (size_t)(end - h) : strlen(h);
  if (k >= sizeof host) die("URL too long", NULL);
  memcpy(host, h, k);
  host[k] = '\0';

  in = bench_input(CAMS_SIG_V3, host);
  cams_signed_init(&req);
  if ((err = cams_sign(&in, &req))) die("signing failed", err);

  /* The request lines exactly as src/http.c builds them from the signer's headers. */
  list = curl_slist_append(list, "Expect:");
  cams_buf_init(&line);
  p = cams_buf_str(&req.headers);
  for (k = 0; k < req.nheaders; k++) {
    const char *v = p + strlen(p) + 1;
    cams_buf_reset(&line);
    cams_buf_adds(&line, p);
    cams_buf_adds(&line, ": ");
    cams_buf_adds(&line, v);
    list = curl_slist_append(list, cams_buf_str(&line));
    p = v + strlen(v) + 1;
  }
  list = curl_slist_append(list, "user-agent: lua-cams/0.1.0 (bench)");
  if (!list || line.failed) die("out of memory", NULL);

  curl_global_init(CURL_GLOBAL_DEFAULT);
  c = curl_easy_init();
  if (!c) die("curl_easy_init failed", NULL);
  cams_buf_init(&body);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (ca) curl_easy_setopt(c, CURLOPT_CAINFO, ca);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req.body.len);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, cams_buf_str(&req.body));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);

  lat = malloc((size_t)calls * sizeof *lat);
  if (!lat) die("out of memory", NULL);
  for (i = -warmup; i < calls; i++) {
    double t;
    if (i == 0) {
      server0 = cpu_seconds_of(pids);
      client0 = cpu_seconds_self();
      t0 = now_us();
    }
    t = now_us();
    cams_buf_reset(&body);
    rc = curl_easy_perform(c);
    if (rc != CURLE_OK) die("request failed", curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200 || !strstr(cams_buf_str(&body), "\"Code\":\"OK\""))
      die("unexpected response", cams_buf_str(&body));
    if (i >= 0) lat[i] = now_us() - t;
  }
  elapsed = (now_us() - t0) / 1e6;

  printf("calls_per_s %.3f\n", (double)calls / elapsed);
  printf("client_cpu_us %.3f\n", (cpu_seconds_self() - client0) * 1e6 / (double)calls);
  printf("server_cpu_pct %.3f\n", (cpu_seconds_of(pids) - server0) * 100 / elapsed);
  printf("p50_us %.3f\n", quantile(lat, (size_t)calls, 0.5));
  printf("p99_us %.3f\n", quantile(lat, (size_t)calls, 0.99));

  free(lat);
  curl_easy_cleanup(c);
  curl_slist_free_all(list);
  curl_global_cleanup();
  cams_buf_free(&line);
  cams_buf_free(&body);
  cams_signed_free(&req);
  return 0;
}

/* Test helper for spec/fork_spec.lua: signs once (so the nonce pool is filled), forks, and
   signs again in parent and child. Prints "parent <nonce>" and "child <nonce>": the two
   must differ, or two processes would send the same nonce. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/sign.h"

static const char *nonce_of(const cams_signed *s) {
  const char *p = cams_buf_str(&s->headers);
  size_t i;
  for (i = 0; i < s->nheaders; i++) {
    const char *v = p + strlen(p) + 1;
    if (strcmp(p, "x-acs-signature-nonce") == 0) return v;
    p = v + strlen(v) + 1;
  }
  return "none";
}

int main(void) {
  cams_kv param = {"PhoneNumber", 11, "8615800000000", 13};
  cams_sign_input in;
  cams_signed out;
  pid_t pid;
  int status = 0;

  memset(&in, 0, sizeof in);
  in.alg = CAMS_SIG_V3;
  in.method = "POST";
  in.host = "cams.ap-southeast-1.aliyuncs.com";
  in.path = "/";
  in.action = "ListPhoneMessageQrdl";
  in.version = "2020-06-06";
  in.params = &param;
  in.nparams = 1;
  in.access_key_id = "testid";
  in.access_key_secret = "testsecret";
  cams_signed_init(&out);
  if (cams_sign(&in, &out)) return 2;

  fflush(stdout);
  pid = fork();
  if (pid < 0) return 2;
  if (cams_sign(&in, &out)) return 2;
  printf("%s %s\n", pid ? "parent" : "child", nonce_of(&out));
  fflush(stdout);
  cams_signed_free(&out);
  if (pid == 0) _exit(0);
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 2;
  return 0;
}

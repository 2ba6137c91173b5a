/* Lua binding of the C core: cams.core.sign, cams.core.http, cams.core.qr_encode and small
   helpers.
   The only file that includes Lua headers. */
#define _POSIX_C_SOURCE 200809L /* stat */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "clock.h"
#include "compat.h"
#include "encode.h"
#include "http.h"
#include "qr.h"
#include "sign.h"

#define HTTP_MT "cams.core.http"
#define SIGNER_MT "cams.core.signer"
#define QR_MT "cams.core.qr"
#define USER_AGENT "lua-cams"
#define MAX_EXTRA_HEADERS 32

/* ---- helpers ---------------------------------------------------------------------- */

/* Fields read here end up in headers or as C strings: an embedded NUL is refused. */
static const char *opt_string(lua_State *L, int t, const char *field, const char *def) {
  const char *s;
  size_t n;
  lua_getfield(L, t, field);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return def;
  }
  if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "field '%s' must be a string", field);
  s = lua_tolstring(L, -1, &n);
  if (strlen(s) != n) luaL_error(L, "field '%s' contains a NUL byte", field);
  lua_pop(L, 1); /* still anchored by the table t */
  return s;
}

static const char *req_string(lua_State *L, int t, const char *field) {
  const char *s = opt_string(L, t, field, NULL);
  if (!s) luaL_error(L, "field '%s' is required", field);
  return s;
}

static double opt_number(lua_State *L, int t, const char *field, double def) {
  double v = def;
  lua_getfield(L, t, field);
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "field '%s' must be a number", field);
    v = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

static int opt_boolean(lua_State *L, int t, const char *field) {
  int v;
  lua_getfield(L, t, field);
  v = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

/* Reads a string->string table into kv pairs (into room when they fit); the strings stay
   anchored by the table. */
static cams_kv *read_pairs(lua_State *L, int t, const char *field, cams_kv *room, size_t nroom,
                           size_t *n) {
  cams_kv *v;
  size_t count = 0, i = 0;
  int idx;
  *n = 0;
  lua_getfield(L, t, field);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return NULL;
  }
  if (!lua_istable(L, -1)) luaL_error(L, "field '%s' must be a table", field);
  idx = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "'%s' must map strings to strings", field);
    count++;
    lua_pop(L, 1);
  }
  /* Small lists go into room; larger ones into a userdata, so the array is collected
     even if an error unwinds the stack. */
  v = count <= nroom ? room : lua_newuserdata(L, count * sizeof *v);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    v[i].key = lua_tolstring(L, -2, &v[i].klen);
    v[i].val = lua_tolstring(L, -1, &v[i].vlen);
    i++;
    lua_pop(L, 1);
  }
  if (v != room) lua_insert(L, idx); /* keep [userdata, table] on the stack until return */
  *n = count;
  return v;
}

static void push_pairs(lua_State *L, const cams_buf *b, size_t n) {
  const char *p = cams_buf_str(b);
  size_t i;
  lua_createtable(L, 0, (int)n);
  for (i = 0; i < n; i++) {
    size_t kl = strlen(p), vl;
    const char *v = p + kl + 1;
    vl = strlen(v);
    lua_pushlstring(L, p, kl);
    lua_pushlstring(L, v, vl);
    lua_rawset(L, -3);
    p = v + vl + 1;
  }
}

/* Appends one request header line as libcurl takes it, ended by a NUL: "name: value", or
   "name;" for an empty value (libcurl would drop "name:"). */
static void add_header_line(cams_buf *b, const char *k, size_t kl, const char *v, size_t vl) {
  cams_buf_add(b, k, kl);
  cams_buf_add(b, vl ? ": " : ";", vl ? 2 : 1);
  cams_buf_add(b, v, vl);
  cams_buf_addc(b, '\0');
}

/* A table with only the named header of "name\0value\0" pairs (empty when absent). */
static void push_header(lua_State *L, const cams_buf *b, size_t n, const char *name) {
  const char *p = cams_buf_str(b);
  size_t i;
  lua_createtable(L, 0, 1);
  for (i = 0; i < n; i++) {
    size_t kl = strlen(p), vl = strlen(p + kl + 1);
    if (strcmp(p, name) == 0) {
      lua_pushlstring(L, p + kl + 1, vl);
      lua_setfield(L, -2, name); /* the last of repeated headers wins, as in push_pairs */
    }
    p += kl + vl + 2;
  }
}

static void set_buf(lua_State *L, const char *field, const cams_buf *b) {
  lua_pushlstring(L, cams_buf_str(b), b->len);
  lua_setfield(L, -2, field);
}

/* ---- core.sign -------------------------------------------------------------------- */

/* One signer per Lua state, kept as an upvalue so its buffers are reused. */
typedef struct {
  cams_signed out;
  cams_buf lines; /* the header_lines form of out's headers */
} signer;

static int signer_gc(lua_State *L) {
  signer *s = luaL_checkudata(L, 1, SIGNER_MT);
  cams_signed_free(&s->out);
  cams_buf_free(&s->lines);
  return 0;
}

static int l_sign(lua_State *L) {
  cams_sign_input in;
  cams_kv params[16], headers[8];
  signer *sg = lua_touserdata(L, lua_upvalueindex(1));
  cams_signed *out = &sg->out;
  const char *alg, *where, *err;
  int trace, lines;

  luaL_checktype(L, 1, LUA_TTABLE);
  memset(&in, 0, sizeof in);
  alg = opt_string(L, 1, "algorithm", "ACS3-HMAC-SHA256");
  if (strcmp(alg, "ACS3-HMAC-SHA256") == 0)
    in.alg = CAMS_SIG_V3;
  else if (strcmp(alg, "HMAC-SHA1") == 0)
    in.alg = CAMS_SIG_V2;
  else
    return luaL_error(L, "unsupported algorithm '%s' (ACS3-HMAC-SHA256 or HMAC-SHA1)", alg);
  in.method = opt_string(L, 1, "method", "POST");
  in.host = req_string(L, 1, "host");
  in.path = opt_string(L, 1, "path", "/");
  in.action = req_string(L, 1, "action");
  in.version = req_string(L, 1, "version");
  in.access_key_id = req_string(L, 1, "access_key_id");
  in.access_key_secret = req_string(L, 1, "access_key_secret");
  in.security_token = opt_string(L, 1, "security_token", NULL);
  in.format = opt_string(L, 1, "format", NULL);
  in.date = opt_string(L, 1, "date", NULL);
  in.nonce = opt_string(L, 1, "nonce", NULL);
  where = opt_string(L, 1, "params_in", "body");
  if (strcmp(where, "query") == 0)
    in.params_in_query = 1;
  else if (strcmp(where, "body") != 0)
    return luaL_error(L, "params_in must be 'body' or 'query'");
  trace = opt_boolean(L, 1, "trace");
  lines = opt_boolean(L, 1, "header_lines");
  in.params = read_pairs(L, 1, "params", params, sizeof params / sizeof params[0], &in.nparams);
  in.headers = read_pairs(L, 1, "headers", headers, sizeof headers / sizeof headers[0],
                          &in.nheaders);
  if (in.nheaders > MAX_EXTRA_HEADERS) return luaL_error(L, "too many extra headers");

  err = cams_sign(&in, out);
  if (err) {
    cams_signed_wipe(out);
    return luaL_error(L, "cannot sign the request: %s", err);
  }

  lua_createtable(L, 0, trace ? 9 : 5);
  lua_pushstring(L, in.method);
  lua_setfield(L, -2, "method");
  set_buf(L, "target", &out->target);
  if (lines) {
    /* the form cams.core.http takes as is: one string instead of a table of strings */
    const char *p = cams_buf_str(&out->headers);
    size_t i;
    cams_buf_reset(&sg->lines);
    for (i = 0; i < out->nheaders; i++) {
      size_t kl = strlen(p), vl = strlen(p + kl + 1);
      add_header_line(&sg->lines, p, kl, p + kl + 1, vl);
      p += kl + vl + 2;
    }
    if (sg->lines.failed) {
      cams_signed_wipe(out);
      cams_buf_wipe(&sg->lines);
      return luaL_error(L, "cannot sign the request: out of memory");
    }
    set_buf(L, "header_lines", &sg->lines);
    cams_buf_wipe(&sg->lines); /* Authorization and security-token lines */
  } else {
    push_pairs(L, &out->headers, out->nheaders);
    lua_setfield(L, -2, "headers");
  }
  set_buf(L, "body", &out->body);
  set_buf(L, "signature", &out->signature);
  if (trace) {
    set_buf(L, in.alg == CAMS_SIG_V3 ? "canonical_request" : "canonical_query", &out->canonical);
    set_buf(L, "string_to_sign", &out->string_to_sign);
    if (in.alg == CAMS_SIG_V3) set_buf(L, "signed_headers", &out->signed_headers);
  }
  cams_signed_wipe(out);
  return 1;
}

/* ---- core.http -------------------------------------------------------------------- */

typedef struct {
  cams_http *http;
  cams_http_response resp;
  cams_buf lines; /* request header lines, reused from one request to the next */
} http_handle;

static http_handle *check_handle(lua_State *L) {
  http_handle *h = luaL_checkudata(L, 1, HTTP_MT);
  if (!h->http) luaL_error(L, "the HTTP handle is closed");
  return h;
}

static int l_http_new(lua_State *L) {
  cams_http_opts o;
  http_handle *h;
  double connect_timeout, timeout;
  if (lua_isnoneornil(L, 1))
    lua_newtable(L);
  else
    luaL_checktype(L, 1, LUA_TTABLE);
  connect_timeout = opt_number(L, 1, "connect_timeout", 5);
  timeout = opt_number(L, 1, "timeout", 10);
  if (!(connect_timeout > 0 && connect_timeout < 86400) || !(timeout > 0 && timeout < 86400))
    return luaL_error(L, "timeouts must be positive numbers of seconds");
  o.connect_timeout_ms = (long)(connect_timeout * 1000 + 0.5);
  o.timeout_ms = (long)(timeout * 1000 + 0.5);
  o.ca_file = opt_string(L, 1, "ca_file", NULL);
  o.user_agent = opt_string(L, 1, "user_agent", USER_AGENT " " LIBCURL_VERSION);
  o.proxy = opt_string(L, 1, "proxy", NULL);
  o.noproxy = opt_string(L, 1, "noproxy", NULL);

  h = lua_newuserdata(L, sizeof *h);
  h->http = NULL;
  cams_http_response_init(&h->resp);
  cams_buf_init(&h->lines);
  luaL_getmetatable(L, HTTP_MT);
  lua_setmetatable(L, -2);
  h->http = cams_http_new(&o);
  if (!h->http) return luaL_error(L, "cannot create a libcurl handle");
  return 1;
}

static int header_token_ok(const char *s, size_t n) {
  size_t i;
  if (!n) return 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c <= ' ' || c >= 127 || c == ':') return 0;
  }
  return 1;
}

static int l_http_request(lua_State *L) {
  http_handle *h = check_handle(L);
  cams_http_request req;
  cams_buf *lines = &h->lines;
  const char *code = NULL, *line_ptrs[MAX_EXTRA_HEADERS * 2], *p, *only;
  char message[CURL_ERROR_SIZE + 64];
  double timeout;
  size_t nh = 0, i;
  int ok;

  luaL_checktype(L, 2, LUA_TTABLE);
  req.method = opt_string(L, 2, "method", "POST");
  req.url = req_string(L, 2, "url");
  req.body = NULL;
  req.body_len = 0;
  timeout = opt_number(L, 2, "timeout", 0);
  if (timeout > 86400) timeout = 86400;
  req.timeout_ms = timeout > 0 ? (long)(timeout * 1000) + 1 : 0; /* never 0 = "no limit" */
  only = opt_string(L, 2, "response_header", NULL);
  lua_getfield(L, 2, "body"); /* left on the stack: anchors the body during the exchange */
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING) return luaL_error(L, "field 'body' must be a string");
    req.body = lua_tolstring(L, -1, &req.body_len);
  }

  /* "Name: value" lines, checked one by one; nothing is sent unless all pass. The buffer
     belongs to the handle, so an error raised half way leaks nothing. First the lines of
     header_lines (as core.sign makes them with header_lines = true), then the headers table. */
  cams_buf_reset(lines);
  lua_getfield(L, 2, "header_lines");
  if (!lua_isnil(L, -1)) {
    size_t n, kl, len;
    const char *s, *end;
    if (lua_type(L, -1) != LUA_TSTRING) return luaL_error(L, "field 'header_lines' must be a string");
    s = lua_tolstring(L, -1, &n);
    if (n && s[n - 1] != '\0') return luaL_error(L, "header_lines must end with a NUL");
    for (end = s + n; s < end; s += len + 1) {
      len = strlen(s);
      kl = strcspn(s, ":;");
      if (!header_token_ok(s, kl) || kl == len || strpbrk(s, "\r\n"))
        return luaL_error(L, "invalid line in header_lines");
      if (nh++ == sizeof line_ptrs / sizeof line_ptrs[0]) return luaL_error(L, "too many headers");
      cams_buf_add(lines, s, len + 1);
    }
  }
  lua_pop(L, 1);
  lua_getfield(L, 2, "headers");
  if (!lua_isnil(L, -1)) {
    luaL_checktype(L, -1, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      size_t kl, vl;
      const char *k, *v;
      if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
        return luaL_error(L, "headers must map strings to strings");
      k = lua_tolstring(L, -2, &kl);
      v = lua_tolstring(L, -1, &vl);
      if (!header_token_ok(k, kl)) return luaL_error(L, "invalid header name");
      if (strlen(v) != vl || strpbrk(v, "\r\n"))
        return luaL_error(L, "CR, LF or NUL in the value of header '%s'", k);
      if (nh++ == sizeof line_ptrs / sizeof line_ptrs[0]) return luaL_error(L, "too many headers");
      add_header_line(lines, k, kl, v, vl);
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  /* The lines follow each other, each ended by its NUL (checked above to be the only one). */
  for (i = 0, p = cams_buf_str(lines); i < nh && !lines->failed; i++, p += strlen(p) + 1)
    line_ptrs[i] = p;
  req.headers = line_ptrs;
  req.nheaders = nh;

  if (lines->failed) {
    code = "Transport.Error";
    strcpy(message, "out of memory");
    ok = 0;
  } else {
    ok = cams_http_perform(h->http, &req, &h->resp, &code, message, sizeof message);
  }
  cams_buf_wipe(lines); /* Authorization and security-token lines */
  if (!ok) {
    lua_pushnil(L);
    lua_pushstring(L, code);
    lua_pushstring(L, message);
    return 3;
  }
  lua_pushinteger(L, (lua_Integer)h->resp.status);
  if (only) /* one header asked for: the others are not turned into Lua strings */
    push_header(L, &h->resp.headers, h->resp.nheaders, only);
  else
    push_pairs(L, &h->resp.headers, h->resp.nheaders);
  lua_pushlstring(L, cams_buf_str(&h->resp.body), h->resp.body.len);
  return 3;
}

static int l_http_close(lua_State *L) {
  http_handle *h = luaL_checkudata(L, 1, HTTP_MT);
  cams_http_free(h->http);
  h->http = NULL;
  cams_http_response_free(&h->resp);
  cams_buf_free(&h->lines);
  return 0;
}

static int l_http_tostring(lua_State *L) {
  http_handle *h = luaL_checkudata(L, 1, HTTP_MT);
  lua_pushfstring(L, "cams.core.http (%s)", h->http ? "open" : "closed");
  return 1;
}

/* ---- core.qr_encode: QR codes drawn locally (qr.c) -------------------------------- */

typedef struct {
  cams_qr qr;
  int margin, scale; /* checked once here; the writers then fail only for memory */
  cams_buf out;      /* a writer's output; owned here so that a raised error leaks nothing */
} qr_code;

static qr_code *check_qr(lua_State *L) { return luaL_checkudata(L, 1, QR_MT); }

static int qr_bad_input(lua_State *L, const char *message) {
  lua_pushnil(L);
  lua_pushstring(L, message);
  return 2;
}

/* core.qr_encode(text, level, margin, scale) -> code, size, version; nil and a message for
   bad input. level "L", "M", "Q" or "H"; scale 0 lets each writer choose (qr.h). */
static int l_qr_encode(lua_State *L) {
  static const char levels[] = "LMQH";
  size_t len, ll;
  const char *text, *level, *at;
  lua_Integer margin, scale;
  cams_qr_level lv;
  cams_qr_status st;
  qr_code *c;

  luaL_checktype(L, 1, LUA_TSTRING);
  luaL_checktype(L, 2, LUA_TSTRING);
  text = lua_tolstring(L, 1, &len);
  level = lua_tolstring(L, 2, &ll);
  margin = luaL_checkinteger(L, 3);
  scale = luaL_checkinteger(L, 4);
  at = ll == 1 ? strchr(levels, level[0]) : NULL;
  if (!at || !*at) return qr_bad_input(L, cams_qr_message(CAMS_QR_BAD_LEVEL));
  lv = (cams_qr_level)(at - levels);
  if (margin < 0 || margin > CAMS_QR_MAX_MARGIN)
    return qr_bad_input(L, cams_qr_message(CAMS_QR_BAD_MARGIN));
  if (scale < 0 || scale > CAMS_QR_MAX_SCALE)
    return qr_bad_input(L, cams_qr_message(CAMS_QR_BAD_SCALE));

  c = lua_newuserdata(L, sizeof *c);
  cams_buf_init(&c->out);
  luaL_getmetatable(L, QR_MT);
  lua_setmetatable(L, -2);
  st = cams_qr_encode(&c->qr, text, len, lv);
  if (st == CAMS_QR_NOMEM) return luaL_error(L, "%s", cams_qr_message(st));
  if (st == CAMS_QR_TOO_LONG) {
    char message[128];
    snprintf(message, sizeof message,
             "the text (%zu bytes) is longer than a QR code holds at level %s (at most %zu bytes)",
             len, level, cams_qr_capacity(lv, cams_qr_eci(text, len)));
    return qr_bad_input(L, message);
  }
  if (st != CAMS_QR_OK) return qr_bad_input(L, cams_qr_message(st));
  c->margin = (int)margin;
  c->scale = (int)scale;
  lua_pushinteger(L, c->qr.size);
  lua_pushinteger(L, c->qr.version);
  return 3;
}

/* The picture as a Lua string, or a raised error (only memory can fail once encoded). */
static int push_qr_output(lua_State *L, qr_code *c, cams_qr_status st) {
  if (st != CAMS_QR_OK) {
    cams_buf_free(&c->out);
    return luaL_error(L, "cannot draw the QR code: %s", cams_qr_message(st));
  }
  lua_pushlstring(L, cams_buf_str(&c->out), c->out.len);
  cams_buf_free(&c->out);
  return 1;
}

/* code:modules(): size * size characters, row by row, "1" dark and "0" light. */
static int l_qr_modules(lua_State *L) {
  qr_code *c = check_qr(L);
  int i, n = c->qr.size * c->qr.size;
  cams_buf_reset(&c->out);
  if (cams_buf_reserve(&c->out, (size_t)n))
    for (i = 0; i < n; i++) cams_buf_addc(&c->out, (char)('0' + c->qr.modules[i]));
  return push_qr_output(L, c, c->out.failed ? CAMS_QR_NOMEM : CAMS_QR_OK);
}

static int l_qr_svg(lua_State *L) {
  qr_code *c = check_qr(L);
  cams_buf_reset(&c->out);
  return push_qr_output(L, c, cams_qr_svg(&c->qr, c->margin, c->scale, &c->out));
}

static int l_qr_png(lua_State *L) {
  qr_code *c = check_qr(L);
  cams_buf_reset(&c->out);
  return push_qr_output(L, c, cams_qr_png(&c->qr, c->margin, c->scale, &c->out));
}

/* code:terminal(invert) */
static int l_qr_terminal(lua_State *L) {
  qr_code *c = check_qr(L);
  cams_buf_reset(&c->out);
  return push_qr_output(L, c, cams_qr_terminal(&c->qr, c->margin, lua_toboolean(L, 2), &c->out));
}

static int l_qr_gc(lua_State *L) {
  cams_buf_free(&check_qr(L)->out);
  return 0;
}

/* ---- small helpers exposed for tests and tools ------------------------------------ */

static int l_percent_encode(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  const char *mode = luaL_optstring(L, 2, "strict");
  cams_buf b;
  if (strcmp(mode, "strict") != 0 && strcmp(mode, "form") != 0)
    return luaL_error(L, "mode must be 'strict' or 'form'");
  cams_buf_init(&b);
  cams_percent_encode(&b, s, n, mode[0] == 'f' ? CAMS_ENC_FORM : CAMS_ENC_STRICT);
  if (b.failed) {
    cams_buf_free(&b);
    return luaL_error(L, "out of memory");
  }
  lua_pushlstring(L, cams_buf_str(&b), b.len);
  cams_buf_free(&b);
  return 1;
}

static int l_utf8_valid(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  lua_pushboolean(L, cams_utf8_valid(s, n));
  return 1;
}

static int l_timestamp(lua_State *L) {
  char buf[CAMS_TIMESTAMP_LEN + 1];
  if (!cams_timestamp(buf)) return luaL_error(L, "cannot read the clock");
  lua_pushstring(L, buf);
  return 1;
}

static int l_nonce(lua_State *L) {
  char buf[CAMS_NONCE_LEN + 1];
  if (!cams_nonce(buf)) return luaL_error(L, "RAND_bytes failed");
  lua_pushstring(L, buf);
  return 1;
}

static int l_random(lua_State *L) {
  double v;
  if (!cams_random_unit(&v)) return luaL_error(L, "RAND_bytes failed");
  lua_pushnumber(L, v);
  return 1;
}

static int l_monotonic(lua_State *L) {
  lua_pushnumber(L, cams_monotonic());
  return 1;
}

/* Blocks the whole process: never called inside nginx, where ngx.sleep is used. */
static int l_sleep(lua_State *L) {
  cams_sleep(luaL_checknumber(L, 1));
  return 0;
}

/* Permission bits of a file (e.g. 0600), or nil and the reason: lets the Lua layer warn
   about credential files that group or others can read. */
static int l_file_mode(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  struct stat st;
  if (stat(path, &st) != 0) {
    lua_pushnil(L);
    lua_pushstring(L, strerror(errno));
    return 2;
  }
  lua_pushinteger(L, (lua_Integer)(st.st_mode & 07777));
  return 1;
}

static const luaL_Reg http_methods[] = {
    {"request", l_http_request}, {"close", l_http_close}, {NULL, NULL}};

static const luaL_Reg qr_methods[] = {{"modules", l_qr_modules},
                                      {"svg", l_qr_svg},
                                      {"png", l_qr_png},
                                      {"terminal", l_qr_terminal},
                                      {NULL, NULL}};

static const luaL_Reg functions[] = {{"http", l_http_new},
                                     {"qr_encode", l_qr_encode},
                                     {"percent_encode", l_percent_encode},
                                     {"utf8_valid", l_utf8_valid},
                                     {"timestamp", l_timestamp},
                                     {"nonce", l_nonce},
                                     {"random", l_random},
                                     {"monotonic", l_monotonic},
                                     {"sleep", l_sleep},
                                     {"file_mode", l_file_mode},
                                     {NULL, NULL}};

int luaopen_cams_core(lua_State *L);

int luaopen_cams_core(lua_State *L) {
  signer *sg;
  curl_global_init(CURL_GLOBAL_DEFAULT);

  luaL_newmetatable(L, HTTP_MT);
  lua_newtable(L);
  luaL_setfuncs(L, http_methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, l_http_close);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, l_http_close);
  lua_setfield(L, -2, "__close");
  lua_pushcfunction(L, l_http_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);

  luaL_newmetatable(L, QR_MT);
  lua_newtable(L);
  luaL_setfuncs(L, qr_methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, l_qr_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);

  luaL_newlib(L, functions);

  sg = lua_newuserdata(L, sizeof *sg);
  cams_signed_init(&sg->out);
  cams_buf_init(&sg->lines);
  luaL_newmetatable(L, SIGNER_MT);
  lua_pushcfunction(L, signer_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_pushcclosure(L, l_sign, 1);
  lua_setfield(L, -2, "sign");

  lua_pushinteger(L, CAMS_QR_MAX_MARGIN);
  lua_setfield(L, -2, "qr_max_margin");
  lua_pushinteger(L, CAMS_QR_MAX_SCALE);
  lua_setfield(L, -2, "qr_max_scale");
  return 1;
}

/* Lua binding of the C core: cams.core.sign, cams.core.http, cams.core.qr_encode and small
   helpers.
   The only file that includes Lua headers. */
#define _POSIX_C_SOURCE 200809L /* stat */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "clock.h"
#include "compat.h"
#include "encode.h"
#include "http.h"
#include "qr.h"
#include "request.h"
#include "sign.h"

#define HTTP_MT "cams.core.http"
#define SIGNER_MT "cams.core.signer"
#define REQUEST_MT "cams.core.request"
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

/* ---- request objects: what core.sign and core.request make, what transports send ----- */

/* The trace of a signature (canonical strings), kept only when core.sign was asked for it:
   the signature test vectors compare them. */
typedef struct {
  cams_request req;
  cams_buf trace; /* "canonical\0string_to_sign\0signed_headers\0signature\0" or empty */
} request_object;

static request_object *new_request(lua_State *L) {
  request_object *o = lua_newuserdata(L, sizeof *o);
  cams_request_init(&o->req);
  cams_buf_init(&o->trace);
  luaL_getmetatable(L, REQUEST_MT);
  lua_setmetatable(L, -2);
  return o;
}

static request_object *check_request(lua_State *L, int i) {
  return luaL_checkudata(L, i, REQUEST_MT);
}

static int l_request_gc(lua_State *L) {
  request_object *o = check_request(L, 1);
  cams_request_free(&o->req);
  cams_buf_free_secret(&o->trace);
  return 0;
}

static int l_request_wipe(lua_State *L) {
  request_object *o = check_request(L, 1);
  cams_request_wipe(&o->req);
  cams_buf_wipe(&o->trace);
  return 0;
}

static int l_request_method(lua_State *L) {
  lua_pushstring(L, check_request(L, 1)->req.method);
  return 1;
}

static int l_request_url(lua_State *L) {
  const cams_request *r = &check_request(L, 1)->req;
  lua_pushlstring(L, cams_buf_str(&r->data), r->url_len);
  return 1;
}

static int l_request_target(lua_State *L) {
  const cams_request *r = &check_request(L, 1)->req;
  lua_pushlstring(L, cams_buf_str(&r->data) + r->target_off, r->url_len - r->target_off);
  return 1;
}

static int l_request_body(lua_State *L) {
  const cams_request *r = &check_request(L, 1)->req;
  lua_pushlstring(L, cams_buf_str(&r->data) + r->body_off, r->body_len);
  return 1;
}

/* The headers as a table (name -> value), for traces and dry runs. */
static int l_request_headers(lua_State *L) {
  const cams_request *r = &check_request(L, 1)->req;
  const char *lines[CAMS_REQUEST_MAX_LINES];
  size_t i, n = cams_request_lines(r, lines, CAMS_REQUEST_MAX_LINES);
  lua_createtable(L, 0, (int)n);
  for (i = 0; i < n; i++) {
    size_t kl = strcspn(lines[i], ":;"), len = strlen(lines[i]);
    lua_pushlstring(L, lines[i], kl);
    if (kl + 2 <= len)
      lua_pushlstring(L, lines[i] + kl + 2, len - kl - 2);
    else
      lua_pushliteral(L, "");
    lua_rawset(L, -3);
  }
  return 1;
}

/* The whole request as HTTP/1.1 bytes, for the cosocket transport. */
static int l_request_http1(lua_State *L) {
  const cams_request *r = &check_request(L, 1)->req;
  cams_buf b;
  cams_buf_init(&b);
  cams_request_http1(r, &b);
  if (b.failed) {
    cams_buf_free_secret(&b);
    return luaL_error(L, "out of memory");
  }
  lua_pushlstring(L, cams_buf_str(&b), b.len);
  cams_buf_free_secret(&b);
  return 1;
}

static int l_request_trace(lua_State *L) {
  request_object *o = check_request(L, 1);
  const char *p = cams_buf_str(&o->trace);
  static const char *const names[] = {"canonical", "string_to_sign", "signed_headers",
                                      "signature"};
  size_t i;
  if (!o->trace.len) return 0;
  lua_createtable(L, 0, 4);
  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    size_t n = strlen(p);
    lua_pushlstring(L, p, n);
    lua_setfield(L, -2, names[i]);
    p += n + 1;
  }
  return 1;
}

static int l_request_tostring(lua_State *L) {
  const cams_request *r = &check_request(L, 1)->req;
  lua_pushfstring(L, "cams.core.request (%s)", r->method);
  return 1;
}

/* ---- core.sign -------------------------------------------------------------------- */

/* One signer per Lua state, kept as an upvalue so that its buffers and OpenSSL contexts are
   reused; each signature is copied out into a request object. */
typedef struct {
  cams_signed out;
} signer;

static int signer_gc(lua_State *L) {
  signer *s = luaL_checkudata(L, 1, SIGNER_MT);
  cams_signed_free(&s->out);
  return 0;
}

static void keep_trace(cams_buf *trace, const cams_signed *s) {
  const cams_buf *parts[4];
  size_t i;
  parts[0] = &s->canonical, parts[1] = &s->string_to_sign, parts[2] = &s->signed_headers;
  parts[3] = &s->signature;
  for (i = 0; i < 4; i++) {
    cams_buf_add(trace, cams_buf_str(parts[i]), parts[i]->len);
    cams_buf_addc(trace, '\0');
  }
}

static int l_sign(lua_State *L) {
  cams_sign_input in;
  cams_kv params[16], headers[8];
  signer *sg = lua_touserdata(L, lua_upvalueindex(1));
  cams_signed *out = &sg->out;
  const char *alg, *where, *err, *endpoint, *user_agent;
  char origin[300];
  request_object *o;
  int trace;

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
  endpoint = opt_string(L, 1, "endpoint", NULL);
  user_agent = opt_string(L, 1, "user_agent", NULL);
  where = opt_string(L, 1, "params_in", "body");
  if (strcmp(where, "query") == 0)
    in.params_in_query = 1;
  else if (strcmp(where, "body") != 0)
    return luaL_error(L, "params_in must be 'body' or 'query'");
  trace = opt_boolean(L, 1, "trace");
  in.params = read_pairs(L, 1, "params", params, sizeof params / sizeof params[0], &in.nparams);
  in.headers = read_pairs(L, 1, "headers", headers, sizeof headers / sizeof headers[0],
                          &in.nheaders);
  if (in.nheaders > MAX_EXTRA_HEADERS) return luaL_error(L, "too many extra headers");
  if (!endpoint) { /* the test vectors give only the host */
    if (snprintf(origin, sizeof origin, "https://%s", in.host) >= (int)sizeof origin)
      return luaL_error(L, "host too long");
    endpoint = origin;
  }

  o = new_request(L);
  err = cams_sign(&in, out);
  if (!err) err = cams_request_from_signed(&o->req, in.method, endpoint, out, user_agent);
  if (!err && trace) {
    keep_trace(&o->trace, out);
    if (o->trace.failed) err = "out of memory";
  }
  cams_signed_wipe(out);
  if (err) {
    cams_request_wipe(&o->req);
    return luaL_error(L, "cannot sign the request: %s", err);
  }
  return 1;
}

/* ---- core.request: an unsigned request ------------------------------------------- */

static int l_request(lua_State *L) {
  cams_kv room[8], *headers;
  size_t nheaders, body_len = 0;
  const char *method, *url, *body, *user_agent, *err;
  request_object *o;
  luaL_checktype(L, 1, LUA_TTABLE);
  method = opt_string(L, 1, "method", "GET");
  url = req_string(L, 1, "url");
  user_agent = opt_string(L, 1, "user_agent", NULL);
  headers = read_pairs(L, 1, "headers", room, sizeof room / sizeof room[0], &nheaders);
  lua_getfield(L, 1, "body"); /* left on the stack: anchors the body */
  if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
    return luaL_error(L, "field 'body' must be a string");
  body = lua_isnil(L, -1) ? "" : lua_tolstring(L, -1, &body_len);
  o = new_request(L);
  err = cams_request_plain(&o->req, method, url, headers, nheaders, body, body_len, user_agent);
  if (err) return luaL_error(L, "invalid request: %s", err);
  return 1;
}

/* ---- core.http -------------------------------------------------------------------- */

typedef struct {
  cams_http *http;
  cams_http_response resp;
} http_handle;

static http_handle *check_handle(lua_State *L) {
  http_handle *h = luaL_checkudata(L, 1, HTTP_MT);
  if (!h->http) luaL_error(L, "the HTTP handle is closed");
  return h;
}

static double req_seconds(lua_State *L, int t, const char *field) {
  double v;
  lua_getfield(L, t, field);
  if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "field '%s' must be a number", field);
  v = lua_tonumber(L, -1);
  lua_pop(L, 1);
  if (!(v > 0 && v < 86400)) luaL_error(L, "field '%s' must be seconds in (0, 86400)", field);
  return v;
}

/* Each handle holds a connection and libcurl's own descriptors, which the garbage
   collector does not see: clients dropped without close() would run the process out of
   descriptors long before a collection frees them. So the handles open in a Lua state are
   counted (in its registry), and a new handle first has a full collection run once they
   reach an eighth of the descriptor limit (4 to 64 handles); past that point the next
   collection waits until their number doubles, so that live handles cost little. */
#define HANDLES_KEY "cams.core.handles"
#define NEXT_COLLECT_KEY "cams.core.next_collect"

static lua_Integer registry_int(lua_State *L, const char *key) {
  lua_Integer v;
  lua_getfield(L, LUA_REGISTRYINDEX, key);
  v = lua_tointeger(L, -1);
  lua_pop(L, 1);
  return v;
}

static void set_registry_int(lua_State *L, const char *key, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, LUA_REGISTRYINDEX, key);
}

static lua_Integer handles_before_collect(void) {
  struct rlimit rl;
  rlim_t n = 64;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) n = rl.rlim_cur / 8;
  return n < 4 ? 4 : n > 64 ? 64 : (lua_Integer)n;
}

static void collect_if_many_handles(lua_State *L) {
  lua_Integer base = handles_before_collect(), next = registry_int(L, NEXT_COLLECT_KEY), open;
  if (next < base) next = base;
  if (registry_int(L, HANDLES_KEY) < next) return;
  lua_gc(L, LUA_GCCOLLECT, 0);
  open = registry_int(L, HANDLES_KEY);
  set_registry_int(L, NEXT_COLLECT_KEY, open * 2 > base ? open * 2 : base);
}

static int l_http_new(lua_State *L) {
  cams_http_opts o;
  http_handle *h;
  luaL_checktype(L, 1, LUA_TTABLE);
  collect_if_many_handles(L);
  /* milliseconds, rounded up: 0 would mean "no limit" to libcurl */
  o.connect_timeout_ms = (long)(req_seconds(L, 1, "connect_timeout") * 1000) + 1;
  o.timeout_ms = (long)(req_seconds(L, 1, "timeout") * 1000) + 1;
  o.ca_file = opt_string(L, 1, "ca_file", NULL);
  o.user_agent = opt_string(L, 1, "user_agent", USER_AGENT " " LIBCURL_VERSION);
  o.proxy = opt_string(L, 1, "proxy", NULL);
  o.noproxy = opt_string(L, 1, "noproxy", NULL);

  h = lua_newuserdata(L, sizeof *h);
  h->http = NULL;
  cams_http_response_init(&h->resp);
  luaL_getmetatable(L, HTTP_MT);
  lua_setmetatable(L, -2);
  h->http = cams_http_new(&o);
  if (!h->http) return luaL_error(L, "cannot create a libcurl handle");
  set_registry_int(L, HANDLES_KEY, registry_int(L, HANDLES_KEY) + 1);
  return 1;
}

/* handle:request(req, timeout, all_headers): one exchange of a request object; the status,
   the response headers (only x-acs-request-id unless all_headers) and the body, or nil, an
   error code, a message and whether the request had gone out. The request is wiped once
   sent: it is used once. */
static int l_http_request(lua_State *L) {
  http_handle *h = check_handle(L);
  request_object *o = check_request(L, 2);
  cams_request *r = &o->req;
  double timeout = luaL_optnumber(L, 3, 0);
  int all = lua_toboolean(L, 4);
  cams_http_request req;
  const char *code = NULL, *lines[CAMS_REQUEST_MAX_LINES];
  char message[CURL_ERROR_SIZE + 64];
  int ok, sent = 0;

  if (!r->url_len) return luaL_error(L, "the request was already sent");
  if (timeout > 86400) timeout = 86400;
  req.method = r->method;
  req.url = cams_buf_str(&r->data);
  req.headers = lines;
  req.nheaders = cams_request_lines(r, lines, CAMS_REQUEST_MAX_LINES);
  req.body = cams_buf_str(&r->data) + r->body_off;
  req.body_len = r->body_len;
  req.timeout_ms = timeout > 0 ? (long)(timeout * 1000) + 1 : 0; /* never 0 = "no limit" */
  ok = cams_http_perform(h->http, &req, &h->resp, &code, message, sizeof message, &sent);
  cams_request_wipe(r); /* Authorization and security-token lines; never sent twice */
  cams_buf_wipe(&o->trace);
  if (!ok) {
    lua_pushnil(L);
    lua_pushstring(L, code);
    lua_pushstring(L, message);
    lua_pushboolean(L, sent);
    return 4;
  }
  lua_pushinteger(L, (lua_Integer)h->resp.status);
  if (all)
    push_pairs(L, &h->resp.headers, h->resp.nheaders);
  else /* the others are not turned into Lua strings */
    push_header(L, &h->resp.headers, h->resp.nheaders, "x-acs-request-id");
  lua_pushlstring(L, cams_buf_str(&h->resp.body), h->resp.body.len);
  return 3;
}

static int l_http_close(lua_State *L) {
  http_handle *h = luaL_checkudata(L, 1, HTTP_MT);
  if (h->http) set_registry_int(L, HANDLES_KEY, registry_int(L, HANDLES_KEY) - 1);
  cams_http_free(h->http);
  h->http = NULL;
  cams_http_response_free(&h->resp);
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

/* core.check_texts(params, multiline): the checks every parameter value passes before it is
   signed, in one call: no NUL, valid UTF-8, no CR or LF unless its name is a key of the
   table `multiline` (or multiline is true). Nothing, or the failing name (the first in
   byte order, when several fail) and what is wrong with it. */
static int l_check_texts(lua_State *L) {
  const char *bad = NULL, *why = NULL;
  size_t bad_len = 0;
  int all_multiline;
  luaL_checktype(L, 1, LUA_TTABLE);
  all_multiline = lua_isboolean(L, 2) && lua_toboolean(L, 2);
  if (!all_multiline) luaL_checktype(L, 2, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    size_t kl, vl;
    const char *k, *v, *problem = NULL;
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
      return luaL_error(L, "parameters must map strings to strings");
    k = lua_tolstring(L, -2, &kl);
    v = lua_tolstring(L, -1, &vl);
    if (memchr(v, '\0', vl)) {
      problem = "must not contain NUL bytes";
    } else if (!cams_utf8_valid(v, vl)) {
      problem = "is not valid UTF-8";
    } else if (memchr(v, '\r', vl) || memchr(v, '\n', vl)) {
      int allowed = all_multiline;
      if (!allowed) {
        lua_pushvalue(L, -2);
        lua_rawget(L, 2);
        allowed = lua_toboolean(L, -1);
        lua_pop(L, 1);
      }
      if (!allowed) problem = "must not contain line breaks (CR or LF)";
    }
    if (problem && (!bad || strcmp(k, bad) < 0)) bad = k, bad_len = kl, why = problem;
    lua_pop(L, 1);
  }
  if (!bad) return 0;
  lua_pushlstring(L, bad, bad_len);
  lua_pushstring(L, why);
  return 2;
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

/* ---- files of the command line's batch updates (cams.cli.files, cams.cli.journal) ---- */

#include <fcntl.h>    /* open */
#include <sys/file.h> /* flock */
#include <unistd.h>   /* close */

/* core.file_id(path): "dev:ino" of the file `path` names (symbolic links followed), or nil
   and the reason when there is none. Two names of one file (./a and /abs/a, a symbolic or
   a hard link) give the same id, which plain Lua cannot tell. */
static int l_file_id(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  struct stat st;
  char id[48];
  if (stat(path, &st) != 0) {
    lua_pushnil(L);
    lua_pushstring(L, strerror(errno));
    return 2;
  }
  snprintf(id, sizeof id, "%llu:%llu", (unsigned long long)st.st_dev,
           (unsigned long long)st.st_ino);
  lua_pushstring(L, id);
  return 1;
}

#define LOCK_MT "cams.core.lock"

static int l_lock_release(lua_State *L) {
  int *fd = (int *)luaL_checkudata(L, 1, LOCK_MT);
  if (*fd >= 0) close(*fd); /* closing the only descriptor releases the flock */
  *fd = -1;
  return 0;
}

/* core.lock_file(path): an exclusive advisory lock (flock) on the file, created when missing.
   It is held until lock:release(), the lock object being collected, or the process ending,
   however it ends (kill -9 too). Returns the lock; or nil, the reason and "busy" when
   another holder has it. flock, not fcntl: closing another descriptor of the file (Lua's
   io.open of the journal) must not release it. */
static int l_lock_file(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int *fd = (int *)lua_newuserdata(L, sizeof *fd);
  int err;
  *fd = -1;
  if (luaL_newmetatable(L, LOCK_MT)) {
    lua_pushcfunction(L, l_lock_release);
    lua_setfield(L, -2, "__gc");
    lua_newtable(L);
    lua_pushcfunction(L, l_lock_release);
    lua_setfield(L, -2, "release");
    lua_setfield(L, -2, "__index");
  }
  lua_setmetatable(L, -2);
  *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0666);
  if (*fd < 0) {
    err = errno;
    lua_pushnil(L);
    lua_pushstring(L, strerror(err));
    return 2;
  }
  if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
    err = errno;
    close(*fd);
    *fd = -1;
    lua_pushnil(L);
    lua_pushstring(L, strerror(err));
    if (err == EWOULDBLOCK) {
      lua_pushliteral(L, "busy");
      return 3;
    }
    return 2;
  }
  return 1;
}

static const luaL_Reg http_methods[] = {
    {"request", l_http_request}, {"close", l_http_close}, {NULL, NULL}};

static const luaL_Reg request_methods[] = {
    {"method", l_request_method}, {"url", l_request_url},       {"target", l_request_target},
    {"body", l_request_body},     {"headers", l_request_headers}, {"http1", l_request_http1},
    {"trace", l_request_trace},   {"wipe", l_request_wipe},     {NULL, NULL}};

static const luaL_Reg qr_methods[] = {{"modules", l_qr_modules},
                                      {"svg", l_qr_svg},
                                      {"png", l_qr_png},
                                      {"terminal", l_qr_terminal},
                                      {NULL, NULL}};

static const luaL_Reg functions[] = {{"http", l_http_new},
                                     {"request", l_request},
                                     {"qr_encode", l_qr_encode},
                                     {"percent_encode", l_percent_encode},
                                     {"utf8_valid", l_utf8_valid},
                                     {"check_texts", l_check_texts},
                                     {"timestamp", l_timestamp},
                                     {"nonce", l_nonce},
                                     {"random", l_random},
                                     {"monotonic", l_monotonic},
                                     {"sleep", l_sleep},
                                     {"file_mode", l_file_mode},
                                     {"file_id", l_file_id},
                                     {"lock_file", l_lock_file},
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

  luaL_newmetatable(L, REQUEST_MT);
  lua_newtable(L);
  luaL_setfuncs(L, request_methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, l_request_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, l_request_tostring);
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

-- Handlers of the nginx that runs lua-cams in spec/nginx_spec.lua and bench/. Every answer
-- is JSON: {ok = true, res = <body>, worker = <id>} or {ok = false, err = <error fields>},
-- with status 200 (failures get 502 when the query has `strict`).
--
--   init_by_lua_block { require("spec.support.nginx_app").init{ profiles = {...} } }
--   location /client/ { content_by_lua_block { require("spec.support.nginx_app").client() } }
--
-- A profile is a set of cams.new options; its client is made once per worker.
-- luacheck: globals ngx
local cams = require "cams"
local cjson = require "cjson.safe"

local M = {}

local profiles = {}
local clients = {}

function M.init(settings)
  profiles = settings.profiles or {}
  -- made in init_by_lua, before the workers fork, as the README shows
  if profiles.early then
    clients.early = assert(cams.new(profiles.early))
  end
end

local function error_fields(err)
  if type(err) ~= "table" then
    return { code = "?", message = tostring(err) }
  end
  return { code = err.code, message = err.message, status = err.status,
    attempts = err.attempts, retryable = err.retryable, request_id = err.request_id,
    text = tostring(err) }
end

local function result(res, err)
  if res then
    return { ok = true, res = res, worker = ngx.worker.id() }
  end
  return { ok = false, err = error_fields(err), worker = ngx.worker.id() }
end

local function reply(t)
  if t.ok == false and ngx.var.arg_strict then
    ngx.status = 502 -- for load generators that count only statuses
  end
  ngx.header["Content-Type"] = "application/json"
  ngx.say(cjson.encode(t))
  return ngx.exit(200)
end

local function client_for(name)
  local c = clients[name]
  if c then return c end
  local opts = profiles[name]
  if not opts then return nil, "unknown profile " .. tostring(name) end
  local err
  c, err = cams.new(opts)
  if not c then return nil, err end
  clients[name] = c
  return c
end

-- ?reconcile=0: a lost answer reported as it is (no listing of the codes after it)
local function update(c, args)
  return c:update_qrdl({
    phone_number = args.phone or "8615800000000",
    qrdl_code = args.code or "D9II3NGX",
    prefilled_message = args.message or "Hello from nginx",
    generate_qr_image = args.image or "SVG",
  }, { reconcile = args.reconcile ~= "0" })
end

--- /client/<profile>?message=...: update_qrdl on the profile's per-worker client.
function M.client()
  local name = ngx.var.uri:match("([%w_]+)$")
  local c, err = client_for(name)
  if not c then return reply(result(nil, err)) end
  return reply(result(update(c, ngx.req.get_uri_args())))
end

--- /distrust/<profile>: in a location that trusts another CA than /client/ does, first
-- /client/<profile> (a subrequest: same worker, same client) and then the same update
-- here; the second must not ride on the connection the first verified.
function M.distrust()
  local name = ngx.var.uri:match("([%w_]+)$")
  local first = ngx.location.capture("/client/" .. name)
  local c, err = client_for(name)
  if not c then return reply(result(nil, err)) end
  local t = result(update(c, ngx.req.get_uri_args()))
  t.first = cjson.decode(first.body)
  return reply(t)
end

--- /default?message=...: cams.update_qrdl on the default client (from `env` directives).
function M.default()
  local args = ngx.req.get_uri_args()
  return reply(result(cams.update_qrdl{
    phone_number = args.phone or "8615800000000", qrdl_code = args.code or "D9II3NGX",
    prefilled_message = args.message or "Hello from nginx", generate_qr_image = "PNG",
  }))
end

--- /new/<profile>: what cams.new answers for the profile's options.
function M.new()
  local c, err = cams.new(profiles[ngx.var.uri:match("([%w_]+)$")] or {})
  if c then return reply({ ok = true, transport = c.transport, shared_dict = c.shared_dict }) end
  return reply(result(nil, err))
end

--- Stores the outcome of update_qrdl with the profile's client under `key` in the
-- lua_shared_dict "app_results": for phases that cannot answer a request themselves
-- (init_worker, log) and for timers.
function M.record(key, profile)
  local dict = ngx.shared.app_results
  local c, err = cams.new(profiles[profile] or {})
  local t = c and result(update(c, {})) or result(nil, err)
  t.phase = ngx.get_phase()
  dict:set(key, cjson.encode(t))
end

--- /core: where cams.core was loaded from.
function M.core()
  local core = require "cams.core"
  return reply({ path = package.searchpath("cams.core", package.cpath),
    sign = type(core.sign), jit = jit and jit.version })
end

--- /result?key=...: a recorded outcome, or {missing = true}.
function M.result()
  local s = ngx.shared.app_results:get(ngx.var.arg_key or "")
  if not s then return reply({ missing = true }) end
  ngx.header["Content-Type"] = "application/json"
  ngx.say(s)
  return ngx.exit(200)
end

--- /timer?key=...&profile=...: records update_qrdl run from ngx.timer.at(0).
function M.timer()
  local key, profile = ngx.var.arg_key, ngx.var.arg_profile
  local ok, err = ngx.timer.at(0, function(premature)
    if not premature then M.record(key, profile) end
  end)
  return reply({ ok = ok and true or false, err = err })
end

---------------------------------------------------------------------------------------
-- Transport edge cases: /raw/<case> answers with exact bytes on the raw connection;
-- /transport?case=<case> sends a request there through cams.transport.ngx.

-- The raw handler closes the connection after every answer: the answers say so.
local RAW = {
  length = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Case: length\r\nConnection: close\r\n\r\n"
    .. "hello",
  chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    .. "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
  until_close = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nread until close",
  interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n"
    .. "Connection: close\r\n\r\nok",
  no_content = "HTTP/1.1 204 No Content\r\nX-Case: empty\r\nConnection: close\r\n\r\n",
  repeated = "HTTP/1.1 200 OK\r\nX-Dup: first\r\nx-dup: second\r\nContent-Length: 0\r\n"
    .. "Connection: close\r\n\r\n",
  error_status = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n"
    .. "Connection: close\r\n\r\nbusy",
  bad_status = "HTTTP/1.1 200 OK\r\n\r\n",
  bad_header = "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
  bad_length = "HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n",
  huge_header = "HTTP/1.1 200 OK\r\nX-Big: " .. string.rep("a", 70 * 1024)
    .. "\r\nContent-Length: 0\r\n\r\n",
  many_headers = "HTTP/1.1 200 OK\r\n" .. string.rep("X-Many: " .. string.rep("b", 1000)
    .. "\r\n", 70) .. "Content-Length: 0\r\n\r\n",
  huge_length = "HTTP/1.1 200 OK\r\nContent-Length: 8388609\r\n\r\n",
  huge_chunks = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n800001\r\n",
  long_chunk_line = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;"
    .. string.rep("e", 2000) .. "\r\nhello\r\n0\r\n\r\n",
  bare_lf = "HTTP/1.1 200 OK\nContent-Length: 2\nConnection: close\n\nok",
  bad_chunk = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
  truncated = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
  truncated_chunk = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n20\r\nshort",
  nothing = "",
}

function M.raw()
  local case = ngx.var.uri:match("([%w_]+)$")
  ngx.req.read_body()
  if case == "slow" then ngx.sleep(tonumber(ngx.var.arg_seconds) or 1) end
  local sock = assert(ngx.req.socket(true))
  if case == "once" then
    -- answers one request and allows keep-alive, then drops the connection on the next
    -- request without a word: what a kept-alive connection closed by the server does
    local conn = ngx.var.connection
    sock:send("HTTP/1.1 200 OK\r\nContent-Length: " .. #conn .. "\r\n\r\n" .. conn)
    sock:settimeout(3000)
    if sock:receive("*l") then ngx.shared.app_results:incr("dropped", 1, 0) end
    return ngx.exit(444)
  end
  local out = RAW[case] or RAW.length
  if out ~= "" then sock:send(out) end
  return ngx.exit(444) -- close without anything more
end

--- /echo: a normal nginx answer (Content-Length, keep-alive) naming the connection it came
-- on and echoing the request; ?close=1 asks for Connection: close.
function M.echo()
  ngx.req.read_body()
  if ngx.var.arg_close then ngx.header["Connection"] = "close" end
  local h = ngx.req.get_headers()
  local body = cjson.encode({ connection = ngx.var.connection, method = ngx.req.get_method(),
    body = ngx.req.get_body_data() or "", host = h.host, length = h["content-length"],
    extra = h["x-extra"], uri = ngx.var.request_uri })
  ngx.header["Content-Length"] = #body
  ngx.print(body)
  return ngx.exit(200)
end

local function send(url, req)
  local t = require("cams.transport.ngx").new{ timeout = tonumber(ngx.var.arg_timeout) or 2,
    connect_timeout = 1 }
  req.url = url
  local ok, r = pcall(require("cams.core").request, req)
  if not ok then return { code = "Refused", message = r } end -- nothing unchecked goes out
  local status, headers, body = t:request(r)
  if status then return { status = status, headers = headers, body = body } end
  return { code = headers, message = body }
end

function M.transport()
  local base = "http://127.0.0.1:" .. ngx.var.server_port
  local case = ngx.var.arg_case
  local out = {}
  if case == "keepalive" or case == "close" then
    local q = case == "close" and "?close=1" or ""
    for i = 1, 3 do out[i] = send(base .. "/echo" .. q, { method = "GET" }) end
  elseif case == "echo" then
    out[1] = send(base .. "/echo?x=1", { method = "POST", body = "a=b&c=d",
      headers = { ["x-extra"] = "yes" } })
  elseif case == "bad_header_value" then
    out[1] = send(base .. "/echo", { method = "GET", headers = { ["x-extra"] = "a\r\nb: c" } })
  elseif case == "framing_header" then
    out[1] = send(base .. "/echo", { method = "POST", body = "x",
      headers = { ["content-length"] = "999" } })
  elseif case == "once" then
    for i = 1, 2 do out[i] = send(base .. "/raw/once", { method = "GET" }) end
    out[3] = { dropped = ngx.shared.app_results:get("dropped") or 0 }
  elseif case == "url" then
    out[1] = send(ngx.var.arg_url, { method = "GET" })
  else
    local extra = ngx.var.arg_seconds and ("?seconds=" .. ngx.var.arg_seconds) or ""
    out[1] = send(base .. "/raw/" .. case .. extra, { method = "POST", body = "x=1" })
  end
  return reply(out)
end

return M

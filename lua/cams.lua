--- lua-cams: Alibaba Cloud CAMS API (WhatsApp message QR codes) for Lua.
--
--   local cams = require "cams"
--   local client, err = cams.new{ region = "ap-southeast-1" }
--   local res, err = client:update_qrdl{ phone_number = "8615800000000",
--     qrdl_code = "D9II3xxx", prefilled_message = "Hello", generate_qr_image = "SVG" }
--
-- Failures return nil and an error object (see cams.errors); only
-- programming errors such as a non-table argument raise.
--
-- Response bodies are returned as decoded by lua-cjson: a JSON null is
-- kept as the cjson.null sentinel, not as nil.

local errors = require "cams.errors"
local validate = require "cams.validate"
local endpoint = require "cams.endpoint"
local credentials = require "cams.credentials"
local operation_entries = require "cams.operations"
local curl_transport = require "cams.transport.curl"
local transport_select = require "cams.transport.select"
local clock = require "cams.clock"
local ratelimit = require "cams.ratelimit"
local shdict_ratelimit = require "cams.ratelimit.shdict"
local retry = require "cams.retry"
local redact = require "cams.redact"
local scrub = require "cams.scrub"
local batch = require "cams.batch"
local cjson = require "cjson.safe"

local format = string.format
local show = validate.show

local M = {
  VERSION = "0.1.0",
  API_VERSION = "2020-06-06",
  DEFAULT_REGION = "ap-southeast-1",
  errors = errors,
}

-- Environment reader; replaceable (tests, embedding).
M._getenv = os.getenv

local ENV_REGION = "ALIBABA_CLOUD_REGION_ID"
local ENV_ENDPOINT = "ALIBABA_CLOUD_ENDPOINT"
local ENV_CA_FILE = "CAMS_CA_FILE"

local json = cjson.new()

local jit_version = rawget(_G, "jit") and rawget(_G, "jit").version
local USER_AGENT = "lua-cams/" .. M.VERSION .. " (" .. (jit_version or _VERSION) .. ")"

local ALGORITHMS = { v3 = "ACS3-HMAC-SHA256", v2 = "HMAC-SHA1" }

local function fail(message, code, action)
  return nil, errors.new{ code = code or "InvalidParameter", message = message, action = action }
end

local function finite(v)
  return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge
end

local function one_of(v, name, allowed)
  if type(v) ~= "string" then
    return format("%s must be a string, got %s", name, type(v))
  end
  for _, a in ipairs(allowed) do
    if v == a then
      return nil
    end
  end
  return format("invalid value '%s' for %s; expected one of: %s", show(v, 20), name,
    table.concat(allowed, ", "))
end

local function check_region(v, name)
  if type(v) ~= "string" then
    return format("%s must be a string, got %s", name, type(v))
  end
  if not v:match("^[a-z0-9-]+$") then
    return format("%s '%s' is not a region id (lowercase letters, digits and '-', "
      .. "e.g. ap-southeast-1)", name, show(v))
  end
  return nil
end

---------------------------------------------------------------------------
-- Options of cams.new

local OPTIONS = {
  region = check_region,
  endpoint = function(v, name)
    if type(v) ~= "string" then
      return format("%s must be a string, got %s", name, type(v))
    end
  end,
  allow_http = function(v, name)
    if type(v) ~= "boolean" then
      return format("%s must be a boolean, got %s", name, type(v))
    end
  end,
  signature = function(v, name)
    return one_of(v, name, { "v3", "v2" })
  end,
  timeout = function(v, name)
    if not finite(v) or v <= 0 then
      return format("%s must be a positive number of seconds", name)
    end
  end,
  retries = function(v, name)
    if not finite(v) or v < 0 or math.floor(v) ~= v then
      return format("%s must be a non-negative integer", name)
    end
  end,
  qps = function(v, name)
    if v ~= false and (not finite(v) or v <= 0) then
      return format("%s must be a positive number, or false to turn rate limiting off", name)
    end
  end,
  ca_file = function(v, name)
    if type(v) ~= "string" or v == "" or v:find("\0", 1, true) then
      return format("%s must be a non-empty string (a path) without NUL bytes", name)
    end
  end,
  transport = function(v, name)
    return one_of(v, name, { "auto", "curl", "ngx" })
  end,
  proxy = function(v, name)
    if v ~= false and (type(v) ~= "string" or v:find("[%c%s]")) then
      return format("%s must be a proxy URL (string without spaces) or false", name)
    end
  end,
  no_proxy = function(v, name)
    if type(v) ~= "string" or v:find("[%c]") then
      return format("%s must be a string of comma-separated hosts", name)
    end
  end,
  trace = function(v, name)
    if type(v) ~= "function" then
      return format("%s must be a function, got %s", name, type(v))
    end
  end,
  shared_dict = function(v, name)
    if type(v) ~= "string" or v == "" then
      return format("%s must be the name of a lua_shared_dict", name)
    end
  end,
}
OPTIONS.connect_timeout = OPTIONS.timeout
OPTIONS.deadline = OPTIONS.timeout
OPTIONS.retry_base_delay = OPTIONS.timeout
OPTIONS.retry_max_delay = OPTIONS.timeout
for name, check in pairs(credentials.OPTIONS) do
  OPTIONS[name] = check
end

local OPTION_NAMES = {}
for name in pairs(OPTIONS) do
  OPTION_NAMES[#OPTION_NAMES + 1] = name
end
table.sort(OPTION_NAMES)

-- Keys of an options table: every key must be known; returns an error
-- message or nil.
local function check_keys(t, known, known_list, what)
  local unknown = {}
  for k in pairs(t) do
    if type(k) ~= "string" then
      return format("unexpected %s key in the options of %s", type(k), what)
    end
    if not known[k] then
      unknown[#unknown + 1] = k
    end
  end
  if #unknown > 0 then
    table.sort(unknown)
    return format("unknown option '%s' for %s%s", show(unknown[1]), what,
      validate.suggestion(unknown[1], known_list, "options"))
  end
  return nil
end

local function readable(path)
  local f, err = io.open(path, "rb")
  if not f then
    return err or "cannot be opened"
  end
  local data, rerr = f:read(1)
  f:close()
  if not data then
    return rerr and (path .. ": " .. rerr) or (path .. ": file is empty")
  end
  return nil
end

---------------------------------------------------------------------------
-- Client

local Client = {}
Client.__index = Client
Client.__name = "cams.client"

-- Credentials, the core module and the HTTP handle live here, keyed by the
-- client, so that dumping a client table never shows a secret.
local private = setmetatable({}, { __mode = "k" })

local function private_of(self, method)
  local p = private[self]
  if not p then
    error(format("cams: %s must be called on a client: client:%s(...)", method, method), 3)
  end
  return p
end

function Client.__tostring(self)
  local p = private[self]
  local creds = p and p.credentials:peek()
  return format("cams.client{endpoint=%s, region=%s, access_key_id=%s, signature=%s}",
    tostring(self.endpoint), tostring(self.region),
    credentials.mask(creds and creds.access_key_id), tostring(self.signature))
end

--- Create a client. Every option is optional; see the README for the list.
-- Returns the client, or nil and an error object.
function M.new(opts)
  if opts == nil then
    opts = {}
  elseif type(opts) ~= "table" then
    error("cams.new expects a table of options, got " .. type(opts), 2)
  end
  local msg = check_keys(opts, OPTIONS, OPTION_NAMES, "cams.new")
  if msg then
    return fail(msg)
  end
  for _, name in ipairs(OPTION_NAMES) do
    local v = opts[name]
    if v ~= nil then
      msg = OPTIONS[name](v, name)
      if msg then
        return fail(msg)
      end
    end
  end
  local getenv = M._getenv
  local allow_http = opts.allow_http == true

  local ok, core = pcall(require, "cams.core")
  if not ok or type(core) ~= "table" then
    return fail("the C module cams.core could not be loaded: " .. tostring(core),
      "Core.Unavailable")
  end

  local transport = opts.transport or "auto"
  local ngx = clock.nginx()
  if transport == "ngx" and not ngx then
    return fail("transport 'ngx' needs nginx with the Lua module (cosockets); outside nginx "
      .. "use 'auto' or 'curl'", "NotSupported")
  end
  local cosockets = transport == "ngx" or (transport == "auto" and ngx ~= nil)

  -- settings of the HTTP transports; ca_file is added below, before any request
  local http = { timeout = opts.timeout or 10, connect_timeout = opts.connect_timeout or 5 }
  http.proxy, http.no_proxy = curl_transport.proxy_settings(opts, getenv)
  local provider, err = credentials.new(opts, {
    getenv = getenv, core = core, user_agent = USER_AGENT, allow_http = allow_http,
    http = http,
    transport = function(settings) return transport_select.new(core, settings, transport) end,
  })
  if not provider then
    return nil, err
  end

  local region = opts.region
  if region == nil then
    local from = ENV_REGION
    region = getenv(ENV_REGION)
    if region == "" then
      region = nil
    end
    if region == nil then
      region, from = provider.region(), "region_id of the aliyun CLI profile"
    end
    if region ~= nil then
      msg = check_region(region, from)
      if msg then
        return fail(msg)
      end
    else
      region = M.DEFAULT_REGION
    end
  end

  local ep, source = opts.endpoint, "endpoint"
  if ep == nil then
    ep, source = getenv(ENV_ENDPOINT), ENV_ENDPOINT
    if ep == "" then
      ep = nil
    end
  end
  local parsed
  if ep ~= nil then
    parsed, msg = endpoint.parse(ep, allow_http)
    if not parsed then
      return fail(source .. " " .. msg)
    end
  else
    parsed = assert(endpoint.for_region(region))
  end

  local ca_file, ca_source = opts.ca_file, "ca_file"
  if ca_file == nil then
    ca_file, ca_source = getenv(ENV_CA_FILE), ENV_CA_FILE
    if ca_file == "" then
      ca_file = nil
    end
  end
  if ca_file and cosockets then
    return fail(ca_source .. " does not apply inside nginx: cosockets trust the certificates "
      .. "named by the lua_ssl_trusted_certificate directive")
  end
  if ca_file then
    msg = readable(ca_file)
    if msg then
      return fail(ca_source .. " is not readable: " .. msg)
    end
  end

  http.ca_file = ca_file

  local shared = opts.shared_dict
  local dict
  if shared ~= nil then
    if not ngx then
      return fail("shared_dict needs nginx (a lua_shared_dict shared by its workers); "
        .. "outside nginx each client paces its own calls")
    end
    dict = ngx.shared and ngx.shared[shared]
    if not dict then
      return fail(format("shared_dict '%s' is not defined: add 'lua_shared_dict %s 1m;' to "
        .. "the http block of nginx.conf", show(shared), show(shared)))
    end
  end

  local signature = opts.signature or "v3"
  local client = setmetatable({
    endpoint = parsed.url,
    host = parsed.authority,
    scheme = parsed.scheme,
    region = region,
    signature = signature,
    allow_http = allow_http,
    timeout = opts.timeout or 10,
    connect_timeout = opts.connect_timeout or 5,
    retries = opts.retries or 3,
    retry_base_delay = opts.retry_base_delay or 0.2,
    retry_max_delay = opts.retry_max_delay or 5,
    deadline = opts.deadline or 60,
    qps = opts.qps,
    ca_file = ca_file,
    transport = transport,
    shared_dict = shared,
    credentials_source = provider.source,
  }, Client)
  private[client] = {
    core = core,
    algorithm = ALGORITHMS[signature],
    credentials = provider,
    transport = transport_select.new(core, http, transport),
    clock = clock.new(core),
    limiter = dict and shdict_ratelimit.new(dict) or ratelimit.new(),
    trace = opts.trace,
    sign_input = { algorithm = ALGORITHMS[signature], host = parsed.authority, path = "/" },
  }
  return client
end

-- The scrubber that removes every form of these credentials' secret and token from a
-- message; kept until the credentials change (a refresh).
local function scrubber(p, creds)
  if p.scrubbed ~= creds then
    p.scrubbed = creds
    p.scrub = scrub.new({ creds.access_key_secret, creds.security_token }, p.core.percent_encode)
  end
  return p.scrub
end

-- Headers the signer or the HTTP framing own: an extra header may not replace them.
local OWNED_HEADERS = {}
for _, name in ipairs{ "authorization", "host", "content-type", "content-length",
  "transfer-encoding", "connection", "expect", "te", "upgrade", "x-acs-action",
  "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256",
  "x-acs-security-token", "x-acs-accesskey-id" } do
  OWNED_HEADERS[name] = true
end

-- Options of call and of the typed helpers.
local CALL_OPTIONS = {
  version = function(v)
    if type(v) ~= "string" or not v:match("^%d%d%d%d%-%d%d%-%d%d$") then
      return "version must be a string like '2020-06-06'"
    end
  end,
  method = function(v)
    return one_of(v, "method", { "POST", "GET" })
  end,
  params_in = function(v)
    return one_of(v, "params_in", { "body", "query" })
  end,
  headers = function(v)
    if type(v) ~= "table" then
      return "headers must be a table"
    end
    for k, hv in pairs(v) do
      if type(k) ~= "string" or type(hv) ~= "string" then
        return "headers must map strings to strings"
      elseif not k:match("^[a-z0-9_-]+$") then
        return format("header name '%s' must be lowercase letters, digits, '-' or '_'",
          show(k))
      elseif OWNED_HEADERS[k] then
        return format("header '%s' is set by the library and cannot be passed", k)
      elseif hv:find("[%z\r\n]") then
        return format("the value of header '%s' must not contain CR, LF or NUL", k)
      end
    end
  end,
}
local CALL_OPTION_NAMES = { "headers", "method", "params_in", "version" }

-- Shared by every call without options (it is only read).
local NO_OPTIONS = setmetatable({}, { __newindex = function() error("read-only", 2) end })

local function check_call_opts(action, opts, what)
  if opts == nil then
    return NO_OPTIONS
  end
  if type(opts) ~= "table" then
    error(format("cams: %s expects a table of options, got %s", what, type(opts)), 3)
  end
  local msg = check_keys(opts, CALL_OPTIONS, CALL_OPTION_NAMES, what)
  if msg then
    return fail(msg, nil, action)
  end
  for _, name in ipairs(CALL_OPTION_NAMES) do
    if opts[name] ~= nil then
      msg = CALL_OPTIONS[name](opts[name])
      if msg then
        return fail(msg, nil, action)
      end
    end
  end
  return opts
end

local function response_error(action, status, headers, raw)
  local request_id = type(headers) == "table" and headers["x-acs-request-id"] or nil
  return nil, errors.new{
    code = "Response.Malformed",
    message = "response body is not a JSON object: " .. errors.snippet(raw, 200),
    status = status,
    request_id = type(request_id) == "string" and request_id or nil,
    action = action,
    attempts = 1,
  }
end

-- Turn an HTTP response into the body table or nil, err.
local function handle_response(action, status, headers, raw)
  local body
  if type(raw) == "string" and raw ~= "" then
    body = json.decode(raw)
  end
  local success = status >= 200 and status < 300
  if type(body) ~= "table" or rawget(body, 1) ~= nil then
    if not success then
      -- e.g. an HTML error page from a proxy: report the HTTP status
      return nil, errors.from_response(action, status, nil, raw, headers)
    end
    return response_error(action, status, headers, raw)
  end
  local code = body.Code
  if not success or (type(code) == "string" and code ~= "OK") then
    return nil, errors.from_response(action, status, body, raw, headers)
  end
  return body
end

local USER_AGENT_HEADER = { ["user-agent"] = USER_AGENT } -- only read

-- Sign one request with the current credentials; returns {method=, url=, headers=, body=}
-- and the credentials used, or nil, err. With `lines`, the signed headers come as the
-- single string header_lines (for cams.core.http) and `headers` holds only the user agent.
local function sign(self, p, action, params, version, o, lines)
  local creds, cerr = p.credentials:get()
  if not creds then
    return nil, cerr
  end
  self.credentials_source = p.credentials.source
  -- the client's input table, reused: only what a call changes is set
  local input = p.sign_input
  input.method = o.method or "POST"
  input.action = action
  input.version = version
  input.params = params
  input.params_in = o.params_in or "body"
  input.access_key_id = creds.access_key_id
  input.access_key_secret = creds.access_key_secret
  input.security_token = creds.security_token
  input.headers = o.headers
  input.header_lines = lines
  local ok, req = pcall(p.core.sign, input)
  if not ok or type(req) ~= "table" then
    return fail("the request could not be signed: " .. scrubber(p, creds)(req), nil, action)
  end

  local headers = req.headers
  if req.header_lines then
    headers = not (o.headers and o.headers["user-agent"]) and USER_AGENT_HEADER or nil
  else
    headers = headers or {}
    if headers["user-agent"] == nil then
      headers["user-agent"] = USER_AGENT
    end
  end
  return {
    method = req.method or o.method or "POST",
    url = self.endpoint .. (req.target or "/"),
    headers = headers,
    header_lines = req.header_lines,
    body = req.body,
  }, creds
end

-- Send one signed request; returns the body table or nil, err.
-- The trace function, when set, sees the request redacted and the response scrubbed.
local function exchange(p, action, req, clean)
  local trace = p.trace
  if trace then
    trace("request", redact.request(req))
  end
  local started = trace and p.clock.now()
  local status, rheaders, body = p.transport:request(req)
  if trace then
    local t = { seconds = p.clock.now() - started }
    if status == nil then
      t.error = tostring(rheaders) .. ": " .. clean(body or "")
    else
      t.status, t.headers, t.body = status, rheaders, body and clean(body)
    end
    trace("response", t)
  end
  if status == nil then
    return nil, errors.from_transport(action, rheaders, body)
  end
  status = tonumber(status)
  if not status then
    return nil, errors.from_transport(action, "Transport.Error", "no HTTP status received")
  end
  return handle_response(action, status, rheaders, body)
end

-- Sign and send one request; returns the body table or nil, err. No error leaves with
-- the secret or the token in it, whoever wrote the message.
local function perform(self, p, action, params, version, o, timeout)
  -- libcurl takes the signed headers as one string, unless a trace wants to see them
  local lines = not p.trace and p.transport:takes_header_lines()
  local req, creds = sign(self, p, action, params, version, o, lines)
  if not req then
    return nil, creds
  end
  if lines then
    req.response_header = "x-acs-request-id" -- the only one read when there is no trace
  end
  req.timeout = timeout
  local clean = scrubber(p, creds)
  local res, err = exchange(p, action, req, clean)
  if err then
    scrub.error(err, clean)
  end
  return res, err
end

-- Documented calls per second of each action, from the operations table.
local ACTION_QPS = {}
for _, entry in pairs(operation_entries) do
  ACTION_QPS[entry.action] = entry.qps
end

-- One call: waits for a rate-limit slot before every attempt, retries what is retryable
-- (each attempt signed afresh: new date and nonce) and never runs past the deadline.
local function send(self, p, action, params, version, o)
  local qps = self.qps
  if qps == nil then
    qps = ACTION_QPS[action]
  end
  -- before any wait: inside nginx a phase without cosockets must not sleep either
  local ready, why = p.transport:ready()
  if not ready then
    return nil, errors.new{ code = "NotSupported", message = why, action = action,
      attempts = 0, retryable = false }
  end
  local c = p.clock
  return retry.run({
    retries = self.retries, base = self.retry_base_delay, cap = self.retry_max_delay,
    deadline = self.deadline, random = p.core.random, clock = c,
  }, function(left)
    if qps then
      local wait = p.limiter:reserve(action, qps, c.now())
      if wait >= left then
        p.limiter:release(action, qps)
        return nil, errors.new{
          code = "DeadlineExceeded", action = action, attempts = 0, retryable = false,
          message = format("no rate-limit slot (%g calls/s) before the deadline of %gs",
            qps, self.deadline),
        }
      end
      c.sleep(wait)
      left = left - wait
    end
    return perform(self, p, action, params, version, o, math.min(self.timeout, left))
  end)
end

-- Checks of a generic call; returns the checked parameters and options or nil, err.
local function check_call(action, params, opts, what)
  if type(action) ~= "string" then
    error(format("cams: %s expects an action name (string), got %s", what, type(action)), 3)
  end
  if params == nil then
    params = {}
  elseif type(params) ~= "table" then
    error(format("cams: %s expects a table of parameters, got %s", what, type(params)), 3)
  end
  if not action:match("^%a%w*$") then
    return fail(format("invalid action name '%s'", show(action)), nil, nil)
  end
  local checked, err = validate.params(action, params)
  if not checked then
    return nil, err
  end
  local o
  o, err = check_call_opts(action, opts, what)
  if not o then
    return nil, err
  end
  return checked, o
end

-- Checks of a typed helper's arguments; returns API parameters and options or nil, err.
local function check_operation(op, args, opts, what)
  if type(args) ~= "table" then
    error(format("cams: %s expects a table of named arguments, got %s", what, type(args)), 3)
  end
  local params, err = validate.operation(op, args)
  if not params then
    return nil, err
  end
  local o
  o, err = check_call_opts(op.action, opts, what)
  if not o then
    return nil, err
  end
  return params, o
end

--- Generic signed call: `client:call("AnyAction", { PascalCaseParam = "value" }, opts)`.
-- Parameter values are strings or numbers (converted to strings). `opts`:
-- version (default cams.API_VERSION), method ("POST"), params_in ("body"
-- or "query"), headers (extra request headers).
function Client:call(action, params, opts)
  local p = private_of(self, "call")
  local checked, o = check_call(action, params, opts, "call")
  if not checked then
    return nil, o
  end
  return send(self, p, action, checked, o.version or M.API_VERSION, o)
end

-- The request of sign(), or nil, err: never the credentials it signed with.
local function only_request(req, err)
  if req then
    return req
  end
  return nil, err
end

-- Compiled operations by name (filled below, from cams.operations).
local compiled = {}

--- The signed request a call would send, without sending it:
-- `{ method =, url =, headers =, body = }`, or nil, err. `name` is an operation
-- name with snake_case arguments (`client:prepare("update_qrdl", {...})`) or an action
-- with PascalCase parameters as for call. Every check of the real call runs first.
-- The result carries the signature and any security token: show it through
-- cams.redact.request.
function Client:prepare(name, params, opts)
  local p = private_of(self, "prepare")
  local op = compiled[name]
  if op then
    local checked, o = check_operation(op, params, opts, "prepare")
    if not checked then
      return nil, o
    end
    return only_request(sign(self, p, op.action, checked, op.version, o))
  end
  local checked, o = check_call(name, params, opts, "prepare")
  if not checked then
    return nil, o
  end
  return only_request(sign(self, p, name, checked, o.version or M.API_VERSION, o))
end

--- Many calls of one operation, paced and retried like single ones; see cams.batch.
function Client:update_many(rows, opts)
  private_of(self, "update_many")
  return batch.run(self, "update_qrdl", rows, opts)
end

--- Close the kept-alive connection (a new one is opened on the next call).
function Client:close()
  local p = private_of(self, "close")
  p.transport:close()
  p.credentials:close()
  return true
end
Client.__close = Client.close

---------------------------------------------------------------------------
-- Default client (built from the environment on first use)

M._default = nil

local function default_client()
  local c = M._default
  if c then
    return c
  end
  local err
  c, err = M.new()
  if not c then
    return nil, err
  end
  M._default = c
  return c
end

--- Generic call on the default client.
function M.call(action, params, opts)
  local c, err = default_client()
  if not c then
    return nil, err
  end
  return c:call(action, params, opts)
end

---------------------------------------------------------------------------
-- Typed helpers, generated from cams.operations

local RESERVED_NAMES = { call = true, close = true, new = true, prepare = true }

local function deep_copy(v)
  if type(v) ~= "table" then
    return v
  end
  local t = {}
  for k, x in pairs(v) do
    t[k] = deep_copy(x)
  end
  return t
end

--- A copy of the operation descriptions; editing it changes nothing.
M.operations = deep_copy(operation_entries)

-- The `result` field of an operation: that field first, the body second.
local function pick_result(op, body)
  local v = body[op.result]
  if v == nil or v == cjson.null then
    v = {}
  end
  return v, body
end

for name, entry in pairs(operation_entries) do
  local op = validate.compile(name, entry)
  assert(not RESERVED_NAMES[name] and Client[name] == nil and M[name] == nil,
    "operation name '" .. name .. "' clashes with an existing function")
  compiled[name] = op

  Client[name] = function(self, args, opts)
    local p = private_of(self, name)
    local params, o = check_operation(op, args, opts, name)
    if not params then
      return nil, o
    end
    local body, err = send(self, p, op.action, params, op.version, o)
    if body and op.result then
      return pick_result(op, body)
    end
    return body, err
  end

  M[name] = function(args, opts)
    if args == M then -- cams:update_qrdl{...}
      args, opts = opts, nil
    end
    if type(args) ~= "table" then
      error(format("cams: %s expects a table of named arguments, got %s", name, type(args)), 2)
    end
    local c, err = default_client()
    if not c then
      return nil, err
    end
    return c[name](c, args, opts)
  end
end

return M

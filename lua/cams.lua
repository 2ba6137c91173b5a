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
local cjson = require "cjson.safe"

local format = string.format
local show = validate.show

local M = {
  VERSION = "scm",
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
  access_key_id = credentials.check,
  access_key_secret = credentials.check,
  security_token = credentials.check,
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
}
OPTIONS.connect_timeout = OPTIONS.timeout

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
  return format("cams.client{endpoint=%s, region=%s, access_key_id=%s, signature=%s}",
    tostring(self.endpoint), tostring(self.region), credentials.mask(p and p.id),
    tostring(self.signature))
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

  local creds, err = credentials.resolve(opts, getenv)
  if not creds then
    return nil, err
  end

  local region = opts.region
  if region == nil then
    region = getenv(ENV_REGION)
    if region == "" then
      region = nil
    end
    if region ~= nil then
      msg = check_region(region, ENV_REGION)
      if msg then
        return fail(msg)
      end
    else
      region = M.DEFAULT_REGION
    end
  end

  local allow_http = opts.allow_http == true
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
  if ca_file then
    msg = readable(ca_file)
    if msg then
      return fail(ca_source .. " is not readable: " .. msg)
    end
  end

  local transport = opts.transport or "auto"
  if transport == "ngx" then
    return fail("transport 'ngx' is not available in this version; use 'auto' or 'curl'",
      "NotSupported")
  end

  local ok, core = pcall(require, "cams.core")
  if not ok or type(core) ~= "table" then
    return fail("the C module cams.core could not be loaded: " .. tostring(core),
      "Core.Unavailable")
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
    qps = opts.qps,
    ca_file = ca_file,
    transport = transport,
    credentials_source = creds.source,
  }, Client)
  private[client] = {
    core = core,
    algorithm = ALGORITHMS[signature],
    id = creds.access_key_id,
    secret = creds.access_key_secret,
    token = creds.security_token,
  }
  private[client].transport = curl_transport.new(core, client)
  return client
end

-- Replace any occurrence of the client's secrets in a message.
local function scrub(p, s)
  s = tostring(s)
  for _, secret in ipairs{ p.secret, p.token } do
    if secret and #secret > 0 then
      local i = s:find(secret, 1, true)
      while i do
        s = s:sub(1, i - 1) .. "****" .. s:sub(i + #secret)
        i = s:find(secret, i + 4, true)
      end
    end
  end
  return s
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
    return fail(format("the options of %s must be a table, got %s", what, type(opts)),
      nil, action)
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

-- Sign and send one request; returns the body table or nil, err.
local function perform(self, p, action, params, version, o)
  local ok, req = pcall(p.core.sign, {
    algorithm = p.algorithm,
    method = o.method or "POST",
    host = self.host,
    path = "/",
    action = action,
    version = version,
    params = params,
    params_in = o.params_in or "body",
    access_key_id = p.id,
    access_key_secret = p.secret,
    security_token = p.token,
    headers = o.headers,
  })
  if not ok or type(req) ~= "table" then
    return fail("the request could not be signed: " .. scrub(p, req), nil, action)
  end

  local headers = req.headers or {}
  if headers["user-agent"] == nil then
    headers["user-agent"] = USER_AGENT
  end
  local status, rheaders, body = p.transport:request{
    method = req.method or o.method or "POST",
    url = self.endpoint .. (req.target or "/"),
    headers = headers,
    body = req.body,
  }
  if status == nil then
    return nil, errors.from_transport(action, rheaders, body and scrub(p, body))
  end
  status = tonumber(status)
  if not status then
    return nil, errors.from_transport(action, "Transport.Error", "no HTTP status received")
  end
  return handle_response(action, status, rheaders, body)
end

--- Generic signed call: `client:call("AnyAction", { PascalCaseParam = "value" }, opts)`.
-- Parameter values are strings or numbers (converted to strings). `opts`:
-- version (default cams.API_VERSION), method ("POST"), params_in ("body"
-- or "query"), headers (extra request headers).
function Client:call(action, params, opts)
  local p = private_of(self, "call")
  if type(action) ~= "string" then
    error("cams: call expects an action name (string), got " .. type(action), 2)
  end
  if params == nil then
    params = {}
  elseif type(params) ~= "table" then
    error("cams: call expects a table of parameters, got " .. type(params), 2)
  end
  if not action:match("^%a%w*$") then
    return fail(format("invalid action name '%s'", show(action)), nil, nil)
  end
  local checked, err = validate.params(action, params)
  if not checked then
    return nil, err
  end
  local o
  o, err = check_call_opts(action, opts, "call")
  if not o then
    return nil, err
  end
  return perform(self, p, action, checked, o.version or M.API_VERSION, o)
end

--- Close the kept-alive connection (a new one is opened on the next call).
function Client:close()
  private_of(self, "close").transport:close()
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

local RESERVED_NAMES = { call = true, close = true, new = true }

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

for name, entry in pairs(operation_entries) do
  local op = validate.compile(name, entry)
  assert(not RESERVED_NAMES[name] and Client[name] == nil and M[name] == nil,
    "operation name '" .. name .. "' clashes with an existing function")

  Client[name] = function(self, args, opts)
    local p = private_of(self, name)
    if type(args) ~= "table" then
      error(format("cams: %s expects a table of named arguments, got %s", name, type(args)), 2)
    end
    local params, err = validate.operation(op, args)
    if not params then
      return nil, err
    end
    local o
    o, err = check_call_opts(op.action, opts, name)
    if not o then
      return nil, err
    end
    return perform(self, p, op.action, params, op.version, o)
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

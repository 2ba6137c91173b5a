--- A client: its settings (cams.config), credentials, transport, clock and rate limiter,
-- and its methods: call, prepare, update_many, close, and one typed helper per entry of
-- cams.operations (client:update_qrdl{...}, ...), generated below.
--
-- Credentials, the core module and the transport live in a private table keyed by the
-- client, so that dumping a client table never shows a secret.
local batch = require "cams.batch"
local call = require "cams.call"
local clock = require "cams.clock"
local config = require "cams.config"
local credentials = require "cams.credentials"
local errors = require "cams.errors"
local operations = require "cams.operations"
local ratelimit = require "cams.ratelimit"
local redis_ratelimit = require "cams.ratelimit.redis"
local response = require "cams.response"
local select_transport = require "cams.transport.select"
local shdict_ratelimit = require "cams.ratelimit.shdict"
local sign = require "cams.sign"
local validate = require "cams.validate"

local format = string.format

local type = type

local M = {}

local Client = {}
Client.__index = Client
Client.__name = "cams.client"
M.Client = Client

local private = setmetatable({}, { __mode = "k" })
-- The private state reaches its client through a weak table: a strong reference from a
-- weak-keyed entry's value back to its key keeps the key alive for ever in Lua 5.1 and
-- LuaJIT, which have no ephemerons (and a client's handle holds descriptors).
local WEAK_VALUE = { __mode = "v" }

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

-- The rate limiter: this client's own, the nginx node's (shared_dict), or across machines
-- (redis) with one of the others to fall back on.
local function limiter(s, opts, core, clk)
  local own = s.dict and shdict_ratelimit.new(s.dict) or ratelimit.new()
  if not s.redis then
    return own
  end
  return redis_ratelimit.new{
    target = s.redis, timeout = s.redis_timeout, on_error = s.on_redis_error,
    prefix = s.rate_limit_key or redis_ratelimit.default_prefix(s.endpoint.authority),
    fallback = own, clock = clk, log = credentials.logger(opts.debug),
    fallback_name = s.dict and format("this nginx node alone (shared_dict '%s')", s.shared_dict)
      or (clock.nginx() and "this nginx worker alone" or "this process alone"),
    encode = core.percent_encode,
  }
end

-- Documented calls per second of each action, from the operations table.
local QPS = {}
for _, entry in pairs(operations) do
  QPS[entry.action] = entry.qps
end

--- A client from the options of cams.new, the environment read through `getenv`; or nil
-- and an error object.
function M.new(opts, getenv)
  local s, err = config.settings(opts, getenv)
  if not s then
    return nil, err
  end
  local ok, core = pcall(require, "cams.core")
  if not ok or type(core) ~= "table" then
    return nil, errors.core_unavailable("the C module cams.core could not be loaded: "
      .. tostring(core))
  end
  local http = { timeout = s.timeout, connect_timeout = s.connect_timeout,
    ca_file = s.ca_file, proxy = s.proxy, no_proxy = s.no_proxy }
  local provider
  provider, err = credentials.new(opts, {
    getenv = getenv, core = core, user_agent = s.user_agent, http = http,
    sts_endpoint = s.sts_endpoint, metadata_url = s.metadata_url,
    transport = function(settings) return select_transport.new(core, settings, s.transport) end,
  })
  if not provider then
    return nil, err
  end
  ok, err = config.resolve_region(s, provider.region())
  if not ok then
    return nil, err
  end

  local clk = clock.new(core)
  local limit
  limit, err = limiter(s, opts, core, clk)
  if not limit then
    return nil, err
  end

  local client = setmetatable({
    endpoint = s.endpoint.url,
    host = s.endpoint.authority,
    region = s.region,
    signature = s.signature,
    allow_http = s.allow_http,
    timeout = s.timeout,
    connect_timeout = s.connect_timeout,
    retries = s.retries,
    retry_base_delay = s.retry_base_delay,
    retry_max_delay = s.retry_max_delay,
    deadline = s.deadline,
    qps = s.qps,
    ca_file = s.ca_file,
    transport = s.transport,
    shared_dict = s.shared_dict,
    credentials_source = provider.source,
  }, Client)
  private[client] = {
    owner = setmetatable({ client }, WEAK_VALUE), -- owner[1]: the client
    settings = s,
    http = http,
    core = core,
    credentials = provider,
    transport = select_transport.new(core, http, s.transport),
    clock = clk,
    random = core.random,
    limiter = limit,
    trace = s.trace,
    qps_of = QPS,
    sign_input = sign.input(s),
  }
  return client
end

--- The HTTP settings of `client`'s requests: timeout, connect_timeout, ca_file and the
-- proxy decided for it (`proxy`, "" for none, and `no_proxy`), for other requests that
-- must go the same way (the command line's image downloads). A copy.
function M.http_settings(client)
  local p = private[client]
  if not p then
    error("cams: http_settings expects a client", 2)
  end
  local h = p.http
  return { timeout = h.timeout, connect_timeout = h.connect_timeout, ca_file = h.ca_file,
    proxy = h.proxy, no_proxy = h.no_proxy }
end

---------------------------------------------------------------------------
-- Generic calls

-- The checked parameters of a generic call, or nil, err.
local function call_params(action, params, what)
  if type(action) ~= "string" then
    error(format("cams: %s expects an action name (string), got %s", what, type(action)), 3)
  end
  if params == nil then
    params = {}
  elseif type(params) ~= "table" then
    error(format("cams: %s expects a table of parameters, got %s", what, type(params)), 3)
  end
  if not action:match("^%a%w*$") then
    return nil, errors.invalid(format("invalid action name '%s'", validate.show(action)))
  end
  return validate.params(action, params)
end

-- The call object of a generic call, or nil, err.
local function generic_call(p, action, params, opts, what)
  local checked, err = call_params(action, params, what)
  if not checked then
    return nil, err
  end
  local version = type(opts) == "table" and opts.version or config.API_VERSION
  return call.new(p, action, version, checked, opts, what, M.by_action[action])
end

--- Generic signed call: `client:call("AnyAction", { PascalCaseParam = "value" }, opts)`.
-- Parameter values are strings or numbers (converted to strings). `opts`: version
-- (default cams.API_VERSION), method ("POST"), params_in ("body" or "query"), headers
-- (extra request headers), retries, timeout, deadline (this call's own).
function Client:call(action, params, opts)
  local p = private_of(self, "call")
  local c, err = generic_call(p, action, params, opts, "call")
  if not c then
    return nil, err
  end
  return call.run(p, c)
end

---------------------------------------------------------------------------
-- Typed helpers, generated from cams.operations

local RESERVED_NAMES = { call = true, close = true, new = true, prepare = true,
  update_many = true, plan = true, apply = true }

--- Operations compiled at load time, by name and by action (a generic call of a known
-- action is treated like its typed helper: retried, reconciled).
M.operations = {}
M.by_action = {}

-- The call object of operation `op` with snake_case `args`, or nil, err.
local function operation_call(p, op, args, opts, what)
  local params, err = validate.operation(op, args)
  if not params then
    return nil, err
  end
  return call.new(p, op.action, op.version, params, opts, what, op)
end

for name, entry in pairs(operations) do
  local op = validate.compile(name, entry)
  assert(not RESERVED_NAMES[name] and Client[name] == nil,
    "operation name '" .. name .. "' clashes with a client method")
  M.operations[name] = op
  M.by_action[op.action] = op

  -- client:<name>{...}: e.g. client:update_qrdl{ phone_number = ..., ... }
  Client[name] = function(self, args, opts)
    local p = private_of(self, name)
    if type(args) ~= "table" then
      error(format("cams: %s expects a table of named arguments, got %s", name, type(args)), 2)
    end
    local c, err = operation_call(p, op, args, opts, name)
    if not c then
      return nil, err
    end
    local body
    body, err = call.run(p, c)
    if not body then
      return nil, err
    end
    return response.result(op, body)
  end
end

---------------------------------------------------------------------------
-- Other methods

--- The signed request a call would send, without sending it:
-- `{ method =, url =, headers =, body = }`, or nil, err. `name` is an operation
-- name with snake_case arguments (`client:prepare("update_qrdl", {...})`) or an action
-- with PascalCase parameters as for call. Every check of the real call runs first.
-- The result carries the signature and any security token: show it through
-- cams.redact.request.
function Client:prepare(name, params, opts)
  local p = private_of(self, "prepare")
  local op = M.operations[name]
  local c, err
  if op then
    if type(params) ~= "table" then
      error(format("cams: prepare expects a table of named arguments, got %s", type(params)), 2)
    end
    c, err = operation_call(p, op, params, opts, "prepare")
  else
    c, err = generic_call(p, name, params, opts, "prepare")
  end
  if not c then
    return nil, err
  end
  local req
  req, err = call.prepare(p, c)
  if not req then
    return nil, err
  end
  local view = sign.view(req)
  req:wipe()
  return view
end

--- Many calls of one operation, paced and retried like single ones; see cams.batch.
function Client:update_many(rows, opts)
  private_of(self, "update_many")
  return batch.run(self, "update_qrdl", rows, opts)
end

--- The plan that brings the live codes to `desired` (a desired state, as cams.desired
-- reads it or a table of the same shape), given `state` (cams.state; nil for none): the
-- codes are listed through this client. Returns the plan (see cams.plan), or nil, err.
function Client:plan(desired, state)
  private_of(self, "plan")
  return require("cams.plan").make(self, desired, state)
end

--- Applies a plan of client:plan, paced, exactly once; see cams.apply.
function Client:apply(plan, opts)
  private_of(self, "apply")
  return require("cams.apply").run(self, plan, opts)
end

--- Close the kept-alive connection (a new one is opened on the next call).
function Client:close()
  local p = private_of(self, "close")
  p.transport:close()
  p.credentials:close()
  return true
end
Client.__close = Client.close

return M

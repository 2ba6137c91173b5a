--- Configuration of a client: the defaults, the options of cams.new and the environment,
-- read here and nowhere else, into one settings record.
--
-- Options win over the environment, the environment over the defaults. The region may also
-- come from the aliyun CLI profile the credentials use: resolve_region fills it in once
-- the credentials are known.
local clock = require "cams.clock"
local credentials = require "cams.credentials"
local endpoint = require "cams.endpoint"
local options = require "cams.options"
local redis_url = require "cams.ratelimit.redis_url"
local validate = require "cams.validate"

local format = string.format
local show = validate.show

local M = {}

M.VERSION = "0.1.0"
M.API_VERSION = "2020-06-06"

local jit = rawget(_G, "jit")
M.USER_AGENT = "lua-cams/" .. M.VERSION .. " (" .. (jit and jit.version or _VERSION) .. ")"

M.DEFAULTS = {
  region = "ap-southeast-1", -- the documented CAMS region
  signature = "v3",
  timeout = 10,
  connect_timeout = 5,
  retries = 3,
  retry_base_delay = 0.2,
  retry_max_delay = 5,
  deadline = 60,
  transport = "auto",
  redis_timeout = 0.2, -- a reservation is one round trip: a dead Redis costs at most this
  on_redis_error = "local",
}

-- Settings the environment may give when the options do not.
M.ENV = {
  region = "ALIBABA_CLOUD_REGION_ID",
  endpoint = "ALIBABA_CLOUD_ENDPOINT",
  ca_file = "CAMS_CA_FILE",
  proxy = { "HTTPS_PROXY", "https_proxy" },
  no_proxy = { "NO_PROXY", "no_proxy" },
  sts_endpoint = "ALIBABA_CLOUD_STS_ENDPOINT",
  metadata_endpoint = "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT",
  redis = "CAMS_REDIS_URL",
}

M.REDIS_TIMEOUT_MAX = 10 -- seconds

M.METADATA_ENDPOINT = "http://100.100.100.200" -- the ECS instance metadata service

M.ALGORITHMS = { v3 = "ACS3-HMAC-SHA256", v2 = "HMAC-SHA1" }

local function check_region(v, name)
  if type(v) ~= "string" then
    return format("%s must be a string, got %s", name, type(v))
  end
  -- words of lowercase letters and digits joined by single '-', as in ap-southeast-1 or
  -- cn-shanghai-finance-1, and short enough to make a host name label
  if #v > 50 or not v:match("^[a-z][a-z0-9]*%-[a-z0-9%-]*[a-z0-9]$") or v:find("--", 1, true) then
    return format("%s '%s' is not a region id (words of lowercase letters and digits joined "
      .. "by '-', e.g. ap-southeast-1)", name, show(v))
  end
  return nil
end

local RULES = {
  region = check_region,
  endpoint = options.string,
  allow_http = options.boolean,
  signature = options.one_of{ "v3", "v2" },
  timeout = options.TIMEOUT,
  connect_timeout = options.TIMEOUT,
  deadline = options.DEADLINE,
  retry_base_delay = options.TIMEOUT,
  retry_max_delay = options.TIMEOUT,
  retries = options.count,
  qps = function(v, name)
    if v ~= false and (not options.finite(v) or v <= 0) then
      return format("%s must be a positive number, or false to turn rate limiting off", name)
    end
  end,
  ca_file = function(v, name)
    if type(v) ~= "string" or v == "" or v:find("\0", 1, true) then
      return format("%s must be a non-empty string (a path) without NUL bytes", name)
    end
  end,
  transport = options.one_of{ "auto", "curl", "ngx" },
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
  trace = options.func,
  shared_dict = function(v, name)
    if type(v) ~= "string" or v == "" then
      return format("%s must be the name of a lua_shared_dict", name)
    end
  end,
  -- the URL may hold a password: no message quotes it
  redis = function(v, name)
    if v ~= false and type(v) ~= "string" then
      return format("%s must be a URL redis://[user:password@]host:port[/db], or false", name)
    end
  end,
  rate_limit_key = function(v, name)
    if type(v) ~= "string" or v == "" or #v > 256 or v:find("[%c%s]") then
      return format("%s must be a non-empty string of at most 256 bytes without spaces or "
        .. "control characters", name)
    end
  end,
  redis_timeout = function(v, name)
    if not options.finite(v) or v < 0.001 or v > M.REDIS_TIMEOUT_MAX then
      return format("%s must be a number of seconds from 0.001 to %g", name,
        M.REDIS_TIMEOUT_MAX)
    end
  end,
  on_redis_error = options.one_of{ "local", "fail" },
}
for name, rule in pairs(credentials.OPTIONS) do
  RULES[name] = rule
end
M.OPTIONS = options.schema(RULES)

local function fail(message)
  return nil, require("cams.errors").invalid(message)
end

-- The first non-empty one of these environment variables: value and name.
local function from_env(getenv, names)
  if type(names) == "string" then
    names = { names }
  end
  for _, name in ipairs(names) do
    local v = getenv(name)
    if v ~= nil and v ~= "" then
      return v, name
    end
  end
  return nil
end

-- Schemes of a proxy URL that libcurl speaks.
local PROXY_SCHEMES = { http = true, https = true, socks4 = true, socks4a = true,
  socks5 = true, socks5h = true }

--- What is wrong with a proxy URL, or nil: [scheme://][user[:password]@]host[:port][/].
function M.check_proxy(v)
  local scheme, rest = v:match("^(%a[%w+.-]*)://(.*)$")
  if scheme and not PROXY_SCHEMES[scheme:lower()] then
    return "has an unsupported scheme '" .. show(scheme) .. "://'; use http://host:port "
      .. "(or https://, socks5://, socks5h://, socks4://, socks4a://)"
  end
  rest = (rest or v):gsub("/$", ""):gsub("^[^@/]*@", "") -- user information stays unread
  local host, port = rest:match("^(%[[%x:.]+%])(.*)$")
  if not host then
    host, port = rest:match("^([%w.-]+)(.*)$")
  end
  local n = port and port:match("^:(%d+)$")
  if not host or (port ~= "" and not (n and tonumber(n) >= 1 and tonumber(n) <= 65535)) then
    return "must be a proxy URL such as http://proxy.example:3128"
  end
  return nil
end

local function readable(path)
  local f, err = io.open(path, "rb")
  if not f then
    -- out of descriptors says nothing of the file: the call that reads it reports that
    if err and err:find("Too many open files", 1, true) then
      return nil
    end
    return err or "cannot be opened"
  end
  local data, rerr = f:read(1)
  f:close()
  if not data then
    return rerr and (path .. ": " .. rerr) or (path .. ": file is empty")
  end
  return nil
end

-- Where requests go and how they are sent (timeouts, TLS trust, proxy).
local function transport_settings(s, opts, getenv)
  local ngx = clock.nginx()
  if s.transport == "ngx" and not ngx then
    return nil, "transport 'ngx' needs nginx with the Lua module (cosockets); outside nginx "
      .. "use 'auto' or 'curl'", "NotSupported"
  end
  s.cosockets = s.transport == "ngx" or (s.transport == "auto" and ngx ~= nil)

  -- lua-cams decides the proxy and tells libcurl ("" for none), so that libcurl's own
  -- reading of the environment (ALL_PROXY, http_proxy, ...) never applies
  local proxy, from = opts.proxy, "proxy"
  if proxy == nil then
    proxy, from = from_env(getenv, M.ENV.proxy)
  end
  if proxy then
    local msg = M.check_proxy(proxy)
    if msg then
      return nil, from .. " " .. msg
    end
    if s.cosockets then
      return nil, from .. " does not apply inside nginx: cosockets connect directly (pass "
        .. "proxy = false, or transport = 'curl', which blocks the worker)"
    end
  end
  s.proxy = proxy or ""
  s.no_proxy = opts.no_proxy or from_env(getenv, M.ENV.no_proxy)

  local ca_file, ca_source = opts.ca_file, "ca_file"
  if ca_file == nil then
    ca_file, ca_source = from_env(getenv, M.ENV.ca_file)
  end
  if ca_file and s.cosockets then
    return nil, ca_source .. " does not apply inside nginx: cosockets trust the certificates "
      .. "named by the lua_ssl_trusted_certificate directive"
  end
  if ca_file then
    local msg = readable(ca_file)
    if msg then
      return nil, ca_source .. " is not readable: " .. msg
    end
  end
  s.ca_file = ca_file

  if opts.shared_dict ~= nil then
    if not ngx then
      return nil, "shared_dict needs nginx (a lua_shared_dict shared by its workers); "
        .. "outside nginx each client paces its own calls"
    end
    s.dict = ngx.shared and ngx.shared[opts.shared_dict]
    if not s.dict then
      return nil, format("shared_dict '%s' is not defined: add 'lua_shared_dict %s 1m;' to "
        .. "the http block of nginx.conf", show(opts.shared_dict), show(opts.shared_dict))
    end
  end
  return true
end

-- Pacing across machines: the Redis of the option, else of the environment (false: none).
local function redis_settings(s, opts, getenv)
  local url, from = opts.redis, "redis"
  if url == nil then
    url, from = from_env(getenv, M.ENV.redis)
  end
  if url then
    local target, msg = redis_url.parse(url, from)
    if not target then
      return nil, msg
    end
    s.redis = target
  end
  s.rate_limit_key = opts.rate_limit_key
  return true
end

-- STS (for temporary credentials: the option, else the environment, else chosen by region
-- in cams.credentials.sts) and the metadata service (plain HTTP).
local function service_endpoints(s, opts, getenv)
  local v, from = opts.sts_endpoint, "sts_endpoint"
  if v == nil then
    v, from = from_env(getenv, M.ENV.sts_endpoint)
  end
  if v then
    local parsed, msg = endpoint.parse(v, s.allow_http)
    if not parsed then
      return nil, from .. " " .. msg
    end
    s.sts_endpoint = parsed
  end
  v, from = opts.metadata_endpoint, "metadata_endpoint"
  if v == nil then
    v, from = from_env(getenv, M.ENV.metadata_endpoint)
  end
  v = v or M.METADATA_ENDPOINT
  if not v:find("://", 1, true) then
    v = "http://" .. v
  end
  local parsed, msg = endpoint.parse(v, true)
  if not parsed then
    return nil, from .. " " .. msg
  end
  s.metadata_url = parsed.url
  return true
end

--- The settings of a client from the options of cams.new (checked here) and the
-- environment (read through `getenv`); or nil and an error object. The region is left
-- nil when neither gives it: see resolve_region.
function M.settings(opts, getenv)
  local msg = options.check(opts, M.OPTIONS, "cams.new")
  if msg then
    return fail(msg)
  end
  local s = {}
  for name, default in pairs(M.DEFAULTS) do
    if opts[name] == nil then
      s[name] = default
    else
      s[name] = opts[name]
    end
  end
  s.region = opts.region -- nil: from the environment or the CLI profile
  s.allow_http = opts.allow_http == true
  s.qps = opts.qps
  s.trace = opts.trace
  s.shared_dict = opts.shared_dict
  s.algorithm = M.ALGORITHMS[s.signature]
  s.user_agent = M.USER_AGENT
  local ok, why, code = transport_settings(s, opts, getenv)
  if not ok then
    return nil, require("cams.errors").new{ code = code or "InvalidParameter", message = why }
  end

  ok, why = service_endpoints(s, opts, getenv)
  if not ok then
    return fail(why)
  end
  ok, why = redis_settings(s, opts, getenv)
  if not ok then
    return fail(why)
  end
  if s.region == nil then
    local region, from = from_env(getenv, M.ENV.region)
    if region then
      msg = check_region(region, from)
      if msg then
        return fail(msg)
      end
      s.region = region
    end
  end
  local ep, source = opts.endpoint, "endpoint"
  if ep == nil then
    ep, source = from_env(getenv, M.ENV.endpoint)
  end
  if ep ~= nil then
    s.endpoint, msg = endpoint.parse(ep, s.allow_http)
    if not s.endpoint then
      return fail(source .. " " .. msg)
    end
  end
  return s
end

--- Completes the region (and with it the endpoint, unless one was given) of settings whose
-- options and environment named none: `profile_region` (the aliyun CLI profile's
-- region_id, or nil), else the default region. Returns true or nil and an error.
function M.resolve_region(s, profile_region)
  if s.region == nil and profile_region ~= nil then
    local msg = check_region(profile_region, "region_id of the aliyun CLI profile")
    if msg then
      return fail(msg)
    end
    s.region = profile_region
  end
  s.region = s.region or M.DEFAULTS.region
  if not s.endpoint then
    local msg
    s.endpoint, msg = endpoint.for_region(s.region)
    if not s.endpoint then
      return fail("region '" .. show(s.region) .. "' makes no valid endpoint: " .. msg)
    end
  end
  return true
end

return M

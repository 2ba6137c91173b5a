--- Credentials: where a client finds its AccessKey, in the order of the
-- official Alibaba Cloud SDKs.
--
--   1. options of cams.new: access_key_id + access_key_secret (+ security_token),
--      or credentials_provider (a function)
--   2. environment: ALIBABA_CLOUD_ACCESS_KEY_ID, ..._SECRET, ALIBABA_CLOUD_SECURITY_TOKEN
--   3. OIDC role: ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN,
--      ALIBABA_CLOUD_OIDC_TOKEN_FILE (STS AssumeRoleWithOIDC)
--   4. aliyun CLI profile: ~/.aliyun/config.json
--   5. credentials file: ALIBABA_CLOUD_CREDENTIALS_FILE or ~/.alibabacloud/credentials
--   6. ECS RAM role: the instance metadata service
--
-- cams.new reads the environment and the files (never the network) and
-- builds the chain; the first request walks it, and the first source that
-- yields credentials is kept. Nothing here puts a secret into a message.

local errors = require "cams.errors"
local scrub = require "cams.scrub"
local chain = require "cams.credentials.chain"
local files = require "cams.credentials.files"
local static = require "cams.credentials.static"
local custom = require "cams.credentials.custom"
local env_source = require "cams.credentials.env"
local oidc = require "cams.credentials.oidc"
local cli_profile = require "cams.credentials.cli_profile"
local profile_file = require "cams.credentials.profile_file"
local ecs_ram_role = require "cams.credentials.ecs_ram_role"

local M = {}

M.ENV_ID = env_source.ID
M.ENV_SECRET = env_source.SECRET
M.ENV_TOKEN = env_source.TOKEN
M.ENV_PROFILE = "ALIBABA_CLOUD_PROFILE"

-- Metadata requests stay short, as in the official SDKs: off ECS nobody answers.
M.METADATA_CONNECT_TIMEOUT = 1
M.METADATA_TIMEOUT = 2

--- Clock (seconds since the epoch) used for expiry; replaceable in tests.
M.now = os.time

local ngx = rawget(_G, "ngx")

--- Sleep used while another coroutine refreshes (nginx only; nil elsewhere,
-- where nothing runs concurrently). Returns false when it cannot sleep here.
M.sleep = ngx and ngx.sleep and function(seconds)
  return (pcall(ngx.sleep, seconds))
end or nil

local function fail(message)
  return nil, errors.invalid(message)
end

--- Check one credential value; returns an error message or nil.
-- `label` names where it came from; the value itself is never shown.
function M.check(value, label)
  if type(value) ~= "string" then
    return label .. " must be a string, got " .. type(value)
  end
  if value == "" then
    return label .. " must not be empty"
  end
  if value:find("\0", 1, true) or value:find("[%c%s]") then
    return label .. " must not contain whitespace or control characters"
  end
  return nil
end

local function check_string(v, name)
  if type(v) ~= "string" or v == "" or v:find("[%c]") then
    return name .. " must be a non-empty string without control characters"
  end
end

--- Checks of the options of cams.new that belong here (merged into cams.new's).
M.OPTIONS = {
  access_key_id = M.check,
  access_key_secret = M.check,
  security_token = M.check,
  profile = check_string,
  sts_endpoint = check_string,
  metadata_endpoint = check_string,
  credentials_provider = function(v, name)
    if type(v) ~= "function" then
      return name .. " must be a function, got " .. type(v)
    end
  end,
  debug = function(v, name)
    if type(v) ~= "boolean" and type(v) ~= "function" then
      return name .. " must be true, false or a function(message), got " .. type(v)
    end
  end,
}

--- The `debug` option as a function(message): true writes to stderr.
function M.logger(debug)
  if debug == true then
    return function(msg)
      io.stderr:write("[cams] ", msg, "\n")
    end
  elseif type(debug) == "function" then
    return function(msg)
      pcall(debug, msg)
    end
  end
  return function() end
end

-- Shared state of the sources of one client.
local function context(opts, s)
  local getenv = s.getenv
  local log = M.logger(opts.debug)
  local ctx = {
    core = s.core,
    user_agent = s.user_agent,
    check = M.check,
    now = function() return M.now() end,
    sleep = function(seconds)
      local sleep = M.sleep
      return sleep ~= nil and sleep(seconds) ~= false
    end,
    log = function(msg) log("credentials: " .. msg) end,
    -- a credentials service or a credentials_provider may quote a secret in any form
    redactor = function(secrets) return scrub.new(secrets, s.core.percent_encode) end,
  }
  function ctx.env(name)
    local v = getenv(name)
    if v == "" then
      return nil
    end
    return v
  end
  --- A failed exchange with a credentials service, as the transport tells it: its code and
  -- message, or only the code when the answer itself was broken (Response.*: the message
  -- may quote part of it, and so of the credentials it carried).
  function ctx.exchange_failure(code, message)
    code = tostring(code)
    if code:sub(1, 9) == "Response." then
      return code
    end
    return code .. ": " .. tostring(message)
  end
  --- Whether a switch variable is set to true (any case, as the official SDKs read it).
  function ctx.flag(name)
    local v = getenv(name)
    return type(v) == "string" and v:lower() == "true"
  end
  ctx.home = ctx.env("HOME")
  ctx.profile = opts.profile or ctx.env(M.ENV_PROFILE)
  ctx.files = files.new(ctx.log, opts.debug and s.core.file_mode)

  local transports = {}
  function ctx.transport(kind)
    local t = transports[kind]
    if not t then
      local h = s.http
      if kind == "metadata" then
        t = s.transport{ connect_timeout = M.METADATA_CONNECT_TIMEOUT,
                         timeout = M.METADATA_TIMEOUT, proxy = "" }
      else
        t = s.transport{ connect_timeout = h.connect_timeout, timeout = h.timeout,
                         ca_file = h.ca_file, proxy = h.proxy, no_proxy = h.no_proxy }
      end
      transports[kind] = t
    end
    return t
  end
  function ctx.close()
    for _, t in pairs(transports) do
      t:close()
    end
  end
  return ctx
end

-- Explicit options: access keys, or a credentials_provider; nil when neither.
local function from_options(ctx, opts)
  local id, secret, token = opts.access_key_id, opts.access_key_secret, opts.security_token
  local fn = opts.credentials_provider
  if fn and (id or secret or token) then
    return fail("pass either credentials_provider or access_key_id and access_key_secret, "
      .. "not both")
  end
  if id ~= nil or secret ~= nil then
    if id == nil then
      return fail("access_key_secret was given without access_key_id; pass both")
    elseif secret == nil then
      return fail("access_key_id was given without access_key_secret; pass both")
    end
    return { source = "options", label = "options", explicit = true,
      provider = static.new({ access_key_id = id, access_key_secret = secret,
                              security_token = token }, "options") }
  end
  if token ~= nil then
    return fail("security_token was given without access_key_id and access_key_secret; "
      .. "pass all three")
  end
  if fn then
    return { source = "credentials_provider", label = "credentials_provider", explicit = true,
             provider = custom.new(ctx, fn) }
  end
  return nil
end

local SOURCES = {
  { "environment", "environment", env_source },
  { "oidc_role_arn", "OIDC role", oidc },
  { "cli_profile", "aliyun CLI profile", cli_profile },
  { "credentials_file", "credentials file", profile_file },
  { "ecs_ram_role", "ECS RAM role", ecs_ram_role },
}

--- Build the credential provider of a client.
-- `opts`: the options of cams.new (already type-checked). `s`: getenv, core, user_agent,
-- transport(settings) -> transport, http (connect_timeout, timeout, ca_file, proxy,
-- no_proxy of the client), sts_endpoint (parsed, or nil) and metadata_url.
-- Returns the provider (:get(), :peek(), :close(), .region(), .source), or
-- nil, err: InvalidParameter for bad options, MissingCredentials when no
-- source applies (no network is touched).
function M.new(opts, s)
  local ctx = context(opts, s)
  ctx.sts_endpoint, ctx.metadata_url = s.sts_endpoint, s.metadata_url
  local err
  local entries = {}
  local entry
  entry, err = from_options(ctx, opts)
  if err then
    return nil, err
  end
  if entry then
    entries[1] = entry
  else
    entries[1] = { source = "options", label = "options",
      reason = "no access_key_id/access_key_secret or credentials_provider given" }
    local any = false
    for _, src in ipairs(SOURCES) do
      local provider, reason = src[3].detect(ctx)
      entries[#entries + 1] = { source = src[1], label = src[2], provider = provider,
                                reason = reason }
      if provider then
        any = true
      else
        ctx.log(chain.describe(src[2], reason))
      end
    end
    if not any then
      local tried = {}
      for i, e in ipairs(entries) do
        tried[i] = { source = e.source, label = e.label, reason = e.reason }
      end
      return nil, chain.missing(tried)
    end
  end
  local c = chain.new(entries, ctx)
  --- Region of the selected aliyun CLI profile (region_id), or nil.
  function c.region()
    return cli_profile.region(ctx)
  end
  return c
end

--- Key id shown in tostring(client): "LTAI****abcd" for long ids, "****"
-- for ids too short to reveal anything.
function M.mask(id)
  if type(id) ~= "string" then
    return "?"
  end
  if #id >= 12 then
    return id:sub(1, 4) .. "****" .. id:sub(-4)
  end
  return "****"
end

return M

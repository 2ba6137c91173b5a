--- One call, the path every request takes:
--
--   validate (cams.validate: arguments; the options below)      -> a call object
--   retry (cams.retry) around each attempt:
--     pace (cams.pace) -> credentials (cams.credentials) -> sign (cams.sign)
--     -> send (cams.send) -> decode and map (cams.response)
--
-- Each attempt is signed afresh (new date and nonce); no error leaves with the secret or
-- the token in it, whoever wrote the message.
local errors = require "cams.errors"
local options = require "cams.options"
local pace = require "cams.pace"
local response = require "cams.response"
local scrub = require "cams.scrub"
local send = require "cams.send"
local sign = require "cams.sign"
local retry = require "cams.retry"
local validate = require "cams.validate"

local format = string.format
local min = math.min

local pairs, type = pairs, type

local M = {}

-- Headers the signer or the HTTP framing own: an extra header may not replace them.
local OWNED_HEADERS = {}
for _, name in ipairs{ "authorization", "host", "content-type", "content-length",
  "transfer-encoding", "connection", "expect", "te", "upgrade", "x-acs-action",
  "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256",
  "x-acs-security-token", "x-acs-accesskey-id" } do
  OWNED_HEADERS[name] = true
end

M.OPTIONS = options.schema{
  version = function(v)
    if type(v) ~= "string" or not v:match("^%d%d%d%d%-%d%d%-%d%d$") then
      return "version must be a string like '2020-06-06'"
    end
  end,
  method = options.one_of{ "POST", "GET" },
  params_in = options.one_of{ "body", "query" },
  headers = function(v)
    if type(v) ~= "table" then
      return "headers must be a table"
    end
    for k, hv in pairs(v) do
      if type(k) ~= "string" or type(hv) ~= "string" then
        return "headers must map strings to strings"
      elseif not k:match("^[a-z0-9_-]+$") then
        return format("header name '%s' must be lowercase letters, digits, '-' or '_'",
          validate.show(k))
      elseif OWNED_HEADERS[k] then
        return format("header '%s' is set by the library and cannot be passed", k)
      elseif hv:find("[%z\r\n]") then
        return format("the value of header '%s' must not contain CR, LF or NUL", k)
      end
    end
  end,
  retries = options.count,
  timeout = options.positive,
  deadline = options.positive,
}

--- A call object of client `p` (its private state) for `action` with checked `params`,
-- or nil and an error: the options `opts` of the call (nil for none) are checked here.
function M.new(p, action, version, params, opts, what)
  local s = p.settings
  local call = {
    action = action, version = version, params = params,
    method = "POST", params_in = "body", headers = nil,
    qps = s.qps, retries = s.retries, timeout = s.timeout, deadline = s.deadline,
    base = s.retry_base_delay, cap = s.retry_max_delay, clock = p.clock, random = p.random,
  }
  if call.qps == nil then
    call.qps = p.qps_of[action]
  end
  if opts ~= nil then
    if type(opts) ~= "table" then
      error(format("cams: %s expects a table of options, got %s", what, type(opts)), 3)
    end
    local msg = options.check(opts, M.OPTIONS, what)
    if msg then
      return nil, errors.invalid(msg, action)
    end
    for name, v in pairs(opts) do
      if name ~= "version" then -- given as `version` (a typed helper keeps its own)
        call[name] = v
      end
    end
  end
  return call
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

-- One attempt: the body or nil, err.
local function attempt(left, _, p, call)
  local err
  left, err = pace.wait(p, call, left)
  if not left then
    return nil, err
  end
  local creds
  creds, err = p.credentials:get()
  if not creds then
    return nil, err
  end
  p.client.credentials_source = p.credentials.source
  local clean = scrubber(p, creds)
  local req
  req, err = sign.request(p, call, creds, clean)
  if not req then
    return nil, err
  end
  local status, headers, raw = send.exchange(p, call, req, min(call.timeout, left), clean)
  local body
  if status then
    body, err = response.map(call.action, status, headers, raw)
  else
    err = headers
  end
  if err then
    scrub.error(err, clean)
  end
  return body, err
end

--- Runs the call: the body table, or nil and an error object.
function M.run(p, call)
  -- before any wait: inside nginx a phase without cosockets must not sleep either
  local ready, why = p.transport:ready()
  if not ready then
    return nil, errors.not_supported(why, call.action)
  end
  return retry.run(call, attempt, p, call)
end

--- The request object an attempt of the call would send (nothing is sent), or nil, err.
function M.prepare(p, call)
  local creds, err = p.credentials:get()
  if not creds then
    return nil, err
  end
  p.client.credentials_source = p.credentials.source
  return sign.request(p, call, creds, scrubber(p, creds))
end

return M

--- The RAM role of an ECS instance, from the instance metadata service.
--
-- Each refresh first asks for a session token (PUT /latest/api/token) and
-- sends it back with the metadata requests. When the service gives none (an
-- error status, a reset, no answer in time) or refuses it (401), the requests
-- go without it, as in the official SDKs, unless ALIBABA_CLOUD_IMDSV1_DISABLED=true.
-- When the service cannot be reached at all, the lookup stops there. The role
-- name comes from ALIBABA_CLOUD_ECS_METADATA, a profile, or the service itself.

local errors = require "cams.errors"
local refreshing = require "cams.credentials.refreshing"
local cjson = require "cjson.safe"

local M = {}

M.DISABLED = "ALIBABA_CLOUD_ECS_METADATA_DISABLED"
M.ROLE = "ALIBABA_CLOUD_ECS_METADATA"
M.IMDSV1_DISABLED = "ALIBABA_CLOUD_IMDSV1_DISABLED"
M.TOKEN_TTL = 21600
M.REFRESH_AHEAD = 60 * 60 -- refreshed once less than an hour is left, as the official SDKs do
M.CREDENTIALS_PATH = "/latest/meta-data/ram/security-credentials/"
M.TOKEN_HEADER = "x-aliyun-ecs-metadata-token"

local json = cjson.new()

-- Retryable when the cause was (a connection failure, a 5xx, ...).
local function failure(message, cause)
  return errors.credentials_unavailable(message,
    { retryable = cause and errors.is_retryable(cause) or false })
end

-- This source is not there: the metadata service has never been reached (not on ECS), or
-- the instance has no RAM role. The chain moves on, as for a source that does not apply.
local function absent(err)
  return errors.new{ code = "MissingCredentials", message = err.message, retryable = false }
end

local Fetcher = {}
Fetcher.__index = Fetcher

-- One metadata request; returns the body of a 200 answer, or nil, err, the HTTP status
-- (nil when nothing answered) and whether the request reached the service (a connection
-- was made).
function Fetcher:request(method, path, headers)
  local status, rheaders, body, sent = self.ctx.transport("metadata"):request(
    self.ctx.core.request{ method = method, url = self.url .. path, headers = headers })
  local reached = status ~= nil or sent == true
  self.reached = self.reached or reached
  if status == nil then
    return nil, failure(self.what .. ": the metadata service at " .. self.url
      .. " did not answer: " .. self.ctx.exchange_failure(rheaders, body), rheaders),
      nil, reached
  end
  if status ~= 200 then
    return nil, failure(self.what .. ": " .. method .. " " .. path .. " answered HTTP "
      .. tostring(status), "HTTP." .. tostring(status)), status, true
  end
  return body or ""
end

-- A GET with `headers`; when the service refuses the session token in them (401), asked
-- again without it, and the rest of this refresh goes without it too.
function Fetcher:get(path, headers)
  local body, err, status = self:request("GET", path, headers)
  if status == 401 and headers[M.TOKEN_HEADER] and not self.token_required then
    self.ctx.log(self.what .. ": the metadata service refused the session token (HTTP 401); "
      .. "asking without one")
    headers[M.TOKEN_HEADER] = nil
    body, err, status = self:request("GET", path, headers)
  end
  return body, err, status
end

function Fetcher:token_headers()
  local token, err, _, reached = self:request("PUT", "/latest/api/token",
    { ["x-aliyun-ecs-metadata-token-ttl-seconds"] = tostring(M.TOKEN_TTL) })
  if not token and not reached then
    -- not on ECS (or the service is down): no point asking again without a token
    return nil, err
  end
  if token then
    token = token:gsub("^%s+", ""):gsub("%s+$", "")
  end
  if token and token ~= "" and not token:find("[%c]") then
    return { [M.TOKEN_HEADER] = token }
  end
  if self.token_required then
    return nil, err or failure(self.what .. ": the metadata service gave no usable token")
  end
  self.ctx.log(self.what .. ": no metadata token (" .. tostring(err and err.message or "empty")
    .. "); asking without one")
  return {}
end

function Fetcher:fetch()
  local headers, err = self:token_headers()
  if not headers then
    return nil, self.reached and err or absent(err)
  end
  local role = self.role
  if not role then
    local list, status
    list, err, status = self:get(M.CREDENTIALS_PATH, headers)
    if not list then
      return nil, status == 404 and absent(err) or err
    end
    role = list:match("^%s*([^%s]+)")
    if not role then
      return nil, absent(failure(self.what .. ": the instance has no RAM role attached"))
    end
    -- only a RAM role name goes on into a request path; anything else is not shown either
    if #role > 64 or not role:match("^[%w%._%-]+$") then
      return nil, failure(self.what .. ": the metadata service listed no usable role name")
    end
    self.role = role
  end
  local body
  body, err = self:get(M.CREDENTIALS_PATH .. role, headers)
  if not body then
    return nil, err
  end
  -- the answer is never quoted: it carries the credentials
  local t = json.decode(body)
  if type(t) ~= "table" then
    return nil, failure(string.format("%s: role %s: the metadata service answered HTTP 200 "
      .. "with a body that is not a complete JSON object (%d bytes)", self.what, role, #body))
  elseif t.Code ~= "Success" then
    return nil, failure(self.what .. ": role " .. role .. ": the metadata service gave no credentials")
  end
  local expiration = refreshing.parse_time(t.Expiration)
  local id, secret, token = t.AccessKeyId, t.AccessKeySecret, t.SecurityToken
  if not expiration or type(id) ~= "string" or type(secret) ~= "string"
    or type(token) ~= "string" or id == "" or secret == "" or token == "" then
    return nil, failure(self.what .. ": role " .. role .. ": incomplete credentials")
  end
  return { access_key_id = id, access_key_secret = secret, security_token = token,
           expiration = expiration }
end

--- A provider for `role` (nil: ALIBABA_CLOUD_ECS_METADATA, else ask the
-- service). Does not touch the network.
function M.new(ctx, role, name)
  if role == "" then
    role = nil
  end
  local f = setmetatable({
    ctx = ctx, url = ctx.metadata_url, role = role or ctx.env(M.ROLE),
    token_required = ctx.flag(M.IMDSV1_DISABLED),
    what = name or "ECS RAM role",
  }, Fetcher)
  local provider = refreshing.new(function() return f:fetch() end, ctx, f.what, M.REFRESH_AHEAD)
  provider.network = true
  return provider
end

--- The last source of the default chain; nil and a reason when turned off.
function M.detect(ctx)
  if ctx.flag(M.DISABLED) then
    return nil, "turned off by " .. M.DISABLED .. "=true"
  end
  return M.new(ctx)
end

return M

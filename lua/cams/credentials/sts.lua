--- STS calls that turn a role into temporary credentials: AssumeRole (signed
-- with an AccessKey, signature V2) and AssumeRoleWithOIDC (anonymous: the
-- OIDC token is the proof). Both go through the client's signing core and
-- transport.

local errors = require "cams.errors"
local endpoint = require "cams.endpoint"
local refreshing = require "cams.credentials.refreshing"
local cjson = require "cjson.safe"

local M = {}

M.VERSION = "2015-04-01"
M.DEFAULT_HOST = "sts.aliyuncs.com"
M.DEFAULT_DURATION = 3600
M.MIN_DURATION = 900
M.ENV_REGION = "ALIBABA_CLOUD_STS_REGION"
M.ENV_VPC = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"
M.ENV_SESSION_NAME = "ALIBABA_CLOUD_ROLE_SESSION_NAME"

local json = cjson.new()

--- The STS endpoint: the sts_endpoint option or ALIBABA_CLOUD_STS_ENDPOINT
-- (already parsed into ctx.sts_endpoint), else a profile's sts_endpoint `host`,
-- else sts[-vpc].<region>.aliyuncs.com for a profile's sts_region `region` or
-- ALIBABA_CLOUD_STS_REGION, else sts.aliyuncs.com.
-- Returns the parsed endpoint or nil and a message.
function M.endpoint(ctx, host, region)
  if ctx.sts_endpoint then
    return ctx.sts_endpoint
  end
  if host then
    local parsed, msg = endpoint.parse(host, false)
    if not parsed then
      return nil, "sts_endpoint " .. msg
    end
    return parsed
  end
  region = region or ctx.env(M.ENV_REGION)
  if not region then
    return endpoint.parse(M.DEFAULT_HOST, false)
  end
  local prefix = ctx.flag(M.ENV_VPC) and "sts-vpc." or "sts."
  local parsed = endpoint.parse(prefix .. region .. ".aliyuncs.com", false)
  if not parsed then
    return nil, "STS region '" .. tostring(region) .. "' is not a region id"
  end
  return parsed
end

--- The RoleSessionName: `given` (a profile's), else ALIBABA_CLOUD_ROLE_SESSION_NAME, else
-- one made of the time.
function M.session_name(ctx, given)
  return given or ctx.env(M.ENV_SESSION_NAME) or ("lua-cams-" .. math.floor(ctx.now()))
end

--- Checks a DurationSeconds value; returns it as an integer or nil and a message.
function M.duration(v, label)
  if v == nil then
    return M.DEFAULT_DURATION
  end
  local n = tonumber(v)
  if not n or n ~= math.floor(n) or n < M.MIN_DURATION then
    return nil, label .. " must be a whole number of seconds, at least " .. M.MIN_DURATION
  end
  return math.floor(n)
end

-- Credentials.Unavailable from STS: the message, and status, request_id, retryable.
local function refused(message, fields)
  return nil, errors.credentials_unavailable(message, fields)
end

-- One exchange with STS of the request object `req`; returns credentials or nil, err.
-- Nothing STS answers is quoted as it came: its body may carry the credentials it issued,
-- and its messages may quote the request; `redact` removes the request's secrets from the
-- messages kept (STS's Message, the transport's).
local function exchange(ctx, ep, what, req, redact)
  local status, rheaders, body = ctx.transport("sts"):request(req)
  if status == nil then
    return refused(what .. ": STS at " .. ep.url .. " could not be reached: "
      .. redact(ctx.exchange_failure(rheaders, body)),
      { retryable = errors.is_retryable(rheaders) })
  end
  local t = type(body) == "string" and json.decode(body)
  if type(t) ~= "table" then
    return refused(string.format("%s: STS answered HTTP %d with a body that is not a complete "
      .. "JSON object (%d bytes)", what, status, type(body) == "string" and #body or 0),
      { status = status, retryable = errors.is_retryable(nil, status) })
  end
  local request_id = type(t.RequestId) == "string" and redact(t.RequestId) or nil
  local c = t.Credentials
  if status == 200 and type(c) == "table" then
    local expiration = refreshing.parse_time(c.Expiration)
    local id, secret, token = c.AccessKeyId, c.AccessKeySecret, c.SecurityToken
    if expiration and type(id) == "string" and type(secret) == "string"
      and type(token) == "string" and id ~= "" and secret ~= "" and token ~= "" then
      return { access_key_id = id, access_key_secret = secret, security_token = token,
               expiration = expiration }
    end
  end
  if type(t.Code) ~= "string" then
    return refused(string.format("%s: STS answered HTTP %d without %s", what, status,
      status == 200 and "complete Credentials" or "an error code"),
      { status = status, request_id = request_id, retryable = errors.is_retryable(nil, status) })
  end
  local code = redact(t.Code)
  local message = type(t.Message) == "string" and (": " .. redact(t.Message)) or ""
  return refused(what .. ": STS refused: " .. code .. message,
    { status = status, request_id = request_id, retryable = errors.is_retryable(code, status) })
end

--- AssumeRole with the AccessKey `base` ({access_key_id, access_key_secret,
-- security_token}). `p`: role_arn, session_name, duration, policy, external_id.
function M.assume_role(ctx, ep, base, p, what)
  local params = {
    RoleArn = p.role_arn, RoleSessionName = p.session_name,
    DurationSeconds = tostring(p.duration), Policy = p.policy, ExternalId = p.external_id,
  }
  local ok, req = pcall(ctx.core.sign, {
    algorithm = "HMAC-SHA1", method = "POST", host = ep.authority, endpoint = ep.url, path = "/",
    action = "AssumeRole", version = M.VERSION, format = "JSON", params = params,
    params_in = "body", access_key_id = base.access_key_id,
    access_key_secret = base.access_key_secret, security_token = base.security_token,
    user_agent = ctx.user_agent,
  })
  local redact = ctx.redactor{ base.access_key_secret, base.security_token }
  if not ok then
    return refused(what .. ": the AssumeRole request could not be signed: " .. redact(req))
  end
  return exchange(ctx, ep, what, req, redact)
end

--- AssumeRoleWithOIDC, anonymous. `p`: role_arn, provider_arn, token,
-- session_name, duration, policy.
function M.assume_role_with_oidc(ctx, ep, p, what)
  local core = ctx.core
  local function form(list)
    local out = {}
    for _, kv in ipairs(list) do
      if kv[2] ~= nil then
        out[#out + 1] = core.percent_encode(kv[1], "form") .. "="
          .. core.percent_encode(kv[2], "form")
      end
    end
    return table.concat(out, "&")
  end
  local req = core.request{
    method = "POST", user_agent = ctx.user_agent,
    url = ep.url .. "/?" .. form{ { "Action", "AssumeRoleWithOIDC" }, { "Format", "JSON" },
      { "Version", M.VERSION }, { "Timestamp", core.timestamp() } },
    headers = { ["content-type"] = "application/x-www-form-urlencoded" },
    body = form{ { "RoleArn", p.role_arn }, { "OIDCProviderArn", p.provider_arn },
      { "OIDCToken", p.token }, { "RoleSessionName", p.session_name },
      { "DurationSeconds", tostring(p.duration) }, { "Policy", p.policy } },
  }
  return exchange(ctx, ep, what, req, ctx.redactor{ p.token })
end

return M

--- An OIDC role (RRSA on ACK): the token file is exchanged for temporary
-- credentials with STS AssumeRoleWithOIDC, again before they expire. The
-- file is read on every refresh because the platform rotates the token.

local refreshing = require "cams.credentials.refreshing"
local sts = require "cams.credentials.sts"

local M = {}

M.ROLE_ARN = "ALIBABA_CLOUD_ROLE_ARN"
M.PROVIDER_ARN = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN"
M.TOKEN_FILE = "ALIBABA_CLOUD_OIDC_TOKEN_FILE"

local VARS = { M.ROLE_ARN, M.PROVIDER_ARN, M.TOKEN_FILE }

--- A provider from the environment, or nil and why this source does not apply.
function M.detect(ctx)
  local values, set, unset = {}, {}, {}
  for _, name in ipairs(VARS) do
    values[name] = ctx.env(name)
    local list = values[name] and set or unset
    list[#list + 1] = name
  end
  if #set == 0 then
    return nil, table.concat(VARS, ", ") .. " are not set"
  elseif #unset > 0 then
    return nil, table.concat(set, ", ") .. (#set > 1 and " are" or " is") .. " set but "
      .. table.concat(unset, ", ") .. (#unset > 1 and " are" or " is") .. " not"
  end
  local ep, msg = sts.endpoint(ctx)
  if not ep then
    return nil, msg
  end
  local file = values[M.TOKEN_FILE]
  local ok, why = ctx.files.readable(file)
  if not ok then
    return nil, M.TOKEN_FILE .. ": " .. why
  end
  local what = "OIDC role " .. values[M.ROLE_ARN]
  local params = {
    role_arn = values[M.ROLE_ARN], provider_arn = values[M.PROVIDER_ARN],
    session_name = sts.session_name(ctx),
    duration = sts.DEFAULT_DURATION,
  }
  local provider = refreshing.new(function()
    local token, err = ctx.files.read(file)
    if not token then
      return nil, M.TOKEN_FILE .. ": " .. err
    end
    token = token:gsub("^%s+", ""):gsub("%s+$", "")
    if token == "" then
      return nil, M.TOKEN_FILE .. ": the token file is empty"
    end
    params.token = token
    local c
    c, err = sts.assume_role_with_oidc(ctx, ep, params, what)
    params.token = nil
    return c, err
  end, ctx, what)
  provider.network = true
  return provider
end

return M

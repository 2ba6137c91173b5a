--- Credentials from ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET and
-- ALIBABA_CLOUD_SECURITY_TOKEN.

local static = require "cams.credentials.static"

local M = {}

M.ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
M.SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
M.TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"

--- A provider, or nil and why this source does not apply.
function M.detect(ctx)
  local id, secret, token = ctx.env(M.ID), ctx.env(M.SECRET), ctx.env(M.TOKEN)
  if not id and not secret then
    return nil, M.ID .. " and " .. M.SECRET .. " are not set (" .. M.TOKEN
      .. " goes with them for STS credentials)"
  elseif not secret then
    return nil, M.ID .. " is set but " .. M.SECRET .. " is not"
  elseif not id then
    return nil, M.SECRET .. " is set but " .. M.ID .. " is not"
  end
  local msg = ctx.check(id, M.ID) or ctx.check(secret, M.SECRET)
    or (token and ctx.check(token, M.TOKEN))
  if msg then
    return nil, msg
  end
  return static.new({ access_key_id = id, access_key_secret = secret, security_token = token },
    "environment")
end

return M

--- A RAM role assumed with an AccessKey (STS AssumeRole), refreshed before it expires.

local refreshing = require "cams.credentials.refreshing"
local sts = require "cams.credentials.sts"

local M = {}

--- `p`: base (a provider of the AccessKey), role_arn, session_name,
-- duration, policy, external_id, sts_endpoint, sts_region; `name` names the source.
-- Returns a provider, or nil and why it cannot work.
function M.new(ctx, p, name)
  if not p.role_arn or p.role_arn == "" then
    return nil, "no role ARN"
  end
  local ep, msg = sts.endpoint(ctx, p.sts_endpoint, p.sts_region)
  if not ep then
    return nil, msg
  end
  local duration
  duration, msg = sts.duration(p.duration, "the session duration")
  if not duration then
    return nil, msg
  end
  local params = {
    role_arn = p.role_arn, duration = duration, policy = p.policy, external_id = p.external_id,
    session_name = sts.session_name(ctx, p.session_name),
  }
  local what = name .. " (role " .. p.role_arn .. ")"
  local provider = refreshing.new(function()
    local base, err = p.base:get()
    if not base then
      return nil, err
    end
    return sts.assume_role(ctx, ep, base, params, what)
  end, ctx, what)
  provider.network = true
  return provider
end

return M

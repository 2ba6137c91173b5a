--- A profile of the aliyun CLI (~/.aliyun/config.json).
--
-- The profile is the `profile` option, else ALIBABA_CLOUD_PROFILE, else the
-- file's "current", else "default". Modes: AK, StsToken, RamRoleArn, EcsRamRole.
-- The profile's region_id is the client's region when none is given.

local cjson = require "cjson.safe"
local static = require "cams.credentials.static"
local ram_role_arn = require "cams.credentials.ram_role_arn"
local ecs_ram_role = require "cams.credentials.ecs_ram_role"

local M = {}

M.DISABLED = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED"

local json = cjson.new()

local function str(v)
  if type(v) == "string" and v ~= "" then
    return v
  end
  return nil
end

--- The selected profile: table, name, path; or nil and a reason.
-- Read once per client construction (kept in ctx).
function M.load(ctx)
  local cached = ctx.cli_profile
  if not cached then
    cached = {}
    cached.profile, cached.name, cached.path = M.read(ctx)
    ctx.cli_profile = cached
  end
  return cached.profile, cached.name, cached.path
end

function M.read(ctx)
  if ctx.flag(M.DISABLED) then
    return nil, "turned off by " .. M.DISABLED .. "=true"
  end
  if not ctx.home then
    return nil, "HOME is not set"
  end
  local path = ctx.home .. "/.aliyun/config.json"
  local text, err = ctx.files.read(path)
  if not text then
    return nil, err
  end
  local config = json.decode(text)
  if type(config) ~= "table" then
    return nil, path .. " is not valid JSON"
  end
  local name = ctx.profile or str(config.current) or "default"
  for _, p in ipairs(type(config.profiles) == "table" and config.profiles or {}) do
    if type(p) == "table" and p.name == name then
      return p, name, path
    end
  end
  return nil, path .. " has no profile '" .. name .. "'"
end

--- The profile's region_id, or nil.
function M.region(ctx)
  local p = M.load(ctx)
  return p and str(p.region_id)
end

--- A provider, or nil and why this source does not apply.
function M.detect(ctx)
  local p, name, path = M.load(ctx)
  if not p then
    return nil, name
  end
  local mode = str(p.mode) or "AK"
  local where = "aliyun CLI profile '" .. name .. "' (" .. path .. ", mode " .. mode .. ")"
  if mode == "AK" then
    return static.from_section(ctx, p, nil, where)
  elseif mode == "StsToken" then
    return static.from_section(ctx, p, "sts_token", where)
  elseif mode == "RamRoleArn" then
    local base, msg = static.from_section(ctx, p, nil, where)
    if not base then
      return nil, msg
    end
    local provider
    provider, msg = ram_role_arn.new(ctx, {
      base = base, role_arn = str(p.ram_role_arn), session_name = str(p.ram_session_name),
      duration = tonumber(p.expired_seconds) ~= 0 and tonumber(p.expired_seconds) or nil,
      policy = str(p.policy),
      external_id = str(p.external_id), sts_endpoint = str(p.sts_endpoint),
      sts_region = str(p.sts_region),
    }, where)
    if not provider then
      return nil, where .. ": " .. msg
    end
    return provider
  elseif mode == "EcsRamRole" then
    return ecs_ram_role.new(ctx, str(p.ram_role_name), where)
  end
  return nil, where .. ": mode " .. mode .. " is not supported (use AK, StsToken, RamRoleArn "
    .. "or EcsRamRole)"
end

return M

--- The shared credentials file of the Alibaba Cloud SDKs: the file named by
-- ALIBABA_CLOUD_CREDENTIALS_FILE, else ~/.alibabacloud/credentials (or
-- credentials.ini, the Python SDK's name). INI; the section is the `profile`
-- option, else ALIBABA_CLOUD_PROFILE, else "default". Types: access_key,
-- sts, ecs_ram_role, ram_role_arn.

local ini = require "cams.credentials.ini"
local static = require "cams.credentials.static"
local ram_role_arn = require "cams.credentials.ram_role_arn"
local ecs_ram_role = require "cams.credentials.ecs_ram_role"

local M = {}

M.ENV_FILE = "ALIBABA_CLOUD_CREDENTIALS_FILE"

local function str(v)
  if v ~= nil and v ~= "" then
    return v
  end
  return nil
end

-- The file's text and path, or nil and a reason.
local function read(ctx)
  local path = ctx.env(M.ENV_FILE)
  if path then
    local text, err = ctx.files.read(path)
    if not text then
      return nil, M.ENV_FILE .. ": " .. err
    end
    return text, path
  end
  if not ctx.home then
    return nil, "HOME is not set"
  end
  local first
  for _, name in ipairs{ "credentials", "credentials.ini" } do
    path = ctx.home .. "/.alibabacloud/" .. name
    local text, err = ctx.files.read(path)
    if text then
      return text, path
    end
    first = first or err
  end
  return nil, first
end

--- A provider, or nil and why this source does not apply.
function M.detect(ctx)
  local text, path = read(ctx)
  if not text then
    return nil, path
  end
  local sections, err = ini.parse(text)
  if not sections then
    return nil, path .. ": " .. err
  end
  local name = ctx.profile or "default"
  local s = sections[name]
  if not s then
    return nil, path .. " has no [" .. name .. "] section"
  end
  local kind = str(s.type) or "access_key"
  local where = "credentials file " .. path .. " [" .. name .. "] (type " .. kind .. ")"
  if kind == "access_key" then
    return static.from_section(ctx, s, nil, where)
  elseif kind == "sts" then
    return static.from_section(ctx, s, "security_token", where)
  elseif kind == "ram_role_arn" then
    local base, msg = static.from_section(ctx, s, nil, where)
    if not base then
      return nil, msg
    end
    local provider
    provider, msg = ram_role_arn.new(ctx, {
      base = base, role_arn = str(s.role_arn), session_name = str(s.role_session_name),
      policy = str(s.policy), duration = str(s.duration_seconds),
      external_id = str(s.external_id), sts_endpoint = str(s.sts_endpoint),
      sts_region = str(s.sts_region),
    }, where)
    if not provider then
      return nil, where .. ": " .. msg
    end
    return provider
  elseif kind == "ecs_ram_role" then
    return ecs_ram_role.new(ctx, str(s.role_name), where)
  end
  return nil, where .. ": type " .. kind .. " is not supported (use access_key, sts, "
    .. "ram_role_arn or ecs_ram_role)"
end

return M

--- The credentials_provider option: a function returning
-- { access_key_id =, access_key_secret =, security_token =, expiration = }
-- or nil, err. With an expiration (epoch seconds) the result is cached and
-- refreshed like STS credentials; without one the function runs before
-- every request.

local errors = require "cams.errors"
local scrub = require "cams.scrub"
local refreshing = require "cams.credentials.refreshing"

local M = {}

local NAME = "credentials_provider"

local function invalid(message)
  return nil, errors.credentials_unavailable(NAME .. ": " .. message)
end

function M.new(ctx, fn)
  -- What the function says when it fails may quote the secrets it gave before.
  local redact = ctx.redactor{}
  local function fetch()
    local ok, c, err = pcall(fn)
    if not ok then
      return invalid("raised an error: " .. redact(c))
    end
    if c == nil then
      if errors.is_error(err) then
        return nil, scrub.error(err, redact)
      end
      return invalid(err ~= nil and redact(err) or "returned no credentials")
    end
    if type(c) ~= "table" then
      return invalid("must return a table, got " .. type(c))
    end
    local msg = ctx.check(c.access_key_id, "access_key_id")
      or ctx.check(c.access_key_secret, "access_key_secret")
      or (c.security_token ~= nil and ctx.check(c.security_token, "security_token"))
    if msg then
      return invalid(msg)
    end
    local exp = c.expiration
    if exp ~= nil and (type(exp) ~= "number" or exp ~= exp) then
      return invalid("expiration must be a number (seconds since the epoch) or nil")
    end
    redact = ctx.redactor{ c.access_key_secret, c.security_token }
    return { access_key_id = c.access_key_id, access_key_secret = c.access_key_secret,
             security_token = c.security_token, expiration = exp }
  end
  return refreshing.new(fetch, ctx, NAME)
end

return M

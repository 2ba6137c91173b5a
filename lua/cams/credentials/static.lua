--- Fixed credentials (options, environment, a profile's AccessKey).

local Static = {}
Static.__index = Static

local M = {}

--- `creds`: { access_key_id, access_key_secret, security_token }.
function M.new(creds, name)
  return setmetatable({ creds = creds, name = name }, Static)
end

local function present(v)
  if type(v) == "string" and v ~= "" then
    return v
  end
  return nil
end

--- Fixed credentials read from a profile or file section `t`: `access_key_id` and
-- `access_key_secret`, plus the token under the key `token_field` when one is expected.
-- Returns a provider, or nil and why (naming the fields, never their values).
function M.from_section(ctx, t, token_field, where)
  local id, secret = present(t.access_key_id), present(t.access_key_secret)
  local token = token_field and present(t[token_field])
  if not id or not secret then
    return nil, where .. ": access_key_id and access_key_secret are required"
  end
  if token_field and not token then
    return nil, where .. ": " .. token_field .. " is required"
  end
  local msg = ctx.check(id, where .. " access_key_id")
    or ctx.check(secret, where .. " access_key_secret")
    or (token and ctx.check(token, where .. " " .. token_field))
  if msg then
    return nil, msg
  end
  return M.new({ access_key_id = id, access_key_secret = secret, security_token = token or nil },
    where)
end

function Static:get()
  return self.creds
end

function Static:peek()
  return self.creds
end

return M

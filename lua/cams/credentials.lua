--- Credentials: from the options of cams.new, else from the environment.
--
-- The resolved credentials are handed to the client, which keeps them out
-- of its public fields; nothing here puts a secret into a message.

local errors = require "cams.errors"

local M = {}

M.ENV_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
M.ENV_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
M.ENV_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"

local function fail(code, message)
  return nil, errors.new{ code = code, message = message }
end

--- Check one credential value; returns an error message or nil.
-- `label` names where it came from; the value itself is never shown.
function M.check(value, label)
  if type(value) ~= "string" then
    return label .. " must be a string, got " .. type(value)
  end
  if value == "" then
    return label .. " must not be empty"
  end
  if value:find("\0", 1, true) or value:find("[%c%s]") then
    return label .. " must not contain whitespace or control characters"
  end
  return nil
end

local function env_value(getenv, name)
  local v = getenv(name)
  if v == "" then
    return nil
  end
  return v
end

--- Resolve credentials.
-- `opts` holds access_key_id, access_key_secret, security_token (already
-- type-checked or nil); `getenv` reads the environment.
-- Returns { access_key_id, access_key_secret, security_token, source } or
-- nil, err.
function M.resolve(opts, getenv)
  local id, secret, token = opts.access_key_id, opts.access_key_secret, opts.security_token
  if id ~= nil or secret ~= nil then
    if id == nil then
      return fail("InvalidParameter",
        "access_key_secret was given without access_key_id; pass both")
    elseif secret == nil then
      return fail("InvalidParameter",
        "access_key_id was given without access_key_secret; pass both")
    end
    return { access_key_id = id, access_key_secret = secret, security_token = token,
      source = "options" }
  end
  if token ~= nil then
    return fail("InvalidParameter",
      "security_token was given without access_key_id and access_key_secret; pass all three")
  end

  id = env_value(getenv, M.ENV_ID)
  secret = env_value(getenv, M.ENV_SECRET)
  token = env_value(getenv, M.ENV_TOKEN)
  if id and not secret then
    return fail("MissingCredentials", M.ENV_ID .. " is set but " .. M.ENV_SECRET .. " is not")
  elseif secret and not id then
    return fail("MissingCredentials", M.ENV_SECRET .. " is set but " .. M.ENV_ID .. " is not")
  elseif not id then
    return fail("MissingCredentials",
      "no credentials: pass access_key_id and access_key_secret (and security_token for "
      .. "temporary credentials) to cams.new, or set " .. M.ENV_ID .. " and " .. M.ENV_SECRET
      .. " (and " .. M.ENV_TOKEN .. ") in the environment")
  end
  local found = { { M.ENV_ID, id }, { M.ENV_SECRET, secret }, { M.ENV_TOKEN, token } }
  for _, e in ipairs(found) do
    local msg = e[2] ~= nil and M.check(e[2], e[1])
    if msg then
      return fail("InvalidParameter", msg)
    end
  end
  return { access_key_id = id, access_key_secret = secret, security_token = token,
    source = "environment" }
end

--- Key id shown in tostring(client): "LTAI****abcd" for long ids, "****"
-- for ids too short to reveal anything.
function M.mask(id)
  if type(id) ~= "string" then
    return "?"
  end
  if #id >= 12 then
    return id:sub(1, 4) .. "****" .. id:sub(-4)
  end
  return "****"
end

return M

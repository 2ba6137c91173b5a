--- lua-cams: Alibaba Cloud CAMS API (WhatsApp message QR codes) for Lua.
--
--   local cams = require "cams"
--   local client, err = cams.new{ region = "ap-southeast-1" }
--   local res, err = client:update_qrdl{ phone_number = "8615800000000",
--     qrdl_code = "D9II3xxx", prefilled_message = "Hello", generate_qr_image = "SVG" }
--
-- Failures return nil and an error object (see cams.errors); only programming errors such
-- as a non-table argument raise. Response bodies are returned as decoded by lua-cjson: a
-- JSON null is kept as the cjson.null sentinel, not as nil.
--
-- Where things live: cams.client (the client and its methods), cams.config (options,
-- defaults, environment), cams.call (the path of a call: validate, pace, credentials,
-- sign, send, decode, map, retry), cams.operations (the operations as data).
local client = require "cams.client"
local config = require "cams.config"
local errors = require "cams.errors"
local operations = require "cams.operations"

local format = string.format

local M = {
  VERSION = config.VERSION,
  API_VERSION = config.API_VERSION,
  DEFAULT_REGION = config.DEFAULTS.region,
  errors = errors,
}

-- Environment reader; replaceable (tests, embedding).
M._getenv = os.getenv

--- Create a client. Every option is optional; see the README for the list.
-- Returns the client, or nil and an error object.
function M.new(opts)
  if opts == nil then
    opts = {}
  elseif type(opts) ~= "table" then
    error("cams.new expects a table of options, got " .. type(opts), 2)
  end
  return client.new(opts, M._getenv)
end

--- Draw the QR code of a text (a deep link) locally; see cams.qr.
function M.qr(text, opts)
  return require("cams.qr").encode(text, opts)
end

local function deep_copy(v)
  if type(v) ~= "table" then
    return v
  end
  local t = {}
  for k, x in pairs(v) do
    t[k] = deep_copy(x)
  end
  return t
end

--- A copy of the operation descriptions; editing it changes nothing.
M.operations = deep_copy(operations)

---------------------------------------------------------------------------
-- The default client (built from the environment on first use) and the module-level
-- functions that use it: cams.call(...), cams.update_qrdl{...}, ...

M._default = nil

local function default_client()
  local c = M._default
  if c then
    return c
  end
  local err
  c, err = M.new()
  if not c then
    return nil, err
  end
  M._default = c
  return c
end

--- Generic call on the default client.
function M.call(action, params, opts)
  local c, err = default_client()
  if not c then
    return nil, err
  end
  return c:call(action, params, opts)
end

for name in pairs(client.operations) do
  assert(M[name] == nil, "operation name '" .. name .. "' clashes with a module function")
  M[name] = function(args, opts)
    if args == M then -- cams:update_qrdl{...}
      args, opts = opts, nil
    end
    if type(args) ~= "table" then
      error(format("cams: %s expects a table of named arguments, got %s", name, type(args)), 2)
    end
    local c, err = default_client()
    if not c then
      return nil, err
    end
    return c[name](c, args, opts)
  end
end

return M

--- The decode and map stages of a call: the body of an HTTP response as a table, and
-- whether it is a success (a 2xx whose Code is "OK") or which error it is.
local cjson = require "cjson.safe"
local errors = require "cams.errors"
local validate = require "cams.validate"

local json = cjson.new()

local rawget, type = rawget, type

local M = {}

--- The decoded body, or nil and an error object. `clean` scrubs the credentials from the
-- raw body before any part of it is quoted in a message (before it is cut, so that no
-- piece of a secret survives the cut).
function M.map(action, status, headers, raw, clean)
  local body
  if type(raw) == "string" and raw ~= "" then
    body = json.decode(raw)
  end
  local success = status >= 200 and status < 300
  if type(body) ~= "table" or rawget(body, 1) ~= nil then
    local shown = clean and type(raw) == "string" and clean(raw) or raw
    if not success then
      -- e.g. an HTML error page from a proxy: report the HTTP status
      return nil, errors.from_response(action, status, nil, shown, headers)
    end
    local request_id = type(headers) == "table" and headers["x-acs-request-id"] or nil
    return nil, errors.malformed(action, status,
      type(request_id) == "string" and request_id or nil, shown)
  end
  local code = body.Code
  if success and code == "OK" then -- only the string "OK" is a success
    return body
  end
  if success and type(code) ~= "string" then
    local request_id = type(headers) == "table" and headers["x-acs-request-id"] or nil
    return nil, errors.malformed(action, status,
      type(request_id) == "string" and request_id or nil,
      clean and clean(raw) or raw, "its Code is " .. (code == nil and "missing"
        or code == cjson.null and "null" or "a " .. type(code) .. ", not a string"))
  end
  return nil, errors.from_response(action, status, body, clean and clean(raw) or raw, headers)
end

local is_list = validate.is_list -- a JSON array as lua-cjson decodes it

--- What a typed helper returns for a body, or nil and an error when its Data is not of
-- the documented kind (`op.data`: "list" or "object"). With `op.result`, that field first
-- (an empty table when missing or null) and the body second; else the body.
function M.result(op, body)
  local data = body.Data
  local kind = op.data
  if kind and data ~= nil and data ~= cjson.null
      and (type(data) ~= "table" or (kind == "list") ~= is_list(data)) then
    return nil, errors.malformed(op.action, 200,
      type(body.RequestId) == "string" and body.RequestId or nil, nil,
      "its Data is " .. (type(data) == "table" and (kind == "list" and "an object" or "a list")
        or "a " .. type(data)) .. ", not " .. (kind == "list" and "a list" or "an object"))
  end
  local field = op.result
  if not field then
    return body
  end
  local v = body[field]
  if v == nil or v == cjson.null then
    v = {}
  end
  return v, body
end

return M

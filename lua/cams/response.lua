--- The decode and map stages of a call: the body of an HTTP response as a table, and
-- whether it is a success (a 2xx whose Code is "OK") or which error it is.
local cjson = require "cjson.safe"
local errors = require "cams.errors"

local json = cjson.new()

local rawget, type = rawget, type

local M = {}

--- The decoded body, or nil and an error object.
function M.map(action, status, headers, raw)
  local body
  if type(raw) == "string" and raw ~= "" then
    body = json.decode(raw)
  end
  local success = status >= 200 and status < 300
  if type(body) ~= "table" or rawget(body, 1) ~= nil then
    if not success then
      -- e.g. an HTML error page from a proxy: report the HTTP status
      return nil, errors.from_response(action, status, nil, raw, headers)
    end
    local request_id = type(headers) == "table" and headers["x-acs-request-id"] or nil
    return nil, errors.malformed(action, status,
      type(request_id) == "string" and request_id or nil, raw)
  end
  local code = body.Code
  if not success or (type(code) == "string" and code ~= "OK") then
    return nil, errors.from_response(action, status, body, raw, headers)
  end
  return body
end

--- What a typed helper returns for a body: the body, or with `field` (an operation's
-- `result`) that field first (an empty table when missing or null) and the body second.
function M.result(field, body)
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

--- The send stage of a call: one exchange through the client's transport, seen by the
-- `trace` option (request redacted, response scrubbed of the credentials).
local errors = require "cams.errors"
local redact = require "cams.redact"
local scrub = require "cams.scrub"
local sign = require "cams.sign"

local M = {}

--- Sends the request object `req`; returns status, headers, body, or nil and an error.
function M.exchange(p, call, req, timeout, clean)
  local trace = p.trace
  local started
  if trace then
    trace("request", redact.request(sign.view(req)))
    started = p.clock.now()
  end
  local status, headers, body, sent = p.transport:request(req, timeout, trace ~= nil)
  if trace then
    local t = { seconds = p.clock.now() - started }
    if status == nil then
      t.error = tostring(headers) .. ": " .. clean(body or "")
    else
      t.status, t.headers, t.body = status, scrub.headers(headers, clean), body and clean(body)
    end
    trace("response", t)
  end
  if status == nil then
    return nil, errors.from_transport(call.action, headers, body, sent)
  end
  return status, headers, body
end

return M

--- The sign stage of a call: the request object of one attempt, signed with the current
-- credentials (a new date and nonce each time) by cams.core.sign, which also formats and
-- checks every header.
local errors = require "cams.errors"

local M = {}

--- The signer input of a client: what stays the same for all its calls.
function M.input(s)
  return { algorithm = s.algorithm, host = s.endpoint.authority, endpoint = s.endpoint.url,
    path = "/", user_agent = s.user_agent }
end

--- A request object, or nil and an error (scrubbed of the credentials by `clean`).
function M.request(p, call, creds, clean)
  local input = p.sign_input -- reused: only what a call changes is set
  input.method = call.method
  input.action = call.action
  input.version = call.version
  input.params = call.params
  input.params_in = call.params_in
  input.headers = call.headers
  input.access_key_id = creds.access_key_id
  input.access_key_secret = creds.access_key_secret
  input.security_token = creds.security_token
  local ok, req = pcall(p.core.sign, input)
  input.access_key_secret, input.security_token = nil, nil
  if not ok then
    return nil, errors.invalid("the request could not be signed: " .. clean(req), call.action)
  end
  return req
end

--- The request as a table { method =, url =, headers =, body = } (dry runs, traces); it
-- holds the signature and any token: show it through cams.redact.request.
function M.view(req)
  return { method = req:method(), url = req:url(), headers = req:headers(), body = req:body() }
end

return M

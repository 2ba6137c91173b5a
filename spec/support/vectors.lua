-- Loads signature vectors: the reference set beside the repository (when present) and
-- the project's own set in spec/vectors/.
local cjson = require "cjson"

local vectors = {}

local function read_json(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("*a")
  f:close()
  return cjson.decode(text)
end

-- The reference folder sits beside the checkout; nil when it is not there.
function vectors.reference(name)
  return read_json("../shared/vectors/" .. name)
end

function vectors.own(name)
  return assert(read_json("spec/vectors/" .. name), "missing spec/vectors/" .. name)
end

-- Sign-input table for core.sign from a vector's request description.
function vectors.v3_input(creds, req, extra)
  local h = req.headers
  local t = {
    algorithm = "ACS3-HMAC-SHA256",
    method = req.method, path = req.path,
    host = h.host, action = h["x-acs-action"], version = h["x-acs-version"],
    date = h["x-acs-date"], nonce = h["x-acs-signature-nonce"],
    access_key_id = creds.accessKeyId, access_key_secret = creds.accessKeySecret,
    security_token = creds.securityToken,
    trace = true,
  }
  for k, v in pairs(extra or {}) do t[k] = v end
  return t
end

-- core.sign with `trace = true` as the vectors describe its result: body, target,
-- headers, and the canonical strings (canonical_request for V3, canonical_query for V2).
function vectors.sign(t)
  local req = require("cams.core").sign(t)
  local trace = req:trace() or {}
  local canonical = t.algorithm == "HMAC-SHA1" and "canonical_query" or "canonical_request"
  return {
    body = req:body(), target = req:target(), headers = req:headers(), url = req:url(),
    [canonical] = trace.canonical, string_to_sign = trace.string_to_sign,
    signed_headers = trace.signed_headers, signature = trace.signature,
  }
end

return vectors

-- Request signature verification for the mock CAMS server: ACS3-HMAC-SHA256 (V3) and
-- HMAC-SHA1 (V2, RPC). Written independently of the C core in src/: luaossl provides
-- SHA-256 and HMAC, everything else (encoding, canonical forms, dates, base64) is plain
-- Lua that runs under Lua 5.1/LuaJIT (inside nginx) and Lua 5.4 (in the specs).
--
-- Every check returns either `info` (a table) or `nil, code, message, http_status, detail`.
-- Nothing here keeps state: nonce memory and fault injection live in handler.lua.
--
-- Decoding choice: query strings and application/x-www-form-urlencoded bodies are decoded
-- by the form rules, "%XX" to the byte and "+" to a space. The official SDKs never send a
-- literal "+" (they send %2B for a plus and %20 for a space), so their requests are not
-- affected; a client that sends a raw "+" meaning a plus fails verification, as it would
-- against a server applying the same form rules. Decoded values are then re-encoded with
-- the strict rule below, so "*'!()" sent literally or as %XX canonicalize the same way.
local digest = require "openssl.digest"
local hmac = require "openssl.hmac"

local M = {}

M.API_VERSION = "2020-06-06"
M.MAX_SKEW = 15 * 60 -- seconds either side of the server clock

-- Known credentials. A key with `token` is a temporary (STS) key: it is valid only
-- together with that security token.
M.CREDENTIALS = {
  testid = { secret = "testsecret" },
  stsid = { secret = "stssecret", token = "ststoken" },
  -- characters that percent-encoding changes, as real STS tokens have
  stsodd = { secret = "odd/Secret+=", token = "CAIS+odd/Token==" },
}

-- Headers that every V3 request must sign.
M.V3_REQUIRED_SIGNED = {
  "host", "x-acs-action", "x-acs-content-sha256", "x-acs-date",
  "x-acs-signature-nonce", "x-acs-version",
}

-- RPC system parameters of V2: not business parameters.
M.V2_SYSTEM_PARAMS = {
  Action = true, Format = true, Version = true, Timestamp = true, SignatureNonce = true,
  SignatureMethod = true, SignatureVersion = true, AccessKeyId = true,
  SecurityToken = true, Signature = true,
}

---------------------------------------------------------------------------------------
-- Encoding helpers

-- Strict percent-encoding: UTF-8 bytes, A-Z a-z 0-9 - _ . ~ kept, all else %XX uppercase.
function M.encode(s)
  return (tostring(s):gsub("[^%w%-_%.~]", function(c)
    return string.format("%%%02X", c:byte())
  end))
end

-- Form decoding: "+" is a space, %XX is the byte; malformed escapes are kept as they are.
function M.decode(s)
  s = s:gsub("%+", " ")
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

function M.hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

function M.base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = math.floor(n / 262144) % 64
    local c2 = math.floor(n / 4096) % 64
    local c3 = math.floor(n / 64) % 64
    local c4 = n % 64
    out[#out + 1] = B64:sub(c1 + 1, c1 + 1) .. B64:sub(c2 + 1, c2 + 1)
      .. (b and B64:sub(c3 + 1, c3 + 1) or "=") .. (c and B64:sub(c4 + 1, c4 + 1) or "=")
  end
  return table.concat(out)
end

function M.sha256_hex(s)
  return M.hex(digest.new("sha256"):final(s or ""))
end

function M.hmac_sha256_hex(key, s)
  return M.hex(hmac.new(key, "sha256"):final(s))
end

function M.hmac_sha1_base64(key, s)
  return M.base64(hmac.new(key, "sha1"):final(s))
end

---------------------------------------------------------------------------------------
-- Parameters

-- Parses "a=1&b=2" into a list of {key, value} pairs, decoded; keeps duplicates.
function M.parse_form(s)
  local pairs_list = {}
  if not s or s == "" then return pairs_list end
  for part in s:gmatch("[^&]+") do
    local k, v = part:match("^([^=]*)=(.*)$")
    if not k then k, v = part, "" end
    pairs_list[#pairs_list + 1] = { M.decode(k), M.decode(v) }
  end
  return pairs_list
end

-- Accepts a raw query/form string, a map {key = value | {values}} or a list of pairs,
-- and returns a list of {key, value} pairs.
function M.to_pairs(args)
  if args == nil then return {} end
  if type(args) == "string" then return M.parse_form(args) end
  if type(args[1]) == "table" then return args end
  local out = {}
  for k, v in pairs(args) do
    if type(v) == "table" then
      for _, x in ipairs(v) do out[#out + 1] = { k, tostring(x) } end
    elseif v == true then
      out[#out + 1] = { k, "" }
    else
      out[#out + 1] = { k, tostring(v) }
    end
  end
  return out
end

-- "k=v&k=v" with keys and values strictly encoded, sorted by key then value.
function M.canonical_params(list)
  local enc = {}
  for i, p in ipairs(list) do enc[i] = { M.encode(p[1]), M.encode(p[2]) } end
  table.sort(enc, function(a, b)
    if a[1] ~= b[1] then return a[1] < b[1] end
    return a[2] < b[2]
  end)
  local out = {}
  for i, p in ipairs(enc) do out[i] = p[1] .. "=" .. p[2] end
  return table.concat(out, "&")
end

-- Last value wins.
function M.pairs_to_map(list)
  local map = {}
  for _, p in ipairs(list) do map[p[1]] = p[2] end
  return map
end

local function is_form(headers, body)
  local ct = headers["content-type"]
  if ct then return ct:lower():find("application/x-www-form-urlencoded", 1, true) ~= nil end
  return body ~= nil and body ~= ""
end

---------------------------------------------------------------------------------------
-- Dates

local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

-- "YYYY-MM-DDTHH:MM:SSZ" (UTC) to seconds since the epoch; nil when malformed.
function M.parse_date(s)
  if type(s) ~= "string" then return nil end
  local y, mo, d, h, mi, se = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):(%d%d)Z$")
  if not y then return nil end
  y, mo, d, h, mi, se = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi),
    tonumber(se)
  if mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or mi > 59 or se > 60 then return nil end
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se
end

function M.format_date(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(t))
end

-- Date checks shared by V3 and V2; `now` nil skips the clock-skew check.
function M.check_date(s, now, max_skew)
  local t = M.parse_date(s)
  if not t then
    return nil, "InvalidTimeStamp.Format",
      "Specified time stamp or date value is not well formatted.", 400
  end
  if now and math.abs(now - t) > (max_skew or M.MAX_SKEW) then
    return nil, "InvalidTimeStamp.Expired",
      "Specified time stamp or date value is expired.", 400
  end
  return t
end

---------------------------------------------------------------------------------------
-- Shared checks

local function missing(name)
  return nil, "MissingParameter", string.format(
    "The input parameter %q that is mandatory for processing this request is not supplied.",
    name), 400
end

local function incomplete(why)
  return nil, "IncompleteSignature",
    "The request signature does not conform to Aliyun standards. " .. why, 400
end

local function lookup_key(creds, id)
  local c = creds[id]
  if not c then
    return nil, "InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404
  end
  return c
end

local function check_token(cred, token)
  if token == "" then token = nil end
  if cred.token then
    if not token then
      return nil, "InvalidSecurityToken.Mismatch",
        "A security token is required for this temporary access key.", 400
    elseif token ~= cred.token then
      return nil, "InvalidSecurityToken.Mismatch",
        "Specified security token does not match the access key.", 400
    end
  elseif token then
    return nil, "InvalidSecurityToken.Mismatch",
      "A security token was supplied with a permanent access key.", 400
  end
  return true
end

local function check_version(v, expected)
  if expected and v ~= expected then
    return nil, "InvalidVersion", "Specified parameter Version is not valid.", 400
  end
  return true
end

-- Lowercased header names; repeated headers are joined with ",".
function M.normalize_headers(h)
  local out = {}
  for k, v in pairs(h or {}) do
    if type(v) == "table" then v = table.concat(v, ",") end
    out[k:lower()] = tostring(v)
  end
  return out
end

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

---------------------------------------------------------------------------------------
-- V3: ACS3-HMAC-SHA256

function M.parse_authorization(auth)
  local alg, rest = auth:match("^%s*(%S+)%s*(.-)%s*$")
  if alg ~= "ACS3-HMAC-SHA256" then return nil end
  local f = {}
  for part in (rest .. ","):gmatch("([^,]*),") do
    local k, v = part:match("^%s*([^=%s]+)%s*=%s*(.-)%s*$")
    if k then f[k] = v end
  end
  return f
end

-- Canonical request from a request and the signed header names (lowercase, in order).
-- req: {method=, path=, query= (raw string) | query_args= (map or pairs), headers=}
function M.v3_canonical_request(req, signed, hashed_payload)
  local h = M.normalize_headers(req.headers)
  local lines = {}
  for i, name in ipairs(signed) do lines[i] = name .. ":" .. trim(h[name] or "") .. "\n" end
  local path = req.path
  if not path or path == "" then path = "/" end
  local query = M.canonical_params(M.to_pairs(req.query_args or req.query))
  return table.concat({
    req.method:upper(), path, query, table.concat(lines), table.concat(signed, ";"),
    hashed_payload or h["x-acs-content-sha256"] or M.sha256_hex(req.body or ""),
  }, "\n")
end

function M.v3_string_to_sign(canonical_request)
  return "ACS3-HMAC-SHA256\n" .. M.sha256_hex(canonical_request)
end

-- Verifies a V3 request. opts: credentials (default M.CREDENTIALS), now (nil: no skew
-- check), max_skew, version (expected x-acs-version; nil: any).
function M.v3(req, opts)
  opts = opts or {}
  local creds = opts.credentials or M.CREDENTIALS
  local h = M.normalize_headers(req.headers)
  local body = req.body or ""

  local auth = h.authorization
  if not auth or auth == "" then return incomplete("The Authorization header is missing.") end
  local f = M.parse_authorization(auth)
  if not f then
    return incomplete("The signature algorithm must be ACS3-HMAC-SHA256.")
  end
  for _, part in ipairs({ "Credential", "SignedHeaders", "Signature" }) do
    if not f[part] or f[part] == "" then
      return incomplete("The Authorization header has no " .. part .. ".")
    end
  end

  for _, name in ipairs(M.V3_REQUIRED_SIGNED) do
    if not h[name] or h[name] == "" then return missing(name) end
  end

  local signed, signed_set = {}, {}
  for name in f.SignedHeaders:gmatch("[^;]+") do
    name = trim(name):lower()
    signed[#signed + 1] = name
    signed_set[name] = true
  end
  local must = {}
  for _, name in ipairs(M.V3_REQUIRED_SIGNED) do must[#must + 1] = name end
  for name in pairs(h) do
    if name:sub(1, 6) == "x-acs-" or name == "content-type" then must[#must + 1] = name end
  end
  table.sort(must)
  for _, name in ipairs(must) do
    if not signed_set[name] then
      return incomplete(string.format("Header %q must be signed.", name))
    end
  end
  for _, name in ipairs(signed) do
    if h[name] == nil then
      return incomplete(string.format("Signed header %q is not in the request.", name))
    end
  end

  local cred, code, msg, status = lookup_key(creds, f.Credential)
  if not cred then return nil, code, msg, status end
  if h["x-acs-accesskey-id"] and h["x-acs-accesskey-id"] ~= f.Credential then
    return incomplete("The x-acs-accesskey-id header differs from the Credential.")
  end

  local ok
  ok, code, msg, status = check_version(h["x-acs-version"], opts.version)
  if not ok then return nil, code, msg, status end

  local t
  t, code, msg, status = M.check_date(h["x-acs-date"], opts.now, opts.max_skew)
  if not t then return nil, code, msg, status end

  local body_hash = M.sha256_hex(body)
  if h["x-acs-content-sha256"]:lower() ~= body_hash then
    return nil, "SignatureDoesNotMatch",
      "The x-acs-content-sha256 header does not match the SHA-256 hash of the request body"
      .. " (server computed " .. body_hash .. ").", 400
  end

  local canonical = M.v3_canonical_request(req, signed, h["x-acs-content-sha256"])
  local sts = M.v3_string_to_sign(canonical)
  local expected = M.hmac_sha256_hex(cred.secret, sts)
  local detail = { canonical_request = canonical, string_to_sign = sts, signature = expected }
  if f.Signature:lower() ~= expected then
    return nil, "SignatureDoesNotMatch",
      "Specified signature does not match our calculation. Server string to sign is:" .. sts,
      400, detail
  end

  ok, code, msg, status = check_token(cred, h["x-acs-security-token"])
  if not ok then return nil, code, msg, status end

  local params = M.to_pairs(req.query_args or req.query)
  if is_form(h, body) then
    for _, p in ipairs(M.parse_form(body)) do params[#params + 1] = p end
  end

  return {
    signature_version = "v3",
    access_key_id = f.Credential,
    action = h["x-acs-action"],
    api_version = h["x-acs-version"],
    nonce = h["x-acs-signature-nonce"],
    date = h["x-acs-date"],
    timestamp = t,
    signed_headers = signed,
    canonical_request = canonical,
    string_to_sign = sts,
    signature = expected,
    params = M.pairs_to_map(params),
  }
end

-- Signs a V3 request (for tests and tools). req: method, path, query (map or pairs),
-- headers (host, x-acs-action, x-acs-version, x-acs-date, x-acs-signature-nonce, ...),
-- body. Adds x-acs-content-sha256 when absent and returns a new header table that
-- includes Authorization. All headers given are signed.
function M.sign_v3(req, access_key_id, secret)
  local h = M.normalize_headers(req.headers)
  h["x-acs-content-sha256"] = h["x-acs-content-sha256"] or M.sha256_hex(req.body or "")
  local signed = {}
  for name in pairs(h) do
    if name ~= "authorization" then signed[#signed + 1] = name end
  end
  table.sort(signed)
  local canonical = M.v3_canonical_request(
    { method = req.method, path = req.path, query_args = req.query, headers = h },
    signed, h["x-acs-content-sha256"])
  local sig = M.hmac_sha256_hex(secret, M.v3_string_to_sign(canonical))
  h.authorization = string.format("ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s",
    access_key_id, table.concat(signed, ";"), sig)
  return h, canonical
end

---------------------------------------------------------------------------------------
-- V2: HMAC-SHA1 (RPC)

function M.v2_string_to_sign(method, list)
  local without = {}
  for _, p in ipairs(list) do
    if p[1] ~= "Signature" then without[#without + 1] = p end
  end
  return method:upper() .. "&" .. M.encode("/") .. "&" .. M.encode(M.canonical_params(without))
end

-- Signs a V2 parameter set (map or pairs, system parameters included) and returns the
-- Signature value.
function M.sign_v2(method, params, secret)
  return M.hmac_sha1_base64(secret .. "&", M.v2_string_to_sign(method, M.to_pairs(params)))
end

-- Verifies a V2 request. req: {method=, query= (raw string, map or pairs), body= (raw
-- form string), headers=}. opts as for M.v3.
function M.v2(req, opts)
  opts = opts or {}
  local creds = opts.credentials or M.CREDENTIALS
  local h = M.normalize_headers(req.headers)
  local body = req.body or ""

  local list = {}
  for _, p in ipairs(M.to_pairs(req.query)) do list[#list + 1] = p end
  if is_form(h, body) then
    for _, p in ipairs(M.parse_form(body)) do list[#list + 1] = p end
  end
  local p = M.pairs_to_map(list)

  for _, name in ipairs({ "Signature", "AccessKeyId", "SignatureMethod", "SignatureVersion",
                          "Timestamp", "SignatureNonce", "Action", "Version" }) do
    if not p[name] or p[name] == "" then return missing(name) end
  end
  if p.SignatureMethod ~= "HMAC-SHA1" then
    return incomplete("SignatureMethod must be HMAC-SHA1.")
  end
  if p.SignatureVersion ~= "1.0" then
    return incomplete("SignatureVersion must be 1.0.")
  end

  local cred, code, msg, status = lookup_key(creds, p.AccessKeyId)
  if not cred then return nil, code, msg, status end

  local ok
  ok, code, msg, status = check_version(p.Version, opts.version)
  if not ok then return nil, code, msg, status end

  local t
  t, code, msg, status = M.check_date(p.Timestamp, opts.now, opts.max_skew)
  if not t then return nil, code, msg, status end

  local sts = M.v2_string_to_sign(req.method, list)
  local expected = M.hmac_sha1_base64(cred.secret .. "&", sts)
  local detail = { string_to_sign = sts, signature = expected }
  if p.Signature ~= expected then
    return nil, "SignatureDoesNotMatch",
      "Specified signature does not match our calculation. Server string to sign is:" .. sts,
      400, detail
  end

  ok, code, msg, status = check_token(cred, p.SecurityToken)
  if not ok then return nil, code, msg, status end

  local params = {}
  for k, v in pairs(p) do
    if not M.V2_SYSTEM_PARAMS[k] then params[k] = v end
  end

  return {
    signature_version = "v2",
    access_key_id = p.AccessKeyId,
    action = p.Action,
    api_version = p.Version,
    nonce = p.SignatureNonce,
    date = p.Timestamp,
    timestamp = t,
    string_to_sign = sts,
    signature = expected,
    params = params,
  }
end

return M

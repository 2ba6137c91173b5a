-- Self-test of the mock CAMS server (spec/support/mock*): its signature verification
-- against the reference vectors, and the running server over HTTPS and HTTP.
local verify = require "spec.support.mock.verify"
local mock = require "spec.support.mock"
local cjson = require "cjson.safe"
local http = require "socket.http"
local https = require "ssl.https"
local ltn12 = require "ltn12"
local socket = require "socket"
local rand = require "openssl.rand"

local VECTORS = "../shared/vectors"

local function read_json(name)
  local f = io.open(VECTORS .. "/" .. name, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return assert(cjson.decode(s))
end

local sdk = read_json("official-sdk.json")
local docs = read_json("docs-examples.json")

local FIXED_DATE = "2025-01-15T08:30:00Z"
local FIXED_NOW = 1736929800 -- FIXED_DATE in seconds since the epoch

local function creds_of(case)
  local c = case.credentials
  return { [c.accessKeyId] = { secret = c.accessKeySecret, token = c.securityToken } }
end

local function nonce()
  return verify.hex(rand.bytes(16))
end

local function form(params)
  return verify.canonical_params(verify.to_pairs(params))
end

local function copy(t)
  local out = {}
  for k, v in pairs(t or {}) do out[k] = v end
  return out
end

local BASE_PARAMS = {
  PhoneNumber = "8613800138000", QrdlCode = "D9II3ABC", GenerateQrImage = "SVG",
  PrefilledMessage = "Hi *'!() ~+ 你好 😀 a&b=c",
}

---------------------------------------------------------------------------------------
-- Pure verification

describe("mock verify", function()
  it("encodes strictly and decodes form values", function()
    assert.equals("a%20b%2A~-_.%2B%2F%E4%BD%A0", verify.encode("a b*~-_.+/你"))
    assert.equals("a b+c*", verify.decode("a+b%2Bc%2a"))
    assert.equals("Zm9v Zm8= Zg== ", table.concat({
      verify.base64("foo"), verify.base64("fo"), verify.base64("f"), verify.base64("") }, " "))
  end)

  it("parses dates as UTC", function()
    assert.equals(0, verify.parse_date("1970-01-01T00:00:00Z"))
    assert.equals(FIXED_NOW, verify.parse_date(FIXED_DATE))
    assert.equals(951782400, verify.parse_date("2000-02-29T00:00:00Z"))
    assert.is_nil(verify.parse_date("2025-01-15 08:30:00"))
    assert.is_nil(verify.parse_date("2025-13-01T00:00:00Z"))
    assert.equals(FIXED_DATE, verify.format_date(FIXED_NOW))
  end)

  local function signed_v3(headers, body, id, secret)
    local h = {
      host = "cams.ap-southeast-1.aliyuncs.com", ["x-acs-action"] = "UpdatePhoneMessageQrdl",
      ["x-acs-version"] = "2020-06-06", ["x-acs-date"] = FIXED_DATE,
      ["x-acs-signature-nonce"] = "n1", ["content-type"] = "application/x-www-form-urlencoded",
    }
    for k, v in pairs(headers or {}) do h[k] = v end
    return verify.sign_v3({ method = "POST", path = "/", headers = h, body = body },
      id or "testid", secret or "testsecret")
  end

  local function check_v3(h, body, extra)
    local opts = { now = FIXED_NOW, version = "2020-06-06" }
    for k, v in pairs(extra or {}) do opts[k] = v end
    return verify.v3({ method = "POST", path = "/", headers = h, body = body }, opts)
  end

  it("accepts its own V3 signature and rejects tampering", function()
    local body = form(BASE_PARAMS)
    local h = signed_v3(nil, body)
    local info = assert(check_v3(h, body))
    assert.same(BASE_PARAMS, info.params)
    assert.equals("UpdatePhoneMessageQrdl", info.action)

    local bad = copy(h)
    bad.authorization = h.authorization:gsub("Signature=(%x)", function(c)
      return "Signature=" .. (c == "0" and "1" or "0")
    end)
    local _, code, msg, status = check_v3(bad, body)
    assert.equals("SignatureDoesNotMatch", code)
    assert.equals(400, status)
    assert.matches("^Specified signature does not match our calculation%.", msg)

    _, code, msg = check_v3(h, body .. "x")
    assert.equals("SignatureDoesNotMatch", code)
    assert.matches("x%-acs%-content%-sha256", msg)

    _, code = check_v3(h, body, { now = FIXED_NOW + 16 * 60 })
    assert.equals("InvalidTimeStamp.Expired", code)
    _, code = check_v3(h, body, { version = "2021-01-01" })
    assert.equals("InvalidVersion", code)
  end)

  it("rejects incomplete V3 authorization", function()
    local body = form(BASE_PARAMS)
    local h = signed_v3(nil, body)
    local _, code, _, status = check_v3(copy(h), body, { credentials = {} })
    assert.equals("InvalidAccessKeyId.NotFound", code)
    assert.equals(404, status)

    local no_auth = copy(h)
    no_auth.authorization = nil
    _, code = check_v3(no_auth, body)
    assert.equals("IncompleteSignature", code)

    local partial = copy(h)
    partial.authorization = h.authorization:gsub(",Signature=%x+", "")
    _, code = check_v3(partial, body)
    assert.equals("IncompleteSignature", code)

    -- an x-acs-* header that is not signed
    local extra = copy(h)
    extra["x-acs-extra"] = "1"
    _, code = check_v3(extra, body)
    assert.equals("IncompleteSignature", code)

    -- content-type must be signed when present
    local h2 = copy(h)
    h2["content-type"] = nil
    h2.authorization = nil
    h2 = verify.sign_v3({ method = "POST", path = "/", headers = h2, body = body },
      "testid", "testsecret")
    h2["content-type"] = "application/x-www-form-urlencoded"
    _, code = check_v3(h2, body)
    assert.equals("IncompleteSignature", code)

    local missing = copy(h)
    missing["x-acs-signature-nonce"] = nil
    _, code = check_v3(missing, body)
    assert.equals("MissingParameter", code)
  end)

  it("checks the security token of temporary keys", function()
    local body = form(BASE_PARAMS)
    local h = signed_v3({ ["x-acs-security-token"] = "ststoken", ["x-acs-accesskey-id"] = "stsid" },
      body, "stsid", "stssecret")
    assert.truthy(check_v3(h, body))
    local _, code = check_v3(signed_v3({ ["x-acs-security-token"] = "other" }, body,
      "stsid", "stssecret"), body)
    assert.equals("InvalidSecurityToken.Mismatch", code)
    _, code = check_v3(signed_v3(nil, body, "stsid", "stssecret"), body)
    assert.equals("InvalidSecurityToken.Mismatch", code)
  end)

  it("accepts its own V2 signature and rejects tampering", function()
    local sys = {
      Action = "UpdatePhoneMessageQrdl", Format = "JSON", Version = "2020-06-06",
      Timestamp = FIXED_DATE, SignatureNonce = "n2", SignatureMethod = "HMAC-SHA1",
      SignatureVersion = "1.0", AccessKeyId = "testid",
    }
    local all = copy(sys)
    for k, v in pairs(BASE_PARAMS) do all[k] = v end
    sys.Signature = verify.sign_v2("POST", all, "testsecret")
    local req = { method = "POST", query = form(sys), body = form(BASE_PARAMS),
                  headers = { ["content-type"] = "application/x-www-form-urlencoded" } }
    local info = assert(verify.v2(req, { now = FIXED_NOW }))
    assert.same(BASE_PARAMS, info.params)

    local _, code = verify.v2({ method = "GET", query = req.query, body = req.body,
                                headers = req.headers }, { now = FIXED_NOW })
    assert.equals("SignatureDoesNotMatch", code)
    _, code = verify.v2({ method = "POST", query = req.query, body = req.body .. "&X=1",
                          headers = req.headers }, { now = FIXED_NOW })
    assert.equals("SignatureDoesNotMatch", code)
    _, code = verify.v2(req, { now = FIXED_NOW + 3600 })
    assert.equals("InvalidTimeStamp.Expired", code)
    _, code = verify.v2({ method = "POST", query = "", body = req.body, headers = req.headers })
    assert.equals("MissingParameter", code)
  end)

  describe("official SDK vectors", function()
    if not sdk then
      pending("reference vectors not present: " .. VECTORS)
      return
    end
    for _, case in ipairs(sdk.cases) do
      if case.v3 then
        it("V3 " .. case.name, function()
          local r = case.v3
          local opts = { credentials = creds_of(case), version = "2020-06-06" }
          local info, code, msg = verify.v3({ method = r.method, path = r.path,
            query_args = r.query, headers = r.headers, body = r.body }, opts)
          assert(info, tostring(code) .. ": " .. tostring(msg))
          assert.equals(r.canonicalRequest, info.canonical_request)
          assert.equals(r.stringToSign, info.string_to_sign)
          assert.equals(r.signature, info.signature)
          assert.same(case.params, info.params)
          -- the same from the raw query string, within the clock-skew window
          opts.now = FIXED_NOW + 60
          assert.truthy(verify.v3({ method = r.method, path = r.path, query = r.queryString,
            headers = r.headers, body = r.body }, opts))
          opts.now = os.time()
          local _, late = verify.v3({ method = r.method, path = r.path, query = r.queryString,
            headers = r.headers, body = r.body }, opts)
          assert.equals("InvalidTimeStamp.Expired", late)
        end)
      end
      if case.v2 then
        it("V2 " .. case.name, function()
          local r = case.v2
          local info, code, msg = verify.v2({ method = r.method, query = r.queryString,
            body = r.body, headers = r.headers }, { credentials = creds_of(case) })
          assert(info, tostring(code) .. ": " .. tostring(msg))
          assert.equals(r.stringToSign, info.string_to_sign)
          assert.equals(r.signature, info.signature)
          assert.same(case.params, info.params)
          local tampered = r.queryString:gsub("Signature=[^&]+$", "Signature=AAAA")
          local _, bad = verify.v2({ method = r.method, query = tampered, body = r.body,
            headers = r.headers }, { credentials = creds_of(case) })
          assert.equals("SignatureDoesNotMatch", bad)
        end)
      end
    end
  end)

  describe("docs examples", function()
    if not docs then
      pending("reference vectors not present: " .. VECTORS)
      return
    end
    for _, case in ipairs(docs.cases) do
      it(case.name, function()
        local info, code, msg
        if case.algorithm == "ACS3-HMAC-SHA256" then
          local h = copy(case.headers)
          h["x-acs-content-sha256"] = case.hashedPayload
          h.authorization = case.authorization
          info, code, msg = verify.v3({ method = case.method, path = case.path,
            query_args = case.query, headers = h, body = case.body },
            { credentials = creds_of(case) })
          assert(info, tostring(code) .. ": " .. tostring(msg))
          assert.equals(case.canonicalRequest, info.canonical_request)
        else
          local query = copy(case.params)
          query.Signature = case.signature
          info, code, msg = verify.v2({ method = case.method, query = query, headers = {} },
            { credentials = creds_of(case) })
          assert(info, tostring(code) .. ": " .. tostring(msg))
          assert.equals(case.canonicalQuery, verify.canonical_params(verify.to_pairs(case.params)))
        end
        assert.equals(case.stringToSign, info.string_to_sign)
        assert.equals(case.signature, info.signature)
      end)
    end
  end)
end)

---------------------------------------------------------------------------------------
-- Running server

-- Sends a request; returns status, decoded JSON body (or nil), headers, raw body.
local function send(m, req)
  local plain = req.plain
  local url = (plain and m.http_endpoint or m.endpoint) .. (req.path or "/")
  if req.query and req.query ~= "" then url = url .. "?" .. req.query end
  local headers = copy(req.headers)
  local body = req.body
  if body and body ~= "" then headers["content-length"] = tostring(#body) end
  local chunks = {}
  local t = {
    url = url, method = req.method or "POST", headers = headers,
    source = body and body ~= "" and ltn12.source.string(body) or nil,
    sink = ltn12.sink.table(chunks),
  }
  local ok, status, rh
  if plain then
    ok, status, rh = http.request(t)
  else
    t.cafile, t.verify, t.protocol, t.options = m.ca_file, "peer", "any", { "all" }
    ok, status, rh = https.request(t)
  end
  assert(ok, "request failed: " .. tostring(status))
  local raw = table.concat(chunks)
  return status, cjson.decode(raw), rh, raw
end

local function host_of(m, plain)
  return "127.0.0.1:" .. (plain and m.http_port or m.https_port)
end

-- A V3 request as the official SDK sends it: POST /, parameters in a form body.
-- o: action, params, id, secret, token, date, nonce, version, plain, headers (extra)
local function v3_req(m, o)
  o = o or {}
  local body = form(o.params or BASE_PARAMS)
  local h = {
    host = host_of(m, o.plain),
    ["x-acs-action"] = o.action or "UpdatePhoneMessageQrdl",
    ["x-acs-version"] = o.version or "2020-06-06",
    ["x-acs-date"] = o.date or verify.format_date(os.time()),
    ["x-acs-signature-nonce"] = o.nonce or nonce(),
    ["content-type"] = "application/x-www-form-urlencoded",
  }
  if o.token then
    h["x-acs-security-token"] = o.token
    h["x-acs-accesskey-id"] = o.id
  end
  h = verify.sign_v3({ method = "POST", path = "/", headers = h, body = body },
    o.id or "testid", o.secret or "testsecret")
  h["user-agent"] = "mock-spec"
  return { method = "POST", path = "/", headers = h, body = body, plain = o.plain }
end

-- A V2 request: POST with system parameters in the query and business parameters in the
-- body (as the official SDK), or GET with everything in the query.
local function v2_req(m, o)
  o = o or {}
  local method = o.method or "POST"
  local params = o.params or BASE_PARAMS
  local sys = {
    Action = o.action or "UpdatePhoneMessageQrdl", Format = "JSON",
    Version = o.version or "2020-06-06",
    Timestamp = o.date or verify.format_date(os.time()), SignatureNonce = o.nonce or nonce(),
    SignatureMethod = "HMAC-SHA1", SignatureVersion = "1.0", AccessKeyId = o.id or "testid",
    SecurityToken = o.token,
  }
  local all = copy(sys)
  for k, v in pairs(params) do all[k] = v end
  local sig = verify.sign_v2(method, all, o.secret or "testsecret")
  local req = { method = method, path = "/", headers = { host = host_of(m, o.plain) },
                plain = o.plain }
  if method == "GET" then
    all.Signature = sig
    req.query = form(all)
  else
    sys.Signature = sig
    req.query = form(sys)
    req.body = form(params)
    req.headers["content-type"] = "application/x-www-form-urlencoded"
  end
  return req
end

local function alive(pid)
  local f = io.open("/proc/" .. pid .. "/stat", "rb")
  if not f then return false end
  local stat = f:read("*a")
  f:close()
  return stat:match("%)%s+(%a)") ~= "Z"
end

local function dir_exists(path)
  local ok = os.rename(path, path)
  return ok == true
end

describe("mock server", function()
  local m

  setup(function()
    m = mock.start { workers = 1 }
  end)

  teardown(function()
    if m then m:stop() end
  end)

  before_each(function()
    m:reset()
  end)

  it("exposes its endpoints", function()
    assert.equals("https://127.0.0.1:" .. m.https_port, m.endpoint)
    assert.equals("http://127.0.0.1:" .. m.http_port, m.http_endpoint)
    assert.is_number(m.https_port)
    assert.is_number(m.http_port)
    assert.truthy(io.open(m.ca_file, "rb"))
    assert.truthy(alive(m.pid))
  end)

  it("answers a V3 request over HTTPS with the documented body", function()
    local status, body, headers, raw = send(m, v3_req(m))
    assert.equals(200, status, raw)
    assert.matches('^{"AccessDeniedDetail":"None","RequestId":"[%x%-]+","Message":"None",'
      .. '"Data":{"QrImageUrl":"https://[^"]+%.svg","PhoneNumber":"8613800138000",'
      .. '"QrdlCode":"D9II3ABC","DeepLinkUrl":"https://wa%.me/message/D9II3ABC",'
      .. '"GenerateQrImage":"SVG","PrefilledMessage":"[^"]*"},"Code":"OK"}$', raw)
    assert.equals("OK", body.Code)
    assert.same(BASE_PARAMS.PrefilledMessage, body.Data.PrefilledMessage)
    assert.equals(body.RequestId, headers["x-acs-request-id"])
    assert.equals(1, m:request_count())
    local last = m:last_request()
    assert.equals("POST", last.method)
    assert.equals("/", last.uri)
    assert.equals("UpdatePhoneMessageQrdl", last.action)
    assert.same(BASE_PARAMS, last.params)
    assert.equals("mock-spec", last.headers["user-agent"])
    assert.truthy(last.headers.authorization)
    assert.equals(form(BASE_PARAMS), last.body)
    assert.equals("v3", last.signature_version)
    assert.equals(200, last.status)
  end)

  it("answers PNG requests with a .png image URL, over plain HTTP too", function()
    local params = copy(BASE_PARAMS)
    params.GenerateQrImage = "PNG"
    local status, body = send(m, v3_req(m, { params = params, plain = true }))
    assert.equals(200, status)
    assert.matches("%.png$", body.Data.QrImageUrl)
    assert.equals("PNG", body.Data.GenerateQrImage)
  end)

  it("answers V2 requests (POST with form body, GET with all in the query)", function()
    local status, body, _, raw = send(m, v2_req(m))
    assert.equals(200, status, raw)
    assert.equals(BASE_PARAMS.PrefilledMessage, body.Data.PrefilledMessage)
    status, body, _, raw = send(m, v2_req(m, { method = "GET", plain = true }))
    assert.equals(200, status, raw)
    assert.equals(BASE_PARAMS.PhoneNumber, body.Data.PhoneNumber)
    local last = m:last_request()
    assert.equals("v2", last.signature_version)
    assert.same(BASE_PARAMS, last.params)
    assert.equals(2, m:request_count())
  end)

  it("accepts temporary keys with their token only", function()
    assert.equals(200, (send(m, v3_req(m, { id = "stsid", secret = "stssecret",
      token = "ststoken" }))))
    assert.equals(200, (send(m, v2_req(m, { id = "stsid", secret = "stssecret",
      token = "ststoken" }))))
    local status, body = send(m, v3_req(m, { id = "stsid", secret = "stssecret",
      token = "wrong" }))
    assert.equals(400, status)
    assert.equals("InvalidSecurityToken.Mismatch", body.Code)
    status, body = send(m, v2_req(m, { id = "stsid", secret = "stssecret" }))
    assert.equals(400, status)
    assert.equals("InvalidSecurityToken.Mismatch", body.Code)
  end)

  it("works with curl and the test CA", function()
    local req = v3_req(m)
    local cmd = { "curl -sS --cacert '" .. m.ca_file .. "' -X POST --data-binary @-" }
    for k, v in pairs(req.headers) do cmd[#cmd + 1] = "-H '" .. k .. ": " .. v .. "'" end
    cmd[#cmd + 1] = m.endpoint .. "/"
    local tmp = os.tmpname()
    local f = assert(io.open(tmp, "wb"))
    f:write(req.body)
    f:close()
    local p = assert(io.popen(table.concat(cmd, " ") .. " < " .. tmp))
    local out = p:read("*a")
    p:close()
    os.remove(tmp)
    local body = assert(cjson.decode(out), out)
    assert.equals("OK", body.Code)
    -- the certificate names localhost too
    p = assert(io.popen("curl -sS --cacert '" .. m.ca_file .. "' https://localhost:"
      .. m.https_port .. "/__mock/health"))
    out = p:read("*a")
    p:close()
    assert.matches('"ok":true', out)
  end)

  it("rejects a replayed nonce", function()
    local req = v3_req(m)
    assert.equals(200, (send(m, req)))
    local status, body = send(m, req)
    assert.equals(400, status)
    assert.equals("SignatureNonceUsed", body.Code)
    local r2 = v2_req(m, { nonce = "same-nonce" })
    assert.equals(200, (send(m, r2)))
    status, body = send(m, r2)
    assert.equals(400, status)
    assert.equals("SignatureNonceUsed", body.Code)
    assert.equals(4, m:request_count())
  end)

  it("rejects stale and future dates", function()
    for _, offset in ipairs({ -16 * 60, 16 * 60 }) do
      local date = verify.format_date(os.time() + offset)
      local status, body = send(m, v3_req(m, { date = date }))
      assert.equals(400, status)
      assert.equals("InvalidTimeStamp.Expired", body.Code)
      status, body = send(m, v2_req(m, { date = date }))
      assert.equals(400, status)
      assert.equals("InvalidTimeStamp.Expired", body.Code)
    end
  end)

  it("answers gateway errors in the documented shape", function()
    local req = v3_req(m)
    req.headers.authorization = req.headers.authorization:gsub("Signature=%x%x",
      "Signature=00")
    local status, body, headers = send(m, req)
    assert.equals(400, status)
    assert.equals("SignatureDoesNotMatch", body.Code)
    assert.matches("^Specified signature does not match our calculation", body.Message)
    assert.matches("^[%x%-]+$", body.RequestId)
    assert.equals(body.RequestId, headers["x-acs-request-id"])
    assert.equals(host_of(m), body.HostId)
    assert.is_string(body.Recommend)

    status, body = send(m, v3_req(m, { id = "nobody", secret = "x" }))
    assert.equals(404, status)
    assert.equals("InvalidAccessKeyId.NotFound", body.Code)

    status, body = send(m, v3_req(m, { version = "2017-01-01" }))
    assert.equals(400, status)
    assert.equals("InvalidVersion", body.Code)

    status, body = send(m, { method = "POST", path = "/", body = form(BASE_PARAMS),
      headers = { ["content-type"] = "application/x-www-form-urlencoded" } })
    assert.equals(400, status)
    assert.equals("MissingParameter", body.Code)

    local no_auth = v3_req(m)
    no_auth.headers.authorization = nil
    status, body = send(m, no_auth)
    assert.equals(400, status)
    assert.equals("IncompleteSignature", body.Code)

    status, body = send(m, v3_req(m, { action = "NoSuchAction" }))
    assert.equals(404, status)
    assert.equals("InvalidAction.NotFound", body.Code)
    assert.equals(6, m:request_count())
  end)

  it("validates the business parameters", function()
    local params = copy(BASE_PARAMS)
    params.PhoneNumber = nil
    local status, body = send(m, v3_req(m, { params = params }))
    assert.equals(400, status)
    assert.equals("MissingParameter", body.Code)
    assert.equals('The input parameter "PhoneNumber" that is mandatory for processing this '
      .. "request is not supplied.", body.Message)
    params = copy(BASE_PARAMS)
    params.GenerateQrImage = "JPG"
    status, body = send(m, v2_req(m, { params = params }))
    assert.equals(400, status)
    assert.equals("InvalidParameter", body.Code)
  end)

  it("injects the documented errors after signature checks", function()
    local expected = {
      ["Product.Unsubscript"] = "You have not subscribed to the specified product.",
      ["Ram.PermissionDeny"] = "You are not authorized to perform the operation.",
      ["System.LimitControl"] = "The system is under flow control.",
      ["Unknown.ResourceOwnerId"] = "The resource does not belong to the current user.",
    }
    for code, message in pairs(expected) do
      m:fail(code)
      -- a request that fails verification does not consume the queued error
      local bad = v3_req(m, { id = "nobody" })
      assert.equals("InvalidAccessKeyId.NotFound", select(2, send(m, bad)).Code)
      local status, body = send(m, v3_req(m))
      assert.equals(400, status)
      assert.equals(code, body.Code)
      assert.equals(message, body.Message)
      if code == "Ram.PermissionDeny" then
        local detail = assert(cjson.decode(body.AccessDeniedDetail))
        assert.equals("cams:UpdatePhoneMessageQrdl", detail.AuthAction)
      end
    end
    m:fail("System.LimitControl", 2)
    assert.equals("System.LimitControl", select(2, send(m, v3_req(m))).Code)
    assert.equals("System.LimitControl", select(2, send(m, v2_req(m))).Code)
    assert.equals("OK", select(2, send(m, v3_req(m))).Code)
    assert.has_error(function() m:fail("NoSuchCode") end)
  end)

  it("injects server and transport faults", function()
    m:fail("InternalError")
    m:fail("ServiceUnavailable")
    assert.equals(500, (send(m, v3_req(m))))
    assert.equals(503, (send(m, v3_req(m))))

    m:fail("malformed")
    local status, body, _, raw = send(m, v3_req(m))
    assert.equals(200, status)
    assert.is_nil(body)
    assert.truthy(#raw > 0)

    m:fail("close")
    local ok = pcall(send, m, v3_req(m, { plain = true }))
    assert.is_false(ok)

    m:fail("truncated")
    local req = v3_req(m, { plain = true, params = { PhoneNumber = "1", QrdlCode = "C",
      GenerateQrImage = "PNG", PrefilledMessage = "m" } })
    local cmd = { "curl -s -o /dev/null -X POST --data-binary '" .. req.body .. "'" }
    for k, v in pairs(req.headers) do cmd[#cmd + 1] = "-H '" .. k .. ": " .. v .. "'" end
    cmd[#cmd + 1] = m.http_endpoint .. "/; echo $?"
    local p = assert(io.popen(table.concat(cmd, " ")))
    local rc = p:read("*a")
    p:close()
    assert.equals("18", rc:match("%d+")) -- CURLE_PARTIAL_FILE
    assert.equals("OK", select(2, send(m, v3_req(m))).Code)
  end)

  it("delays answers on request", function()
    m:delay(0.3)
    local t0 = socket.gettime()
    assert.equals(200, (send(m, v3_req(m))))
    assert.truthy(socket.gettime() - t0 >= 0.29)
  end)

  it("limits the rate when configured", function()
    m:config { qps = 2 }
    local limited = 0
    for _ = 1, 6 do
      local status, body = send(m, v3_req(m, { plain = true }))
      if status == 400 and body.Code == "System.LimitControl" then limited = limited + 1 end
    end
    m:config { qps = 0 }
    assert.truthy(limited >= 2)
  end)

  it("keeps the QR codes it creates, updates and deletes", function()
    local status, body = send(m, v3_req(m, { action = "CreatePhoneMessageQrdl",
      params = { PhoneNumber = "8615800000000", GenerateQrImage = "PNG",
                 PrefilledMessage = "Hello" } }))
    assert.equals(200, status)
    local code = body.Data.QrdlCode
    assert.matches("^%w+$", code)
    assert.equals(200, (send(m, v3_req(m, { params = { PhoneNumber = "8615800000000",
      QrdlCode = code, GenerateQrImage = "SVG", PrefilledMessage = "Changed" } }))))
    status, body = send(m, v3_req(m, { action = "ListPhoneMessageQrdl",
      params = { PhoneNumber = "8615800000000" } }))
    assert.equals(200, status)
    assert.equals(1, #body.Data)
    assert.equals("Changed", body.Data[1].PrefilledMessage)
    assert.equals(1, #m:codes("8615800000000"))
    status, body = send(m, v3_req(m, { action = "DeletePhoneMessageQrdl",
      params = { PhoneNumber = "8615800000000", QrdlCode = code } }))
    assert.equals(200, status)
    assert.is_nil(body.Data)
    assert.equals(0, #m:codes("8615800000000"))
  end)

  it("resets its state", function()
    local req = v3_req(m)
    assert.equals(200, (send(m, req)))
    m:fail("System.LimitControl")
    m:reset()
    assert.equals(0, m:request_count())
    assert.is_nil(m:last_request())
    assert.equals(200, (send(m, req))) -- nonce memory and fault queue are cleared
    assert.equals(1, #m:requests())
  end)

  describe("STS", function()
    local ROLE = { RoleArn = "acs:ram::123456789012:role/r", RoleSessionName = "s1" }

    it("issues unique temporary credentials with AssumeRole (version 2015-04-01)", function()
      local status, body, _, raw = send(m, v2_req(m, { action = "AssumeRole", version = "2015-04-01",
                                                       params = ROLE }))
      assert.equals(200, status, raw)
      assert.matches('^{"RequestId":"[%x%-]+","AssumedRoleUser":{"Arn":"acs:ram::123456789012:'
        .. 'role/r/s1","AssumedRoleId":"%d+:s1"},"Credentials":{"SecurityToken":"CAIS[^"]+",'
        .. '"AccessKeyId":"STS%.0001%x+","AccessKeySecret":"%x+","Expiration":"[%dT:Z-]+"}}$', raw)
      local exp = verify.parse_date(body.Credentials.Expiration)
      assert.is_true(math.abs(exp - os.time() - 3600) < 5)
      m:credentials{ duration = 1200 }
      local _, again = send(m, v2_req(m, { action = "AssumeRole", version = "2015-04-01",
                                           params = ROLE }))
      assert.matches("^STS%.0002", again.Credentials.AccessKeyId)
      assert.is_true(math.abs(verify.parse_date(again.Credentials.Expiration) - os.time() - 1200) < 5)
      -- the issued key signs CAMS calls
      local c = again.Credentials
      status = send(m, v3_req(m, { id = c.AccessKeyId, secret = c.AccessKeySecret,
                                   token = c.SecurityToken }))
      assert.equals(200, status)
    end)

    it("checks the version of each action", function()
      local _, body = send(m, v2_req(m, { action = "AssumeRole", params = ROLE }))
      assert.equals("InvalidVersion", body.Code)
      _, body = send(m, v2_req(m, { version = "2015-04-01" }))
      assert.equals("InvalidVersion", body.Code)
    end)

    it("keeps its fault queue apart from the CAMS one", function()
      m:fail_sts("ServiceUnavailable")
      assert.equals(200, (send(m, v3_req(m))))
      local status = send(m, v2_req(m, { action = "AssumeRole", version = "2015-04-01",
                                         params = ROLE }))
      assert.equals(503, status)
    end)
  end)

  describe("ECS metadata", function()
    local function get(path, headers)
      local chunks = {}
      local _, status = http.request{ url = m.http_endpoint .. path, headers = headers,
                                      sink = ltn12.sink.table(chunks) }
      return status, table.concat(chunks)
    end

    it("serves the role and its credentials on the plain-HTTP port only", function()
      local status, role = get("/latest/meta-data/ram/security-credentials/")
      assert.equals(200, status)
      assert.equals("EcsRamRoleMock", role)
      local _, raw = get("/latest/meta-data/ram/security-credentials/EcsRamRoleMock")
      local c = cjson.decode(raw)
      assert.equals("Success", c.Code)
      assert.matches("^STS%.0001", c.AccessKeyId)
      local https_status = send(m, { method = "GET", path = "/latest/api/token" })
      assert.equals(404, https_status)
      m:fail_metadata()
      assert.equals(500, (get("/latest/meta-data/ram/security-credentials/")))
    end)

    it("requires a session token when told to", function()
      m:credentials{ metadata_token = "required" }
      assert.equals(401, (get("/latest/meta-data/ram/security-credentials/")))
      local chunks = {}
      local _, status = http.request{ url = m.http_endpoint .. "/latest/api/token", method = "PUT",
        headers = { ["x-aliyun-ecs-metadata-token-ttl-seconds"] = "60" },
        sink = ltn12.sink.table(chunks) }
      assert.equals(200, status)
      local token = table.concat(chunks)
      assert.equals(200, (get("/latest/meta-data/ram/security-credentials/",
        { ["x-aliyun-ecs-metadata-token"] = token })))
      assert.equals(401, (get("/latest/meta-data/ram/security-credentials/",
        { ["x-aliyun-ecs-metadata-token"] = "forged" })))
    end)
  end)
end)

describe("mock launcher", function()
  it("runs several workers that share state, and stops cleanly", function()
    -- an extra location that checks the mock's certificate from a cosocket inside nginx
    local m = mock.start { workers = 2, server_config = [[
      location = /__probe {
        content_by_lua_block {
          local sock = ngx.socket.tcp()
          assert(sock:connect("127.0.0.1", ${HTTPS_PORT}))
          local ok, err = sock:sslhandshake(nil, "localhost", true)
          ngx.say(ok and "verified" or err)
        }
      }
    ]] }
    local req = v3_req(m)
    local codes = {}
    for i = 1, 4 do codes[i] = select(2, send(m, req)).Code end
    assert.same({ "OK", "SignatureNonceUsed", "SignatureNonceUsed", "SignatureNonceUsed" },
      codes)
    assert.equals(4, m:request_count())
    assert.equals("verified\n", (http.request(m.http_endpoint .. "/__probe")))
    local pid, prefix = m.pid, m.prefix
    m:stop()
    assert.is_false(alive(pid))
    assert.is_false(dir_exists(prefix))
  end)

  it("raises with nginx's error log when nginx cannot start", function()
    local ok, err = pcall(mock.start, { log_level = "nonsense" })
    assert.is_false(ok)
    assert.matches("nonsense", err)
  end)

  it("has a command-line launcher", function()
    local lua = jit and "luajit" or "lua5.4"
    local p = assert(io.popen(lua .. " spec/support/mock/run.lua"))
    local out = p:read("*a")
    p:close()
    local env = {}
    for k, v in out:gmatch("(MOCK_[%w_]+)=([^\n]*)") do env[k] = v end
    assert.matches("^https://127%.0%.0%.1:%d+$", env.MOCK_ENDPOINT)
    assert.matches("^http://127%.0%.0%.1:%d+$", env.MOCK_HTTP_ENDPOINT)
    local code = http.request(env.MOCK_HTTP_ENDPOINT .. "/__mock/health")
    assert.matches('"ok":true', code)
    assert.truthy(alive(env.MOCK_PID))
    assert.truthy(os.execute(lua .. " spec/support/mock/run.lua stop " .. env.MOCK_PREFIX))
    assert.is_false(alive(env.MOCK_PID))
    assert.is_false(dir_exists(env.MOCK_PREFIX))
  end)
end)

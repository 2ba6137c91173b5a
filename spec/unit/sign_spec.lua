-- Signatures byte for byte against the reference vectors (official SDK and docs) and
-- the project's own vectors.
local core = require "cams.core"
local vectors = require "spec.support.vectors"

local sdk = vectors.reference("official-sdk.json")
local docs = vectors.reference("docs-examples.json")

-- The worked example of the documentation signed with `algorithm` (the last one).
local function docs_case(algorithm)
  local case
  for _, c in ipairs(docs.cases) do
    if c.algorithm == algorithm then case = c end
  end
  return case
end

local function non_empty(t)
  local out = {}
  for k, v in pairs(t or {}) do out[k] = v end
  return next(out) and out or nil
end

describe("signature V3 (ACS3-HMAC-SHA256)", function()
  local run = sdk and it or pending
  if not sdk then pending("reference vectors not present: ../shared/vectors") end

  for _, case in ipairs(sdk and sdk.cases or {}) do
    if case.v3 then run("matches the official SDK: " .. case.name, function()
      local req = case.v3
      local in_query = next(req.query) ~= nil
      local t = vectors.v3_input(case.credentials, req, {
        params = case.params, params_in = in_query and "query" or "body",
      })
      local out = vectors.sign(t)
      assert.equals(req.body, out.body)
      assert.equals(req.canonicalRequest, out.canonical_request)
      assert.equals(req.stringToSign, out.string_to_sign)
      assert.equals(req.signedHeaders, out.signed_headers)
      assert.equals(req.signature, out.signature)
      assert.equals(req.authorization, out.headers.authorization)
      assert.equals(req.path .. (req.queryString ~= "" and "?" .. req.queryString or ""), out.target)
      for name, value in pairs(req.headers) do
        local lname = name:lower()
        if lname ~= "user-agent" and lname ~= "accept" then
          assert.equals(value, out.headers[lname], "header " .. lname)
        end
      end
    end) end
  end

  local docs_run = docs and it or pending
  docs_run("matches the worked example of the V3 documentation", function()
    local case = docs_case("ACS3-HMAC-SHA256")
    local out = vectors.sign(vectors.v3_input(case.credentials, case, {
      params = non_empty(case.query), params_in = "query",
    }))
    assert.equals(case.hashedPayload, out.headers["x-acs-content-sha256"])
    assert.equals(case.canonicalRequest, out.canonical_request)
    assert.equals(case.stringToSign, out.string_to_sign)
    assert.equals(case.signature, out.signature)
    assert.equals(case.authorization, out.headers.authorization)
  end)
end)

describe("signature V2 (HMAC-SHA1)", function()
  local run = sdk and it or pending

  for _, case in ipairs(sdk and sdk.cases or {}) do
    if case.v2 then
      run("matches the official SDK: " .. case.name, function()
        local req, sp = case.v2, case.v2.signedParams
        local out = vectors.sign{
          algorithm = "HMAC-SHA1", method = req.method, path = req.path,
          host = req.headers.host, action = sp.Action, version = sp.Version, format = sp.Format,
          date = sp.Timestamp, nonce = sp.SignatureNonce, params = case.params,
          params_in = req.body == "" and "query" or "body",
          access_key_id = case.credentials.accessKeyId,
          access_key_secret = case.credentials.accessKeySecret,
          security_token = case.credentials.securityToken, trace = true,
        }
        assert.equals(req.stringToSign, out.string_to_sign)
        assert.equals(req.signature, out.signature)
        assert.equals(req.body, out.body)
        assert.equals(req.path .. "?" .. req.queryString, out.target)
        assert.same(req.headers, { host = out.headers.host, ["content-type"] = out.headers["content-type"] })
      end)
    end
  end

  local docs_run = docs and it or pending
  docs_run("matches the worked example of the V2 documentation", function()
    local case = docs_case("HMAC-SHA1")
    local p, business = case.params, {}
    local system = {
      AccessKeyId = true, Action = true, Format = true, SignatureMethod = true,
      SignatureNonce = true, SignatureVersion = true, Timestamp = true, Version = true,
    }
    for k, v in pairs(p) do
      if not system[k] then business[k] = v end
    end
    local out = vectors.sign{
      algorithm = "HMAC-SHA1", method = case.method, path = case.path, host = "ecs.aliyuncs.com",
      action = p.Action, version = p.Version, format = p.Format, date = p.Timestamp,
      nonce = p.SignatureNonce, params = business, params_in = "query",
      access_key_id = case.credentials.accessKeyId,
      access_key_secret = case.credentials.accessKeySecret, trace = true,
    }
    assert.equals(case.canonicalQuery, out.canonical_query)
    assert.equals(case.stringToSign, out.string_to_sign)
    assert.equals(case.signature, out.signature)
  end)
end)

describe("own vectors (spec/vectors/cams.json)", function()
  for _, case in ipairs(vectors.own("cams.json").cases) do
    it(case.name, function()
      local c = case.credentials
      local v3 = case.algorithm == "ACS3-HMAC-SHA256"
      local out = vectors.sign{
        algorithm = case.algorithm, method = case.method or "POST", host = case.host,
        action = "UpdatePhoneMessageQrdl", version = "2020-06-06",
        date = case.date, nonce = case.nonce, params = case.params,
        params_in = case.params_in or (case.method == "GET" and "query" or "body"),
        access_key_id = c.id, access_key_secret = c.secret, security_token = c.token, trace = true,
      }
      assert.equals(case.string_to_sign, out.string_to_sign)
      assert.equals(case.signature, out.signature)
      if v3 then
        assert.equals(case.canonical_request, out.canonical_request)
        assert.equals(case.body, out.body)
        assert.equals(case.authorization, out.headers.authorization)
        if c.token then assert.equals(c.token, out.headers["x-acs-security-token"]) end
      else
        assert.equals(case.canonical_query, out.canonical_query)
        if case.method ~= "GET" then assert.equals(case.body, out.body) end
      end
    end)
  end
end)

describe("core.sign input checks", function()
  local base = {
    host = "cams.ap-southeast-1.aliyuncs.com", action = "UpdatePhoneMessageQrdl",
    version = "2020-06-06", access_key_id = "id", access_key_secret = "secret",
    params = { PhoneNumber = "1" },
  }
  local function with(changes)
    local t = {}
    for k, v in pairs(base) do t[k] = v end
    for k, v in pairs(changes) do t[k] = v end
    return t
  end

  it("makes a request object: its headers once, as a table and as HTTP/1.1 bytes", function()
    for _, alg in ipairs{ "ACS3-HMAC-SHA256", "HMAC-SHA1" } do
      local req = core.sign(with{ algorithm = alg, date = "2026-01-02T03:04:05Z", nonce = "n1",
        security_token = "tok", headers = { ["x-acs-extra"] = "", ["x-other"] = "v" },
        endpoint = "https://cams.ap-southeast-1.aliyuncs.com:8443", user_agent = "ua/1" })
      local headers, body, target = req:headers(), req:body(), req:target()
      assert.equals("ua/1", headers["user-agent"])
      assert.equals("", headers["x-acs-extra"])
      assert.equals("https://cams.ap-southeast-1.aliyuncs.com:8443" .. target, req:url())
      assert.equals("POST", req:method())
      local wire = req:http1()
      local head, rest = wire:match("^(.-\r\n)\r\n(.*)$")
      assert.equals(body, rest)
      local lines = {}
      for line in head:gmatch("([^\r\n]*)\r\n") do lines[#lines + 1] = line end
      assert.equals("POST " .. target .. " HTTP/1.1", table.remove(lines, 1))
      local expected = { "content-length: " .. #body }
      for k, v in pairs(headers) do expected[#expected + 1] = k .. ": " .. v end
      table.sort(lines)
      table.sort(expected)
      assert.same(expected, lines)
      req:wipe()
      assert.equals("", req:body())
      assert.is_nil(req:headers().authorization)
    end
  end)

  it("keeps a signed user-agent header instead of adding its own", function()
    local req = core.sign(with{ headers = { ["user-agent"] = "mine" }, user_agent = "lib" })
    assert.equals("mine", req:headers()["user-agent"])
  end)

  it("makes unsigned requests with checked headers, Host from the URL", function()
    local req = core.request{ method = "PUT", url = "http://100.100.100.200/latest/api/token",
      headers = { ["x-aliyun-ecs-metadata-token-ttl-seconds"] = "21600" } }
    assert.equals("PUT /latest/api/token HTTP/1.1\r\n"
      .. "x-aliyun-ecs-metadata-token-ttl-seconds: 21600\r\nhost: 100.100.100.200\r\n"
      .. "content-length: 0\r\n\r\n", req:http1())
    local get = core.request{ url = "https://example.com/a?b=c" }
    assert.equals("GET /a?b=c HTTP/1.1\r\nhost: example.com\r\n\r\n", get:http1())
    for _, bad in ipairs{ { url = "https://h/", headers = { ["x"] = "a\nb" } },
        { url = "https://h/", headers = { ["X"] = "a" } }, { url = "https://h/ x" },
        { url = "https://h" }, { url = "file:///etc/passwd" }, { url = "https://h/", method = "get" } } do
      assert.has_error(function() core.request(bad) end)
    end
  end)

  it("signs afresh each time: new nonce, current date", function()
    local a, b = vectors.sign(with{}), vectors.sign(with{})
    assert.not_equals(a.headers["x-acs-signature-nonce"], b.headers["x-acs-signature-nonce"])
    assert.matches("^%x+$", a.headers["x-acs-signature-nonce"])
    assert.equals(32, #a.headers["x-acs-signature-nonce"])
    assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$", a.headers["x-acs-date"])
    assert.equals(os.date("!%Y-%m-%d"), a.headers["x-acs-date"]:sub(1, 10))
  end)

  for _, bad in ipairs{ "tok\r\nX-Evil: 1", "tok\n", "tok\0" } do
    it("refuses CR/LF/NUL in a security token: " .. ("%q"):format(bad), function()
      assert.has_error(function() vectors.sign(with{ security_token = bad }) end)
    end)
  end

  it("refuses CR/LF in an extra header value and bad header names", function()
    assert.has_error(function() vectors.sign(with{ headers = { ["x-acs-foo"] = "a\r\nb" } }) end)
    assert.has_error(function() vectors.sign(with{ headers = { ["X-Upper"] = "a" } }) end)
  end)

  it("refuses a header that repeats one the signer sets", function()
    assert.has_error(function() vectors.sign(with{ headers = { ["x-acs-date"] = "x" } }) end)
  end)

  it("refuses business parameters that collide with V2 system parameters", function()
    assert.has_error(function()
      vectors.sign(with{ algorithm = "HMAC-SHA1", params = { Signature = "x" } })
    end)
  end)

  it("refuses non-string parameter values and missing fields", function()
    assert.has_error(function() vectors.sign(with{ params = { PhoneNumber = 1 } }) end)
    assert.has_error(function() vectors.sign(with{ access_key_secret = false }) end)
    assert.has_error(function() vectors.sign(with{ algorithm = "MD5" }) end)
  end)

  it("signs extra x-acs-* headers but not others", function()
    local out = vectors.sign(with{ headers = { ["x-acs-extra"] = "  v  ", ["user-agent"] = "ua" }, trace = true })
    assert.matches("x%-acs%-extra;", out.signed_headers)
    assert.not_matches("user%-agent", out.signed_headers)
    assert.equals("v", out.headers["x-acs-extra"])
    assert.equals("ua", out.headers["user-agent"])
  end)

  it("does not put the secret in its result", function()
    local out = vectors.sign(with{ access_key_secret = "TopSecretValue", trace = true })
    for _, v in pairs(out) do
      if type(v) == "string" then assert.is_nil(v:find("TopSecretValue", 1, true)) end
    end
    for _, v in pairs(out.headers) do assert.is_nil(v:find("TopSecretValue", 1, true)) end
  end)
end)

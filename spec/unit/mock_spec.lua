-- The mock CAMS server's own signature checks (spec/support/mock/verify.lua), without a
-- server: its encoding and dates, its V3 and V2 verification against its own signatures,
-- and against the reference vectors (official SDK, documentation) when they are present.
local verify = require "spec.support.mock.verify"
local sample = require "spec.support.mock_sample"
local util = require "spec.support.util"
local vectors = require "spec.support.vectors"

local VECTORS = "../shared/vectors"
local sdk = vectors.reference("official-sdk.json")
local docs = vectors.reference("docs-examples.json")

local FIXED_DATE = "2025-01-15T08:30:00Z"
local FIXED_NOW = 1736929800 -- FIXED_DATE in seconds since the epoch

local copy = util.merge
local BASE_PARAMS, form = sample.PARAMS, sample.form

local function creds_of(case)
  local c = case.credentials
  return { [c.accessKeyId] = { secret = c.accessKeySecret, token = c.securityToken } }
end

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

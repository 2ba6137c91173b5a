-- Bad input against the real core and the mock server: every case ends in a clear error
-- (or, for a programming error, raises) before anything reaches the network.
-- Complements the checks with the fake core (spec/unit/config_spec.lua, validate_spec.lua)
-- and update_qrdl_spec.lua.
local cams = require "cams"
local mock_client = require "spec.support.mock_client"

local PHONE, CODE = "8615800000000", "D9II3ABC"
local SECRET, TOKEN = "bad-input-Secret-0001", "bad-input-Token-0001"

local function args(over)
  local a = { phone_number = PHONE, qrdl_code = CODE, prefilled_message = "Hello",
              generate_qr_image = "SVG" }
  for k, v in pairs(over or {}) do a[k] = v end
  return a
end

describe("bad input", function()
  local m, client, options = mock_client.use{ access_key_secret = SECRET, security_token = TOKEN,
    qps = false }

  -- each check returns res, err; `needles` must all be in the message
  local function refused(res, err, code, needles)
    assert.is_nil(res)
    assert.is_table(err)
    assert.equals(code, err.code)
    for _, needle in ipairs(needles) do
      assert.is_truthy(err.message:find(needle, 1, true),
        ("%q lacks %q"):format(err.message, needle))
    end
    local line = tostring(err)
    assert.is_nil(line:find("[\r\n%z]"), line)
    assert.is_nil(line:find(SECRET, 1, true))
    assert.is_nil(line:find(TOKEN, 1, true))
    assert.equals(0, err.attempts)
    assert.is_false(err.retryable)
    assert.equals(0, m:request_count())
  end

  describe("options of cams.new", function()
    local cases = {
      { "access_key_id with CR LF", { access_key_id = "id\r\nX-Evil: 1" },
        { "access_key_id", "control characters" } },
      { "access_key_id with NUL", { access_key_id = "id\0x" }, { "access_key_id" } },
      { "access_key_secret with NUL", { access_key_secret = SECRET .. "\0" },
        { "access_key_secret" } },
      { "security_token with LF", { security_token = TOKEN .. "\nX-Evil: 1" },
        { "security_token", "control characters" } },
      { "security_token with NUL", { security_token = TOKEN .. "\0" }, { "security_token" } },
      { "empty access_key_id", { access_key_id = "" }, { "access_key_id", "empty" } },
      { "numeric access_key_secret", { access_key_secret = 12345 },
        { "access_key_secret", "string", "number" } },
      { "region with CR LF", { region = "ap-southeast-1\r\nX: 1", endpoint = false },
        { "region", "not a region id" } },
      { "empty region", { region = "", endpoint = false }, { "region" } },
      { "region '-'", { region = "-", endpoint = false }, { "'-'", "not a region id" } },
      { "region 'ap-'", { region = "ap-", endpoint = false }, { "'ap-'", "not a region id" } },
      { "a region of 64 letters", { region = ("a"):rep(64), endpoint = false },
        { "not a region id" } },
      { "region as a table", { region = {}, endpoint = false }, { "region", "table" } },
      { "endpoint with CR LF", { endpoint = "127.0.0.1\r\nHost: evil" },
        { "endpoint", "control characters" } },
      { "endpoint with a path", { endpoint = "https://127.0.0.1:1/evil?x=1" },
        { "endpoint", "path" } },
      { "endpoint with user info", { endpoint = "https://user:pw@127.0.0.1:1" },
        { "endpoint", "user information" } },
      { "endpoint as a number", { endpoint = 8443 }, { "endpoint", "string" } },
      { "ca_file with NUL", { ca_file = "/etc/ssl/certs/ca-certificates.crt\0.pem" },
        { "ca_file", "NUL" } },
      { "empty ca_file", { ca_file = "" }, { "ca_file" } },
      { "ca_file as a boolean", { ca_file = true }, { "ca_file" } },
      { "signature in capitals", { signature = "V3" }, { "signature", "v3, v2" } },
      { "deadline of zero", { deadline = 0 }, { "deadline", "positive" } },
      { "a timeout under a millisecond", { timeout = 0.0004 }, { "timeout", "from 0.001 to 3600" } },
      { "a timeout of a day", { timeout = 86400 }, { "timeout", "from 0.001 to 3600" } },
      { "a connect_timeout of a day", { connect_timeout = 86400 }, { "connect_timeout" } },
      { "a deadline over a day", { deadline = 86401 }, { "deadline", "from 0.001 to 86400" } },
      { "a file:// proxy", { proxy = "file:///etc/passwd" }, { "proxy", "'file://'" } },
      { "a proxy without a host", { proxy = "http://" }, { "proxy", "proxy URL" } },
      { "a proxy with a bad port", { proxy = "http://proxy.example:99999" }, { "proxy" } },
      { "a proxy with a space", { proxy = "http://proxy example:3128" }, { "proxy" } },
      { "deadline as a string", { deadline = "60" }, { "deadline" } },
      { "negative retry_base_delay", { retry_base_delay = -1 }, { "retry_base_delay" } },
      { "infinite retry_max_delay", { retry_max_delay = math.huge }, { "retry_max_delay" } },
      { "retries as a string", { retries = "3" }, { "retries", "integer" } },
      { "qps as a string", { qps = "5" }, { "qps" } },
      { "negative qps", { qps = -1 }, { "qps" } },
      { "connect_timeout as a boolean", { connect_timeout = true }, { "connect_timeout" } },
      { "allow_http as a string", { allow_http = "true" }, { "allow_http", "boolean" } },
      { "a typo", { retires = 3 }, { "unknown option 'retires'", "did you mean 'retries'?" } },
      { "an option to skip TLS verification", { insecure_skip_tls_verify = true },
        { "unknown option 'insecure_skip_tls_verify'" } },
      { "a positional option", { [1] = "testid" }, { "number key" } },
    }
    for _, case in ipairs(cases) do
      it("refuses " .. case[1], function()
        local over = case[2]
        local o = options(over)
        if over.endpoint == false then o.endpoint, o.ca_file = nil, nil end
        local c, err = cams.new(o)
        refused(c, err, "InvalidParameter", case[3])
      end)
    end

    it("refuses http:// without allow_http", function()
      local c, err = cams.new(options{ endpoint = m.http_endpoint })
      refused(c, err, "InvalidParameter", { "http://", "allow_http" })
    end)
  end)

  describe("arguments of update_qrdl", function()
    local cases = {
      { "a missing qrdl_code", { qrdl_code = false }, { "missing required parameter 'qrdl_code'" } },
      { "an empty prefilled_message", { prefilled_message = "" },
        { "'prefilled_message'", "empty" } },
      { "an empty generate_qr_image", { generate_qr_image = "" }, { "'generate_qr_image'" } },
      { "a boolean generate_qr_image", { generate_qr_image = true },
        { "'generate_qr_image'", "boolean" } },
      { "a table prefilled_message", { prefilled_message = { "Hello" } },
        { "'prefilled_message'", "table" } },
      { "a function as qrdl_code", { qrdl_code = print }, { "'qrdl_code'", "function" } },
      { "a fractional phone_number", { phone_number = 8615800000000.5 },
        { "'phone_number'", "integral" } },
      { "a numeric cust_space_id", { cust_space_id = 7 }, { "'cust_space_id'", "number" } },
      { "GIF as the image format", { generate_qr_image = "GIF" }, { "SVG, PNG" } },
      { "svg in lowercase", { generate_qr_image = "svg" }, { "case-sensitive", "'SVG'" } },
      { "an image format with a trailing space", { generate_qr_image = "SVG " }, { "SVG, PNG" } },
      { "an image format with LF", { generate_qr_image = "PNG\n" }, { "line breaks" } },
      { "invalid UTF-8 in qrdl_code", { qrdl_code = "D9\255" }, { "'qrdl_code'", "UTF-8" } },
      { "a surrogate in prefilled_message", { prefilled_message = "a\237\160\128b" },
        { "'prefilled_message'", "UTF-8" } },
      { "an overlong sequence in cust_space_id", { cust_space_id = "\192\175" },
        { "'cust_space_id'", "UTF-8" } },
      { "CR LF in phone_number", { phone_number = PHONE .. "\r\nX-Evil: 1" },
        { "'phone_number'", "line breaks" } },
      { "LF in cust_space_id", { cust_space_id = "cams-1\nX" }, { "'cust_space_id'" } },
      { "NUL in prefilled_message", { prefilled_message = "Hi\0there" }, { "NUL" } },
      { "NUL in qrdl_code", { qrdl_code = CODE .. "\0" }, { "'qrdl_code'", "NUL" } },
      { "an unknown key", { image = "SVG" }, { "unknown parameter 'image'" } },
      { "a misspelt key", { prefiled_message = "x" }, { "did you mean 'prefilled_message'?" } },
      { "a 10 MB prefilled_message", { prefilled_message = ("x"):rep(10 * 1000 * 1000) },
        { "'PrefilledMessage' is 10000000 bytes", "at most 32768" } },
      { "a PascalCase key", { QrdlCode = CODE }, { "did you mean 'qrdl_code'?" } },
    }
    for _, case in ipairs(cases) do
      it("refuses " .. case[1], function()
        local a = args()
        for k, v in pairs(case[2]) do
          if v == false and k ~= "cust_space_id" then a[k] = nil else a[k] = v end
        end
        local res, err = client():update_qrdl(a)
        refused(res, err, "InvalidParameter", case[3])
        assert.equals("UpdatePhoneMessageQrdl", err.action)
      end)
    end

    local positional = {
      { "positional values", { PHONE, CODE, "Hello", "SVG" } },
      { "positional values with a nil in the middle", { PHONE, nil, "Hello", "SVG" } },
      { "a positional value among named ones", { phone_number = PHONE, [2] = CODE } },
    }
    for _, case in ipairs(positional) do
      it("refuses " .. case[1], function()
        local res, err = client():update_qrdl(case[2])
        refused(res, err, "InvalidParameter", { "positional argument", "named arguments" })
      end)
    end
  end)

  describe("options of a call", function()
    local cases = {
      { "an upper-case header name", { headers = { ["X-Trace"] = "1" } }, { "'X-Trace'", "lowercase" } },
      { "a header name with a colon", { headers = { ["x-a: b"] = "1" } }, { "header name" } },
      { "CR LF in a header value", { headers = { ["x-trace"] = "1\r\nX-Evil: 1" } },
        { "'x-trace'", "CR, LF or NUL" } },
      { "NUL in a header value", { headers = { ["x-trace"] = "1\0" } }, { "CR, LF or NUL" } },
      { "a header value that is a number", { headers = { ["x-trace"] = 1 } }, { "strings" } },
      { "ESC in a header value", { headers = { ["x-trace"] = "1\27[0m" } },
        { "'x-trace'", "control characters" } },
      { "a non-ASCII x-acs-* value", { headers = { ["x-acs-trace"] = "caf\195\169" } },
        { "'x-acs-trace'", "ASCII" } },
      { "a timeout under a millisecond", { timeout = 0.0002 }, { "timeout", "0.001" } },
      { "a deadline of two days", { deadline = 172800 }, { "deadline", "86400" } },
      { "the Authorization header", { headers = { authorization = "x" } },
        { "'authorization'", "set by the library" } },
      { "a Content-Length header", { headers = { ["content-length"] = "0" } },
        { "'content-length'" } },
      { "a security-token header", { headers = { ["x-acs-security-token"] = "t" } },
        { "'x-acs-security-token'" } },
      { "a version with CR LF", { version = "2020-06-06\r\n" }, { "version" } },
      { "an unknown method", { method = "DELETE" }, { "method", "POST, GET" } },
      { "a misspelt option", { header = {} }, { "did you mean 'headers'?" } },
    }
    for _, case in ipairs(cases) do
      it("refuses " .. case[1], function()
        local res, err = client():update_qrdl(args(), case[2])
        refused(res, err, "InvalidParameter", case[3])
      end)
    end
  end)

  describe("generic call", function()
    local cases = {
      { "an action with CR LF", "Update\r\nX-Evil: 1", {}, { "invalid action name" } },
      { "an empty action", "", {}, { "invalid action name" } },
      { "a parameter name with CR LF", "ListPhoneMessageQrdl", { ["Phone\r\nNumber"] = "1" },
        { "invalid parameter name" } },
      { "a signer parameter", "ListPhoneMessageQrdl", { AccessKeyId = "x" },
        { "'AccessKeyId'", "set by the library" } },
      { "invalid UTF-8 in a value", "ListPhoneMessageQrdl", { PhoneNumber = "\254" },
        { "'PhoneNumber'", "UTF-8" } },
      { "a NaN value", "ListPhoneMessageQrdl", { PageSize = 0 / 0 }, { "'PageSize'", "finite" } },
      { "a value of 100 KB", "ListPhoneMessageQrdl", { PhoneNumber = ("1"):rep(100 * 1000) },
        { "'PhoneNumber' is 100000 bytes", "at most 32768" } },
      { "300 KB of parameters", "ListPhoneMessageQrdl", (function()
          local p = {}
          for i = 1, 10 do p["P" .. i] = ("v"):rep(30 * 1000) end
          return p
        end)(), { "300", "bytes together", "at most 262144" } },
      { "a GET query over 2 KiB", "ListPhoneMessageQrdl", { PhoneNumber = ("1"):rep(3000) },
        { "query", "2048" }, { method = "GET" } },
      { "a GET with a body", "ListPhoneMessageQrdl", { PhoneNumber = PHONE },
        { "GET", "params_in = 'query'" }, { method = "GET", params_in = "body" } },
    }
    for _, case in ipairs(cases) do
      it("refuses " .. case[1], function()
        local res, err = client():call(case[2], case[3], case[5])
        refused(res, err, "InvalidParameter", case[4])
      end)
    end
  end)

  describe("programming errors raise", function()
    local cases = {
      { "cams.new with a string", function() return cams.new("testid") end, "table of options" },
      { "update_qrdl with a string", function(c) return c:update_qrdl(PHONE) end, "table" },
      { "update_qrdl with no argument", function(c) return c:update_qrdl() end, "nil" },
      { "update_qrdl called with a dot", function(c) return c.update_qrdl(args()) end,
        "client:update_qrdl" },
      { "update_qrdl options that are a string", function(c) return c:update_qrdl(args(), "SVG") end,
        "table of options" },
      { "call with a number as action", function(c) return c:call(42, {}) end, "action name" },
      { "call with string parameters", function(c) return c:call("X", "PhoneNumber=1") end,
        "table of parameters" },
      { "call options that are a boolean", function(c) return c:call("X", {}, true) end,
        "table of options" },
      { "cams.update_qrdl with a boolean", function() return cams.update_qrdl(true) end, "table" },
      { "close called with a dot", function(c) return c.close() end, "client:close" },
    }
    for _, case in ipairs(cases) do
      it("on " .. case[1], function()
        local c = client()
        local ok, msg = pcall(case[2], c)
        assert.is_false(ok)
        assert.is_truthy(tostring(msg):find(case[3], 1, true), tostring(msg))
        assert.is_nil(tostring(msg):find(SECRET, 1, true))
        assert.equals(0, m:request_count())
      end)
    end
  end)
end)

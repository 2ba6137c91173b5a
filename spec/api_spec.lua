-- Lua layer of lua-cams: construction, endpoint parsing, argument validation,
-- response and error handling. A fake cams.core stands in for the C module;
-- requests against a real server are covered by the end-to-end specs.

local fake_core = require "spec.support.fake_core"
local fresh = require "spec.support.fresh"

local DENIED_BODY = [[{"RequestId":"1612C226-E271-4CFE-9F18-4066D0000001","Code":"Ram.PermissionDeny",]]
  .. [["Message":"You are not authorized to perform the operation.",]]
  .. [["AccessDeniedDetail":"{\"AuthAction\":\"cams:UpdatePhoneMessageQrdl\"}"}]]

local KEY_ID = "LTAI5tFakeKeyId0000abcd"
local SECRET = "s3cr3t-Very-Private-Value"
local TOKEN = "sts-token-Very-Private-Value"

local function contains(s, needle)
  return type(s) == "string" and s:find(needle, 1, true) ~= nil
end

describe("cams (Lua layer)", function()
  local cams, env, core, calls

  local function load(respond)
    core, calls = fake_core.new(respond)
    cams = fresh.load{ ["cams.core"] = core }
    env = {}
    cams._getenv = function(name)
      return env[name]
    end
    return cams
  end

  local function new(opts)
    local o = { access_key_id = KEY_ID, access_key_secret = SECRET }
    for k, v in pairs(opts or {}) do
      o[k] = v
    end
    return cams.new(o)
  end

  local function new_ok(opts)
    local c, err = new(opts)
    assert.is_nil(err)
    assert.is_table(c)
    return c
  end

  local function expect_invalid(c, err, ...)
    assert.is_nil(c)
    assert.is_table(err)
    assert.equals("InvalidParameter", err.code)
    for _, needle in ipairs{ ... } do
      assert.is_true(contains(err.message, needle), ("%q lacks %q"):format(err.message, needle))
    end
    assert.is_false(contains(tostring(err), SECRET))
    return err
  end

  -- construction must fail with InvalidParameter naming each needle
  local function rejects(opts, ...)
    local c, err = new(opts)
    return expect_invalid(c, err, ...)
  end

  local function rejects_raw(opts, ...)
    local c, err = cams.new(opts)
    return expect_invalid(c, err, ...)
  end

  teardown(function()
    fresh.restore()
  end)

  before_each(function()
    load()
  end)

  describe("module", function()
    it("has a version and the operations as a copy", function()
      assert.equals("0.1.0", cams.VERSION)
      assert.equals("2020-06-06", cams.API_VERSION)
      local op = cams.operations.update_qrdl
      assert.equals("UpdatePhoneMessageQrdl", op.action)
      assert.equals(5, op.qps)
      assert.equals("2020-06-06", op.version)
      op.params[1].required = false
      local c = new_ok()
      local res, err = c:update_qrdl{ qrdl_code = "X", prefilled_message = "m", generate_qr_image = "SVG" }
      assert.is_nil(res)
      assert.equals("InvalidParameter", err.code)
    end)

    it("generates a method and a module function per operation", function()
      assert.is_function(cams.update_qrdl)
      assert.is_function(new_ok().update_qrdl)
    end)
  end)

  describe("cams.new", function()
    it("takes credentials and settings from options", function()
      local c = new_ok{ security_token = TOKEN, region = "cn-hangzhou", signature = "v2",
        timeout = 3, connect_timeout = 1.5, retries = 0, qps = false }
      assert.equals("https://cams.cn-hangzhou.aliyuncs.com", c.endpoint)
      assert.equals("cams.cn-hangzhou.aliyuncs.com", c.host)
      assert.equals("cn-hangzhou", c.region)
      assert.equals("v2", c.signature)
      assert.equals(3, c.timeout)
      assert.equals(1.5, c.connect_timeout)
      assert.equals(0, c.retries)
      assert.equals(false, c.qps)
      assert.equals("options", c.credentials_source)
    end)

    it("has documented defaults", function()
      local c = new_ok()
      assert.equals("https://cams.ap-southeast-1.aliyuncs.com", c.endpoint)
      assert.equals("ap-southeast-1", c.region)
      assert.equals("v3", c.signature)
      assert.equals(10, c.timeout)
      assert.equals(5, c.connect_timeout)
      assert.equals(3, c.retries)
      assert.is_nil(c.qps)
      assert.equals("auto", c.transport)
      assert.is_false(c.allow_http)
    end)

    it("reads credentials, region and endpoint from the environment", function()
      env.ALIBABA_CLOUD_ACCESS_KEY_ID = KEY_ID
      env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = SECRET
      env.ALIBABA_CLOUD_SECURITY_TOKEN = TOKEN
      env.ALIBABA_CLOUD_REGION_ID = "eu-central-1"
      local c = assert(cams.new())
      assert.equals("environment", c.credentials_source)
      assert.equals("eu-central-1", c.region)
      assert.equals("https://cams.eu-central-1.aliyuncs.com", c.endpoint)
      env.ALIBABA_CLOUD_ENDPOINT = "cams.example.test:8443"
      c = assert(cams.new{})
      assert.equals("https://cams.example.test:8443", c.endpoint)
      assert.equals("eu-central-1", c.region)
      assert(c:update_qrdl{ phone_number = "1", qrdl_code = "q", prefilled_message = "m",
        generate_qr_image = "PNG" })
      assert.equals(TOKEN, calls.sign_args.security_token)
      assert.equals(SECRET, calls.sign_args.access_key_secret)
    end)

    it("prefers options over the environment", function()
      env.ALIBABA_CLOUD_ACCESS_KEY_ID = "LTAIenvironmentid0000"
      env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = "env-secret"
      env.ALIBABA_CLOUD_SECURITY_TOKEN = "env-token"
      env.ALIBABA_CLOUD_REGION_ID = "eu-central-1"
      local c = new_ok{ region = "ap-southeast-1" }
      assert.equals("ap-southeast-1", c.region)
      assert(c:call("ListPhoneMessageQrdl", { PhoneNumber = "1" }))
      assert.equals(KEY_ID, calls.sign_args.access_key_id)
      assert.equals(SECRET, calls.sign_args.access_key_secret)
      assert.is_nil(calls.sign_args.security_token)
    end)

    it("reports missing credentials with the options and variables tried", function()
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
      local c, err = cams.new()
      assert.is_nil(c)
      assert.equals("MissingCredentials", err.code)
      for _, name in ipairs{ "access_key_id", "access_key_secret", "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN" } do
        assert.is_true(contains(err.message, name), name)
      end
      assert.equals(0, calls.http)
      env.ALIBABA_CLOUD_ACCESS_KEY_ID = KEY_ID
      c, err = cams.new()
      assert.is_nil(c)
      assert.equals("MissingCredentials", err.code)
      assert.is_true(contains(err.message, "ALIBABA_CLOUD_ACCESS_KEY_SECRET"))
      env.ALIBABA_CLOUD_ACCESS_KEY_ID = ""
      c, err = cams.new()
      assert.is_nil(c)
      assert.equals("MissingCredentials", err.code)
    end)

    it("refuses half a key pair", function()
      rejects_raw({ access_key_id = KEY_ID }, "access_key_secret")
      rejects_raw({ access_key_secret = SECRET }, "access_key_id")
      rejects_raw({ security_token = TOKEN }, "security_token")
    end)

    it("checks credential values without showing them", function()
      local err = rejects({ access_key_secret = SECRET .. "\n" }, "access_key_secret")
      assert.is_false(contains(err.message, SECRET))
      rejects({ access_key_id = 42 }, "access_key_id", "string")
      rejects({ security_token = "" }, "security_token", "empty")
      env.ALIBABA_CLOUD_ACCESS_KEY_ID = KEY_ID
      env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = SECRET .. " "
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
      local c
      c, err = cams.new()
      assert.is_nil(c)
      assert.equals("MissingCredentials", err.code)
      assert.is_true(contains(err.message, "ALIBABA_CLOUD_ACCESS_KEY_SECRET must not contain"))
      assert.is_false(contains(tostring(err), SECRET))
    end)

    it("decides the proxy itself and hands it to libcurl", function()
      local function proxy_of(opts)
        local c = new_ok(opts)
        assert(c:call("ListPhoneMessageQrdl", { PhoneNumber = "1" }))
        return calls.http_opts.proxy, calls.http_opts.noproxy
      end
      -- none: "" also stops libcurl from reading proxy variables on its own
      assert.same({ "" }, { proxy_of() })
      env.https_proxy = "http://lower.test:3128"
      assert.same({ "http://lower.test:3128" }, { proxy_of() })
      env.HTTPS_PROXY = "http://proxy.test:3128"
      env.NO_PROXY = "localhost,.internal"
      assert.same({ "http://proxy.test:3128", "localhost,.internal" }, { proxy_of() })
      assert.same({ "http://opt.test:8080", "example.com" },
        { proxy_of{ proxy = "http://opt.test:8080", no_proxy = "example.com" } })
      assert.same({ "", "localhost,.internal" }, { proxy_of{ proxy = false } })
      rejects({ proxy = 3128 }, "proxy")
      rejects({ proxy = "http://a b" }, "proxy")
      rejects({ no_proxy = true }, "no_proxy")
    end)

    it("takes the region from the aliyun CLI profile when none is given", function()
      local home = require("spec.support.tmphome").new()
      env.HOME = home.path
      home:write(".aliyun/config.json", [[{"current":"p","profiles":[{"name":"p","mode":"AK",]]
        .. [["access_key_id":"id","access_key_secret":"s","region_id":"cn-shanghai"}]}]])
      local ok, err = pcall(function()
        assert.equals("cn-shanghai", new_ok().region)
        assert.equals("cn-shanghai", assert(cams.new()).region) -- keys from the profile too
        env.ALIBABA_CLOUD_REGION_ID = "eu-central-1"
        assert.equals("eu-central-1", new_ok().region)
        assert.equals("ap-southeast-1", new_ok{ region = "ap-southeast-1" }.region)
        env.ALIBABA_CLOUD_REGION_ID = nil
        home:write(".aliyun/config.json", [[{"profiles":[{"name":"default","region_id":"Bad Region"}]}]])
        rejects(nil, "region_id of the aliyun CLI profile")
      end)
      home:remove()
      assert(ok, err)
    end)

    it("names an unknown option and suggests the closest one", function()
      rejects({ regoin = "x" }, "unknown option 'regoin'", "did you mean 'region'?")
      rejects({ acces_key_id = "x" }, "'acces_key_id'", "did you mean 'access_key_id'?")
      rejects({ timout = 1 }, "did you mean 'timeout'?")
      rejects({ zzzzzzzz = 1 }, "unknown option 'zzzzzzzz'", "known options:", "endpoint")
      rejects({ "positional" }, "number key")
    end)

    it("checks the type and range of each option", function()
      rejects({ region = "AP_SOUTH" }, "region")
      env.ALIBABA_CLOUD_REGION_ID = "bad region"
      rejects(nil, "ALIBABA_CLOUD_REGION_ID")
      env.ALIBABA_CLOUD_REGION_ID = nil
      rejects({ signature = "v4" }, "signature", "v3, v2")
      rejects({ timeout = 0 }, "timeout")
      rejects({ timeout = "10" }, "timeout")
      rejects({ connect_timeout = -1 }, "connect_timeout")
      rejects({ timeout = math.huge }, "timeout")
      rejects({ retries = -1 }, "retries")
      rejects({ retries = 1.5 }, "retries")
      rejects({ qps = true }, "qps")
      rejects({ qps = 0 }, "qps")
      assert.equals(2.5, new_ok{ qps = 2.5 }.qps)
      rejects({ allow_http = "yes" }, "allow_http", "boolean")
      rejects({ transport = "socket" }, "transport", "auto, curl, ngx")
      rejects({ endpoint = 443 }, "endpoint")
      assert.equals("curl", new_ok{ transport = "curl" }.transport)
    end)

    it("answers NotSupported for the ngx transport outside nginx", function()
      local c, err = new{ transport = "ngx" }
      assert.is_nil(c)
      assert.equals("NotSupported", err.code)
    end)

    it("requires a readable ca_file", function()
      rejects({ ca_file = "/nonexistent/dir/ca.pem" }, "ca_file", "/nonexistent/dir/ca.pem")
      rejects({ ca_file = "/" }, "ca_file")
      local path = os.tmpname()
      local f = assert(io.open(path, "wb"))
      f:write("-----BEGIN CERTIFICATE-----\n")
      f:close()
      local c = new_ok{ ca_file = path }
      os.remove(path)
      assert.equals(path, c.ca_file)
      c:update_qrdl{ phone_number = "1", qrdl_code = "q", prefilled_message = "m", generate_qr_image = "SVG" }
      assert.equals(path, calls.http_opts.ca_file)
    end)

    it("raises on a non-table argument", function()
      assert.has_error(function() cams.new("LTAI") end)
    end)

    it("keeps secrets out of the client table and of tostring", function()
      local c = new_ok{ security_token = TOKEN }
      local s = tostring(c)
      assert.is_true(contains(s, "https://cams.ap-southeast-1.aliyuncs.com"))
      assert.is_true(contains(s, "ap-southeast-1"))
      assert.is_true(contains(s, "LTAI****abcd"))
      assert.is_true(contains(s, "v3"))
      assert.is_false(contains(s, SECRET))
      assert.is_false(contains(s, TOKEN))
      assert.is_false(contains(s, KEY_ID))
      local function walk(t, seen)
        for k, v in pairs(t) do
          for _, x in ipairs{ k, v } do
            assert.are_not.equals(SECRET, x)
            assert.are_not.equals(TOKEN, x)
            if type(x) == "table" and not seen[x] then
              seen[x] = true
              walk(x, seen)
            end
          end
        end
      end
      walk(c, {})
      c = new_ok{ access_key_id = "shortid" }
      assert.is_true(contains(tostring(c), "access_key_id=****"))
      assert.is_false(contains(tostring(c), "shortid"))
    end)
  end)

  describe("endpoint", function()
    local function ep(endpoint, allow_http)
      return new{ endpoint = endpoint, allow_http = allow_http }
    end

    it("accepts a bare host", function()
      local c = assert(ep("cams.ap-southeast-1.aliyuncs.com"))
      assert.equals("https://cams.ap-southeast-1.aliyuncs.com", c.endpoint)
      assert.equals("cams.ap-southeast-1.aliyuncs.com", c.host)
    end)

    it("accepts host:port and keeps the port in the Host header", function()
      local c = assert(ep("127.0.0.1:8443"))
      assert.equals("https://127.0.0.1:8443", c.endpoint)
      assert.equals("127.0.0.1:8443", c.host)
      assert(c:update_qrdl{ phone_number = "1", qrdl_code = "q", prefilled_message = "m",
        generate_qr_image = "SVG" })
      assert.equals("127.0.0.1:8443", calls.sign_args.host)
      assert.equals("https://127.0.0.1:8443/", calls.last_request.url)
    end)

    it("accepts an https URL with a port, and drops the default port", function()
      local c = assert(ep("https://Cams.Example.Test:9443"))
      assert.equals("https://cams.example.test:9443", c.endpoint)
      c = assert(ep("https://cams.example.test:443/"))
      assert.equals("https://cams.example.test", c.endpoint)
      assert.equals("cams.example.test", c.host)
    end)

    it("refuses http unless allow_http is set", function()
      local err = rejects({ endpoint = "http://127.0.0.1:8080" }, "http://", "allow_http", "unencrypted")
      assert.is_false(contains(err.message, SECRET))
      local c = assert(ep("http://127.0.0.1:8080", true))
      assert.equals("http://127.0.0.1:8080", c.endpoint)
      c = assert(ep("http://localhost:80", true))
      assert.equals("localhost", c.host)
      env.ALIBABA_CLOUD_ENDPOINT = "http://127.0.0.1:8080"
      rejects(nil, "ALIBABA_CLOUD_ENDPOINT", "http://")
    end)

    it("accepts an IPv6 literal in brackets", function()
      local c = assert(ep("[::1]:8443"))
      assert.equals("https://[::1]:8443", c.endpoint)
      assert.equals("[::1]:8443", c.host)
      c = assert(ep("https://[2001:DB8::1]"))
      assert.equals("[2001:db8::1]", c.host)
    end)

    it("rejects malformed endpoints", function()
      for _, bad in ipairs{
        "", " cams.example.test", "cams.example.test ", "cams.example.test\r\nX-Evil: 1",
        "cams.example.test\0", "https://cams.example.test/path", "cams.example.test/",
        "https://cams.example.test?x=1", "https://cams.example.test#f", "user:pw@cams.example.test",
        "https://user@cams.example.test", "cams.example.test:", "cams.example.test:0",
        "cams.example.test:65536", "cams.example.test:https", "::1", "::1:8443", "[::1",
        "[zz::1]:8443", "[::1]x", "ftp://cams.example.test", "https//cams.example.test",
        "https://", "-bad.example.test", "bad..example.test", "bad_host.test", "https:///x",
      } do
        local c, err = ep(bad, true)
        if bad == "cams.example.test/" then
          -- a lone trailing slash is the root path and is tolerated
          assert.is_table(c)
        else
          assert.is_nil(c, bad)
          assert.equals("InvalidParameter", err.code, bad)
          assert.is_true(contains(err.message, "endpoint"), bad)
          assert.is_nil(err.message:find("[\r\n%z]"), bad)
        end
      end
    end)
  end)

  describe("update_qrdl arguments", function()
    local client
    local function args(over)
      local a = { phone_number = "8615800000000", qrdl_code = "D9II3xxx",
        prefilled_message = "Hello", generate_qr_image = "SVG" }
      for k, v in pairs(over or {}) do
        a[k] = v
      end
      return a
    end
    local function rejected(over, ...)
      local res, err = client:update_qrdl(args(over))
      expect_invalid(res, err, ...)
      assert.equals("UpdatePhoneMessageQrdl", err.action)
      assert.equals(0, err.attempts)
      assert.is_false(err.retryable)
      assert.equals(0, calls.sign)
      assert.equals(0, calls.http)
      assert.equals(0, calls.request)
      return err
    end

    before_each(function()
      client = new_ok()
    end)

    it("sends PascalCase parameters and returns the body", function()
      local res, err = client:update_qrdl(args{ cust_space_id = "cams-kei0000" })
      assert.is_nil(err)
      assert.equals("OK", res.Code)
      assert.equals("https://wa.msg/", res.Data.DeepLinkUrl)
      local s = calls.sign_args
      assert.equals("UpdatePhoneMessageQrdl", s.action)
      assert.equals("2020-06-06", s.version)
      assert.equals("ACS3-HMAC-SHA256", s.algorithm)
      assert.equals("POST", s.method)
      assert.equals("/", s.path)
      assert.equals("body", s.params_in)
      assert.equals("cams.ap-southeast-1.aliyuncs.com", s.host)
      assert.same({ PhoneNumber = "8615800000000", QrdlCode = "D9II3xxx", PrefilledMessage = "Hello",
        GenerateQrImage = "SVG", CustSpaceId = "cams-kei0000" }, s.params)
      local r = calls.last_request
      assert.equals("POST", r.method)
      assert.equals("https://cams.ap-southeast-1.aliyuncs.com/", r.url)
      assert.is_string(r.headers.authorization)
      assert.is_string(r.headers["user-agent"])
      assert.equals(
        "CustSpaceId=cams-kei0000&GenerateQrImage=SVG&PhoneNumber=8615800000000&PrefilledMessage=Hello"
          .. "&QrdlCode=D9II3xxx", r.body)
    end)

    it("creates the HTTP handle once, with the client's settings", function()
      client = new_ok{ timeout = 7, connect_timeout = 2 }
      assert.equals(0, calls.http)
      assert(client:update_qrdl(args()))
      assert(client:update_qrdl(args()))
      assert.equals(1, calls.http)
      assert.equals(2, calls.request)
      assert.equals(7, calls.http_opts.timeout)
      assert.equals(2, calls.http_opts.connect_timeout)
      assert.is_true(client:close())
      assert.equals(1, calls.close)
      assert(client:update_qrdl(args()))
      assert.equals(2, calls.http)
    end)

    it("signs with HMAC-SHA1 when signature is v2", function()
      client = new_ok{ signature = "v2" }
      assert(client:update_qrdl(args()))
      assert.equals("HMAC-SHA1", calls.sign_args.algorithm)
    end)

    it("leaves out an empty optional parameter", function()
      assert(client:update_qrdl(args{ cust_space_id = "" }))
      assert.is_nil(calls.sign_args.params.CustSpaceId)
    end)

    it("accepts an integral number as phone_number", function()
      assert(client:update_qrdl(args{ phone_number = 8615800000000 }))
      assert.equals("8615800000000", calls.sign_args.params.PhoneNumber)
      assert(client:update_qrdl(args{ phone_number = 8615800000000.0 }))
      assert.equals("8615800000000", calls.sign_args.params.PhoneNumber)
    end)

    it("refuses other numbers for phone_number", function()
      rejected({ phone_number = 86158.5 }, "'phone_number'", "integral")
      rejected({ phone_number = 1e300 }, "'phone_number'")
      rejected({ phone_number = 0 / 0 }, "'phone_number'")
    end)

    it("raises on a non-table argument", function()
      assert.has_error(function() client:update_qrdl("8615800000000") end)
      assert.has_error(function() client:update_qrdl() end)
      assert.has_error(function() client.update_qrdl(args()) end)
      assert.has_error(function() cams.update_qrdl(42) end)
      assert.equals(0, calls.sign)
    end)

    it("names an unknown parameter and the closest known one", function()
      local err = rejected({ qrdl_cod = "x" },
        "unknown parameter 'qrdl_cod' for update_qrdl; did you mean 'qrdl_code'?")
      assert.equals("InvalidParameter", err.code)
      rejected({ PhoneNumber = "1" }, "'PhoneNumber'", "did you mean 'phone_number'?")
      rejected({ totally_unrelated_key = "1" }, "'totally_unrelated_key'", "known parameters:")
      rejected({ "positional" }, "positional")
      rejected({ [true] = "x" }, "boolean key")
    end)

    it("requires each required parameter", function()
      for _, name in ipairs{ "phone_number", "qrdl_code", "prefilled_message", "generate_qr_image" } do
        local a = args()
        a[name] = nil
        local res, err = client:update_qrdl(a)
        expect_invalid(res, err, "missing required parameter '" .. name .. "'")
        rejected({ [name] = "" }, "'" .. name .. "'", "empty")
      end
      assert.equals(0, calls.sign)
    end)

    it("requires strings", function()
      rejected({ qrdl_code = 42 }, "'qrdl_code'", "string", "number")
      rejected({ prefilled_message = true }, "'prefilled_message'", "boolean")
      rejected({ phone_number = {} }, "'phone_number'", "table")
      rejected({ cust_space_id = false }, "'cust_space_id'", "boolean")
    end)

    it("checks enum values and lists the allowed ones", function()
      rejected({ generate_qr_image = "GIF" }, "'generate_qr_image'", "SVG, PNG")
      rejected({ generate_qr_image = "svg" }, "'generate_qr_image'", "SVG, PNG", "case-sensitive")
      assert(client:update_qrdl(args{ generate_qr_image = "PNG" }))
    end)

    it("rejects NUL bytes everywhere", function()
      for _, name in ipairs{ "phone_number", "qrdl_code", "prefilled_message", "generate_qr_image",
        "cust_space_id" } do
        rejected({ [name] = "a\0b" }, "'" .. name .. "'", "NUL")
      end
    end)

    it("allows line breaks only in prefilled_message", function()
      for _, name in ipairs{ "phone_number", "qrdl_code", "generate_qr_image", "cust_space_id" } do
        rejected({ [name] = "a\r\nb" }, "'" .. name .. "'", "line break")
        rejected({ [name] = "a\nb" }, "'" .. name .. "'")
      end
      assert(client:update_qrdl(args{ prefilled_message = "Hello\r\nWorld\n" }))
      assert.equals("Hello\r\nWorld\n", calls.sign_args.params.PrefilledMessage)
    end)

    it("requires valid UTF-8", function()
      for _, bad in ipairs{ "\192\175", "\224\128\175", "\237\160\128", "\244\144\128\128",
        "\226\130", "\128", "\255", "ok\248\136\128\128\128" } do
        rejected({ prefilled_message = bad }, "'prefilled_message'", "UTF-8")
      end
      assert(client:update_qrdl(args{ prefilled_message = "h\195\169llo \226\130\172 \240\159\145\139" }))
    end)

    it("does not echo values in messages", function()
      local err = rejected({ prefilled_message = "private text\0" }, "'prefilled_message'")
      assert.is_false(contains(err.message, "private text"))
    end)

    it("forwards extra headers and rejects unknown call options", function()
      assert(client:update_qrdl(args(), { headers = { ["x-trace"] = "1" } }))
      assert.same({ ["x-trace"] = "1" }, calls.sign_args.headers)
      local res, err = client:update_qrdl(args(), { header = {} })
      expect_invalid(res, err, "'header'", "did you mean 'headers'?")
    end)
  end)

  describe("suggestions", function()
    local validate
    before_each(function()
      validate = require "cams.validate"
    end)

    it("suggests only plausible names", function()
      assert.equals("qrdl_code", validate.closest("qrdl_cod", { "phone_number", "qrdl_code" }))
      assert.equals("region", validate.closest("regoin", { "region", "retries" }))
      assert.is_nil(validate.closest("zzzzzz", { "region", "retries" }))
    end)
  end)

  describe("generic call", function()
    local client
    before_each(function()
      client = new_ok()
    end)

    it("signs any action with string or number values", function()
      local res = assert(client:call("ListPhoneMessageQrdl", { PhoneNumber = 8615800000000,
        PageSize = 10, Ratio = 0.1, CustSpaceId = "cams-x" }))
      assert.equals("OK", res.Code)
      local s = calls.sign_args
      assert.equals("ListPhoneMessageQrdl", s.action)
      assert.equals("2020-06-06", s.version)
      assert.same({ PhoneNumber = "8615800000000", PageSize = "10", Ratio = "0.1",
        CustSpaceId = "cams-x" }, s.params)
    end)

    it("takes version, params_in and method options", function()
      assert(client:call("GetSomething", nil, { version = "2021-01-01", params_in = "query",
        method = "GET" }))
      local s = calls.sign_args
      assert.equals("2021-01-01", s.version)
      assert.equals("query", s.params_in)
      assert.equals("GET", calls.last_request.method)
      local res, err = client:call("X", {}, { verison = "2021-01-01" })
      expect_invalid(res, err, "'verison'", "did you mean 'version'?")
      res, err = client:call("X", {}, { params_in = "header" })
      expect_invalid(res, err, "params_in")
    end)

    it("rejects other value types, bad names and reserved parameters", function()
      local res, err = client:call("ListPhoneMessageQrdl", { PhoneNumber = true })
      expect_invalid(res, err, "'PhoneNumber'", "boolean")
      res, err = client:call("ListPhoneMessageQrdl", { PhoneNumber = { "1" } })
      expect_invalid(res, err, "'PhoneNumber'", "table")
      res, err = client:call("ListPhoneMessageQrdl", { PhoneNumber = 1 / 0 })
      expect_invalid(res, err, "'PhoneNumber'")
      res, err = client:call("ListPhoneMessageQrdl", { "x" })
      expect_invalid(res, err, "number key")
      res, err = client:call("ListPhoneMessageQrdl", { ["Bad Name"] = "x" })
      expect_invalid(res, err, "Bad Name")
      res, err = client:call("ListPhoneMessageQrdl", { Signature = "x" })
      expect_invalid(res, err, "'Signature'")
      res, err = client:call("ListPhoneMessageQrdl", { Message = "a\0b" })
      expect_invalid(res, err, "'Message'", "NUL")
      res, err = client:call("Bad-Action", {})
      expect_invalid(res, err, "action")
      assert.equals(0, calls.sign)
      assert.has_error(function() client:call(nil, {}) end)
      assert.has_error(function() client:call("X", "PhoneNumber=1") end)
    end)

    it("turns a signing failure into an error without the secret", function()
      core.sign = function(t) error("cannot sign with " .. t.access_key_secret) end
      local res, err = client:call("X", {})
      expect_invalid(res, err, "signed", "****")
      assert.is_false(contains(err.message, SECRET))
      assert.equals(0, calls.request)
    end)
  end)

  describe("responses", function()
    local function call_with(status, headers, body)
      load(function()
        return status, headers, body
      end)
      local client = new_ok()
      return client:update_qrdl{ phone_number = "8615800000000", qrdl_code = "D9II3xxx",
        prefilled_message = "Hello", generate_qr_image = "SVG" }
    end

    it("turns Code ~= OK into an error, even with HTTP 200", function()
      local res, err = call_with(200, {}, '{"Code":"Product.Unsubscript","Message":"m","RequestId":"R1"}')
      assert.is_nil(res)
      assert.equals("Product.Unsubscript", err.code)
      assert.equals(200, err.status)
      assert.equals("R1", err.request_id)
      assert.is_false(err.retryable)
    end)

    it("fills every field of an API error", function()
      local res, err = call_with(400, { ["x-acs-request-id"] = "ignored" }, DENIED_BODY)
      assert.is_nil(res)
      assert.is_true(cams.errors.is_error(err))
      assert.equals("Ram.PermissionDeny", err.code)
      assert.equals("You are not authorized to perform the operation.", err.message)
      assert.equals(400, err.status)
      assert.equals("1612C226-E271-4CFE-9F18-4066D0000001", err.request_id)
      assert.equals('{"AuthAction":"cams:UpdatePhoneMessageQrdl"}', err.access_denied_detail)
      assert.equals("UpdatePhoneMessageQrdl", err.action)
      assert.is_false(err.retryable)
      assert.equals(1, err.attempts)
      assert.equals("cams: UpdatePhoneMessageQrdl failed: Ram.PermissionDeny: You are not authorized "
        .. "to perform the operation. (HTTP 400, RequestId 1612C226-E271-4CFE-9F18-4066D0000001)",
        tostring(err))
      assert.equals("x: " .. tostring(err), "x: " .. err)
    end)

    it("marks throttling and server errors retryable", function()
      local _, err = call_with(400, {}, '{"Code":"System.LimitControl","Message":"flow control"}')
      assert.is_true(err.retryable)
      _, err = call_with(503, {}, '{"Code":"Throttling.User","Message":"slow down"}')
      assert.is_true(err.retryable)
      _, err = call_with(500, {}, '{"Code":"InternalError","Message":"oops"}')
      assert.is_true(err.retryable)
    end)

    it("reports an HTTP error status without Code as HTTP.<status>", function()
      local _, err = call_with(404, { ["x-acs-request-id"] = "R404" }, '{"Message":"no such thing"}')
      assert.equals("HTTP.404", err.code)
      assert.equals(404, err.status)
      assert.equals("R404", err.request_id)
      assert.is_false(err.retryable)
      _, err = call_with(502, {}, "<html>Bad Gateway</html>")
      assert.equals("HTTP.502", err.code)
      assert.is_true(err.retryable)
      assert.is_true(contains(err.message, "Bad Gateway"))
    end)

    it("reports malformed JSON as Response.Malformed with the start of the body", function()
      local long = '{"Code":"OK", ' .. string.rep("x", 500)
      local res, err = call_with(200, {}, long)
      assert.is_nil(res)
      assert.equals("Response.Malformed", err.code)
      assert.equals(200, err.status)
      assert.equals(1, err.attempts)
      assert.is_false(err.retryable)
      assert.is_true(contains(err.message, '{"Code":"OK", xxx'))
      assert.is_false(contains(err.message, string.rep("x", 200)))
      for _, body in ipairs{ "", "null", "42", '"OK"', '[1,2]', "not json\r\n" } do
        res, err = call_with(200, {}, body)
        assert.is_nil(res, body)
        assert.equals("Response.Malformed", err.code, body)
        assert.is_nil(tostring(err):find("[\r\n]"), body)
      end
      res, err = call_with(200, {}, nil)
      assert.is_nil(res)
      assert.equals("Response.Malformed", err.code)
    end)

    it("does not crash on JSON null values", function()
      local res, err = call_with(400, {}, '{"Code":null,"Message":null,"RequestId":null}')
      assert.is_nil(res)
      assert.equals("HTTP.400", err.code)
      assert.is_string(tostring(err))
      res, err = call_with(200, {}, '{"Code":"OK","Data":null,"RequestId":"R"}')
      assert.is_nil(err)
      assert.equals("OK", res.Code)
    end)

    it("passes transport failures on with the core's code", function()
      local res, err = call_with(nil, "Transport.Timeout", "operation timed out after 10000 ms")
      assert.is_nil(res)
      assert.equals("Transport.Timeout", err.code)
      assert.equals("operation timed out after 10000 ms", err.message)
      assert.is_nil(err.status)
      assert.equals("UpdatePhoneMessageQrdl", err.action)
      assert.is_true(err.retryable)
      assert.equals(4, err.attempts) -- the first try and the default 3 retries
      assert.equals(4, calls.request)
      res, err = call_with(nil, "Transport.Connect", "connection refused")
      assert.is_nil(res)
      assert.is_true(err.retryable)
      res, err = call_with(nil, "Transport.TLS", "certificate verify failed")
      assert.is_nil(res)
      assert.equals("Transport.TLS", err.code)
      assert.is_false(err.retryable)
    end)

    it("turns a raising transport into Transport.Error", function()
      load(function()
        error("boom")
      end)
      local res, err = new_ok():call("X", {})
      assert.is_nil(res)
      assert.equals("Transport.Error", err.code)
    end)
  end)

  describe("default client", function()
    local args = { phone_number = "1", qrdl_code = "q", prefilled_message = "m", generate_qr_image = "SVG" }

    it("is built from the environment on first use and cached", function()
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
      local res, err = cams.update_qrdl(args)
      assert.is_nil(res)
      assert.equals("MissingCredentials", err.code)
      assert.is_nil(cams._default)
      env.ALIBABA_CLOUD_ACCESS_KEY_ID = KEY_ID
      env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = SECRET
      assert(cams.update_qrdl(args))
      local first = cams._default
      assert.is_table(first)
      assert(cams.call("ListPhoneMessageQrdl", { PhoneNumber = "1" }))
      assert.equals(first, cams._default)
      assert.equals(1, calls.http)
      assert.equals(2, calls.request)
    end)

    it("validates before sending", function()
      env.ALIBABA_CLOUD_ACCESS_KEY_ID = KEY_ID
      env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = SECRET
      local res, err = cams.update_qrdl{ phone_number = "1" }
      expect_invalid(res, err, "qrdl_code")
      assert.equals(0, calls.sign)
    end)
  end)

  describe("error objects", function()
    it("format as one line", function()
      local errors = require "cams.errors"
      local e = errors.new{ code = "InvalidParameter", message = "bad\nthing" }
      assert.equals("cams: InvalidParameter: bad thing", tostring(e))
      assert.equals(0, e.attempts)
      assert.is_false(e.retryable)
      e = errors.from_transport("ListPhoneMessageQrdl", "Transport.Connect", "refused")
      assert.equals("cams: ListPhoneMessageQrdl failed: Transport.Connect: refused", tostring(e))
      e = errors.new{ code = "Throttling.User", message = "m", attempts = 4, status = 400 }
      assert.equals("cams: Throttling.User: m (HTTP 400, 4 attempts)", tostring(e))
      assert.is_true(e.retryable)
    end)

    it("classify retryable failures", function()
      local errors = require "cams.errors"
      assert.is_true(errors.is_retryable("System.LimitControl", 400))
      assert.is_true(errors.is_retryable("Throttling", 400))
      assert.is_true(errors.is_retryable("ServiceUnavailable", 503))
      assert.is_true(errors.is_retryable("Whatever", 500))
      assert.is_true(errors.is_retryable("Transport.Connect"))
      assert.is_true(errors.is_retryable("Transport.Timeout"))
      assert.is_true(errors.is_retryable("Transport.Reset")) -- an answer lost, like a timeout
      assert.is_false(errors.is_retryable("Transport.TLS"))
      assert.is_false(errors.is_retryable("Transport.Resolve"))
      assert.is_false(errors.is_retryable("Ram.PermissionDeny", 400))
      assert.is_false(errors.is_retryable("InvalidParameter"))
    end)
  end)
end)

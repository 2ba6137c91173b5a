-- cams.new: options, defaults, the environment, credentials given in them, the proxy, the
-- CA file, and the endpoint (cams.config, cams.endpoint). A fake core stands in for the C
-- module (spec/support/fake_client.lua); the real thing is in spec/e2e/.
local fake_client = require "spec.support.fake_client"
local util = require "spec.support.util"

local KEY_ID, SECRET, TOKEN = fake_client.KEY_ID, fake_client.SECRET, fake_client.TOKEN
local contains, expect_invalid = util.contains, fake_client.expect_invalid

describe("cams.new", function()
  local f = fake_client.use()

  -- cams.new(opts) as it is (no test keys added) must fail with InvalidParameter
  local function rejects_raw(opts, ...)
    local c, err = f.cams.new(opts)
    return expect_invalid(c, err, ...)
  end

  it("takes credentials and settings from options", function()
    local c = f.new_ok{ security_token = TOKEN, region = "cn-hangzhou", signature = "v2",
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
    local c = f.new_ok()
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
    f.env.ALIBABA_CLOUD_ACCESS_KEY_ID = KEY_ID
    f.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = SECRET
    f.env.ALIBABA_CLOUD_SECURITY_TOKEN = TOKEN
    f.env.ALIBABA_CLOUD_REGION_ID = "eu-central-1"
    local c = assert(f.cams.new())
    assert.equals("environment", c.credentials_source)
    assert.equals("eu-central-1", c.region)
    assert.equals("https://cams.eu-central-1.aliyuncs.com", c.endpoint)
    f.env.ALIBABA_CLOUD_ENDPOINT = "cams.example.test:8443"
    c = assert(f.cams.new{})
    assert.equals("https://cams.example.test:8443", c.endpoint)
    assert.equals("eu-central-1", c.region)
    assert(c:update_qrdl{ phone_number = "1", qrdl_code = "q", prefilled_message = "m",
      generate_qr_image = "PNG" })
    assert.equals(TOKEN, f.calls.sign_args.security_token)
    assert.equals(SECRET, f.calls.sign_args.access_key_secret)
  end)

  it("prefers options over the environment", function()
    f.env.ALIBABA_CLOUD_ACCESS_KEY_ID = "LTAIenvironmentid0000"
    f.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = "env-secret"
    f.env.ALIBABA_CLOUD_SECURITY_TOKEN = "env-token"
    f.env.ALIBABA_CLOUD_REGION_ID = "eu-central-1"
    local c = f.new_ok{ region = "ap-southeast-1" }
    assert.equals("ap-southeast-1", c.region)
    assert(c:call("ListPhoneMessageQrdl", { PhoneNumber = "1" }))
    assert.equals(KEY_ID, f.calls.sign_args.access_key_id)
    assert.equals(SECRET, f.calls.sign_args.access_key_secret)
    assert.is_nil(f.calls.sign_args.security_token)
  end)

  it("reports missing credentials with the options and variables tried", function()
    f.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
    local c, err = f.cams.new()
    assert.is_nil(c)
    assert.equals("MissingCredentials", err.code)
    for _, name in ipairs{ "access_key_id", "access_key_secret", "ALIBABA_CLOUD_ACCESS_KEY_ID",
      "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN" } do
      assert.is_true(contains(err.message, name), name)
    end
    assert.equals(0, f.calls.http)
    f.env.ALIBABA_CLOUD_ACCESS_KEY_ID = KEY_ID
    c, err = f.cams.new()
    assert.is_nil(c)
    assert.equals("MissingCredentials", err.code)
    assert.is_true(contains(err.message, "ALIBABA_CLOUD_ACCESS_KEY_SECRET"))
    f.env.ALIBABA_CLOUD_ACCESS_KEY_ID = ""
    c, err = f.cams.new()
    assert.is_nil(c)
    assert.equals("MissingCredentials", err.code)
  end)

  it("refuses half a key pair", function()
    rejects_raw({ access_key_id = KEY_ID }, "access_key_secret")
    rejects_raw({ access_key_secret = SECRET }, "access_key_id")
    rejects_raw({ security_token = TOKEN }, "security_token")
  end)

  it("checks credential values without showing them", function()
    local err = f.rejects({ access_key_secret = SECRET .. "\n" }, "access_key_secret")
    assert.is_false(contains(err.message, SECRET))
    f.rejects({ access_key_id = 42 }, "access_key_id", "string")
    f.rejects({ security_token = "" }, "security_token", "empty")
    f.env.ALIBABA_CLOUD_ACCESS_KEY_ID = KEY_ID
    f.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = SECRET .. " "
    f.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
    local c
    c, err = f.cams.new()
    assert.is_nil(c)
    assert.equals("MissingCredentials", err.code)
    assert.is_true(contains(err.message, "ALIBABA_CLOUD_ACCESS_KEY_SECRET must not contain"))
    assert.is_false(contains(tostring(err), SECRET))
  end)

  it("decides the proxy itself and hands it to libcurl", function()
    local function proxy_of(opts)
      local c = f.new_ok(opts)
      assert(c:call("ListPhoneMessageQrdl", { PhoneNumber = "1" }))
      return f.calls.http_opts.proxy, f.calls.http_opts.noproxy
    end
    -- none: "" also stops libcurl from reading proxy variables on its own
    assert.same({ "" }, { proxy_of() })
    f.env.https_proxy = "http://lower.test:3128"
    assert.same({ "http://lower.test:3128" }, { proxy_of() })
    f.env.HTTPS_PROXY = "http://proxy.test:3128"
    f.env.NO_PROXY = "localhost,.internal"
    assert.same({ "http://proxy.test:3128", "localhost,.internal" }, { proxy_of() })
    assert.same({ "http://opt.test:8080", "example.com" },
      { proxy_of{ proxy = "http://opt.test:8080", no_proxy = "example.com" } })
    assert.same({ "", "localhost,.internal" }, { proxy_of{ proxy = false } })
    f.rejects({ proxy = 3128 }, "proxy")
    f.rejects({ proxy = "http://a b" }, "proxy")
    f.rejects({ no_proxy = true }, "no_proxy")
  end)

  it("takes the region from the aliyun CLI profile when none is given", function()
    local home = require("spec.support.tmphome").new()
    f.env.HOME = home.path
    home:write(".aliyun/config.json", [[{"current":"p","profiles":[{"name":"p","mode":"AK",]]
      .. [["access_key_id":"id","access_key_secret":"s","region_id":"cn-shanghai"}]}]])
    local ok, err = pcall(function()
      assert.equals("cn-shanghai", f.new_ok().region)
      assert.equals("cn-shanghai", assert(f.cams.new()).region) -- keys from the profile too
      f.env.ALIBABA_CLOUD_REGION_ID = "eu-central-1"
      assert.equals("eu-central-1", f.new_ok().region)
      assert.equals("ap-southeast-1", f.new_ok{ region = "ap-southeast-1" }.region)
      f.env.ALIBABA_CLOUD_REGION_ID = nil
      home:write(".aliyun/config.json", [[{"profiles":[{"name":"default","region_id":"Bad Region"}]}]])
      f.rejects(nil, "region_id of the aliyun CLI profile")
    end)
    home:remove()
    assert(ok, err)
  end)

  it("names an unknown option and suggests the closest one", function()
    f.rejects({ regoin = "x" }, "unknown option 'regoin'", "did you mean 'region'?")
    f.rejects({ acces_key_id = "x" }, "'acces_key_id'", "did you mean 'access_key_id'?")
    f.rejects({ timout = 1 }, "did you mean 'timeout'?")
    f.rejects({ zzzzzzzz = 1 }, "unknown option 'zzzzzzzz'", "known options:", "endpoint")
    f.rejects({ "positional" }, "number key")
  end)

  it("checks the type and range of each option", function()
    f.rejects({ region = "AP_SOUTH" }, "region")
    f.env.ALIBABA_CLOUD_REGION_ID = "bad region"
    f.rejects(nil, "ALIBABA_CLOUD_REGION_ID")
    f.env.ALIBABA_CLOUD_REGION_ID = nil
    f.rejects({ signature = "v4" }, "signature", "v3, v2")
    f.rejects({ timeout = 0 }, "timeout")
    f.rejects({ timeout = "10" }, "timeout")
    f.rejects({ connect_timeout = -1 }, "connect_timeout")
    f.rejects({ timeout = math.huge }, "timeout")
    f.rejects({ retries = -1 }, "retries")
    f.rejects({ retries = 1.5 }, "retries")
    f.rejects({ qps = true }, "qps")
    f.rejects({ qps = 0 }, "qps")
    assert.equals(2.5, f.new_ok{ qps = 2.5 }.qps)
    f.rejects({ allow_http = "yes" }, "allow_http", "boolean")
    f.rejects({ transport = "socket" }, "transport", "auto, curl, ngx")
    f.rejects({ endpoint = 443 }, "endpoint")
    assert.equals("curl", f.new_ok{ transport = "curl" }.transport)
  end)

  it("answers NotSupported for the ngx transport outside nginx", function()
    local c, err = f.new{ transport = "ngx" }
    assert.is_nil(c)
    assert.equals("NotSupported", err.code)
  end)

  it("requires a readable ca_file", function()
    f.rejects({ ca_file = "/nonexistent/dir/ca.pem" }, "ca_file", "/nonexistent/dir/ca.pem")
    f.rejects({ ca_file = "/" }, "ca_file")
    local path = os.tmpname()
    local file = assert(io.open(path, "wb"))
    file:write("-----BEGIN CERTIFICATE-----\n")
    file:close()
    local c = f.new_ok{ ca_file = path }
    os.remove(path)
    assert.equals(path, c.ca_file)
    c:update_qrdl{ phone_number = "1", qrdl_code = "q", prefilled_message = "m", generate_qr_image = "SVG" }
    assert.equals(path, f.calls.http_opts.ca_file)
  end)

  it("raises on a non-table argument", function()
    assert.has_error(function() f.cams.new("LTAI") end)
  end)
end)

describe("endpoint", function()
  local f = fake_client.use()

  local function ep(endpoint, allow_http)
    return f.new{ endpoint = endpoint, allow_http = allow_http }
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
    assert.equals("127.0.0.1:8443", f.calls.sign_args.host)
    assert.equals("https://127.0.0.1:8443/", f.calls.last_request.url)
  end)

  it("accepts an https URL with a port, and drops the default port", function()
    local c = assert(ep("https://Cams.Example.Test:9443"))
    assert.equals("https://cams.example.test:9443", c.endpoint)
    c = assert(ep("https://cams.example.test:443/"))
    assert.equals("https://cams.example.test", c.endpoint)
    assert.equals("cams.example.test", c.host)
  end)

  it("refuses http unless allow_http is set", function()
    local err = f.rejects({ endpoint = "http://127.0.0.1:8080" }, "http://", "allow_http", "unencrypted")
    assert.is_false(contains(err.message, SECRET))
    local c = assert(ep("http://127.0.0.1:8080", true))
    assert.equals("http://127.0.0.1:8080", c.endpoint)
    c = assert(ep("http://localhost:80", true))
    assert.equals("localhost", c.host)
    f.env.ALIBABA_CLOUD_ENDPOINT = "http://127.0.0.1:8080"
    f.rejects(nil, "ALIBABA_CLOUD_ENDPOINT", "http://")
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

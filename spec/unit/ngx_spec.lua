-- The nginx side of lua-cams without nginx: transport choice by phase, the options that
-- only make sense inside nginx and URL handling of the cosocket transport, with a stand-in
-- `ngx` global (spec/support/fake_ngx.lua). spec/e2e/nginx_spec.lua runs the real thing;
-- the shared-dict rate limiter is in ratelimit_spec.lua.
local fake_client = require "spec.support.fake_client"
local fake_ngx = require "spec.support.fake_ngx"

describe("inside nginx (stand-in ngx)", function()
  local f = fake_client.use(function() return 200, {}, '{"Code":"OK"}' end)
  local select_transport, ngx_transport

  before_each(function()
    select_transport = require "cams.transport.select"
    ngx_transport = require "cams.transport.ngx"
  end)

  after_each(function()
    rawset(_G, "ngx", nil)
  end)

  local ARGS = { phone_number = "1", qrdl_code = "q", prefilled_message = "m",
    generate_qr_image = "PNG" }

  for _, phase in ipairs{ "init", "init_worker", "set", "header_filter", "body_filter", "log",
                          "balancer" } do
    it("refuses the " .. phase .. " phase without sleeping or sending", function()
      rawset(_G, "ngx", fake_ngx.new(phase))
      local c = assert(f.new{ qps = 1 })
      for _ = 1, 2 do -- a second call would have to wait for a rate-limit slot
        local res, err = c:update_qrdl(ARGS)
        assert.is_nil(res)
        assert.equals("NotSupported", err.code)
        assert.truthy(err.message:find(phase .. " phase", 1, true))
        assert.truthy(err.message:find("ngx.timer.at", 1, true))
        assert.equals(0, err.attempts)
        assert.is_false(err.retryable)
      end
      assert.equals(0, f.calls.slept)
      assert.equals(0, f.calls.request)
    end)
  end

  it("uses libcurl in any phase when told to", function()
    rawset(_G, "ngx", fake_ngx.new("log"))
    local c = assert(f.new{ transport = "curl" })
    assert(c:update_qrdl(ARGS))
    assert.equals(1, f.calls.request)
  end)

  it("uses cosockets where nginx allows them", function()
    for _, phase in ipairs{ "rewrite", "server_rewrite", "access", "content", "timer",
                            "ssl_cert" } do
      rawset(_G, "ngx", fake_ngx.new(phase))
      for _, mode in ipairs{ "auto", "ngx" } do
        local t = select_transport.new(f.core, {}, mode)
        assert.equals(ngx_transport.Transport, getmetatable(t), phase .. " " .. mode)
        assert.is_true(t:ready())
      end
    end
  end)

  it("uses libcurl outside nginx, and refuses 'ngx' there at cams.new", function()
    local t = select_transport.new(f.core, {}, "auto")
    assert.is_true(t:ready())
    assert.are_not.equal(ngx_transport.Transport, getmetatable(t))
    local c, err = f.new{ transport = "ngx" }
    assert.is_nil(c)
    assert.equals("NotSupported", err.code)
    assert.truthy(err.message:find("needs nginx", 1, true))
  end)

  it("checks shared_dict: a string naming a lua_shared_dict, only inside nginx", function()
    local c, err = f.new{ shared_dict = "limits" }
    assert.is_nil(c)
    assert.equals("InvalidParameter", err.code)
    assert.truthy(err.message:find("needs nginx", 1, true))
    rawset(_G, "ngx", fake_ngx.new("init", { limits = fake_ngx.dict() }))
    assert.equals("limits", assert(f.new{ shared_dict = "limits" }).shared_dict)
    c, err = f.new{ shared_dict = "other" }
    assert.is_nil(c)
    assert.truthy(err.message:find("lua_shared_dict other", 1, true))
    c, err = f.new{ shared_dict = 5 }
    assert.is_nil(c)
    assert.equals("InvalidParameter", err.code)
  end)

  it("refuses ca_file where cosockets would ignore it", function()
    rawset(_G, "ngx", fake_ngx.new("init"))
    local c, err = f.new{ ca_file = "/etc/hostname" }
    assert.is_nil(c)
    assert.truthy(err.message:find("lua_ssl_trusted_certificate", 1, true))
    assert(f.new{ ca_file = "/etc/hostname", transport = "curl" })
  end)

  it("tells time with ngx.now inside nginx", function()
    rawset(_G, "ngx", fake_ngx.new("content"))
    assert.equals(1000, require("cams.clock").new(f.core).now())
  end)
end)

describe("cosocket transport URLs", function()
  local parse = require("cams.transport.ngx").parse_url

  it("splits host, port and target and names the TLS server only by DNS name", function()
    local u = parse("https://cams.ap-southeast-1.aliyuncs.com/?a=b")
    assert.equals("cams.ap-southeast-1.aliyuncs.com", u.host)
    assert.equals(443, u.port)
    assert.is_true(u.tls)
    assert.equals("cams.ap-southeast-1.aliyuncs.com", u.server_name)
    assert.equals("/?a=b", u.target)
    u = parse("https://127.0.0.1:8443")
    assert.equals(8443, u.port)
    assert.equals("127.0.0.1:8443", u.authority)
    assert.is_nil(u.server_name)
    assert.equals("/", u.target)
    u = parse("http://[::1]:8080/x")
    assert.equals("[::1]", u.host)
    assert.equals(8080, u.port)
    assert.is_false(u.tls)
    assert.is_nil(u.server_name)
    assert.is_nil(parse("ftp://host/"))
    assert.is_nil(parse("https://host:0/"))
    assert.is_nil(parse("https://host:99999/"))
  end)
end)

-- The nginx side of lua-cams without nginx: transport choice by phase, the options that
-- only make sense inside nginx, URL handling of the cosocket transport and the shared-dict
-- rate limiter, with a stand-in `ngx` global. spec/e2e/nginx_spec.lua runs the real thing.
local shdict = require "cams.ratelimit.shdict"
local fake_core = require "spec.support.fake_core"
local fresh = require "spec.support.fresh"

-- A dict with the ngx.shared.DICT methods the limiter uses.
local function fake_dict()
  local data = {}
  local d = { data = data, adds = 0 }
  function d.add(_, k, v)
    d.adds = d.adds + 1
    if data[k] ~= nil then return false, "exists" end
    data[k] = v
    return true
  end
  function d.get(_, k) return data[k] end
  function d.set(_, k, v) data[k] = v return true end
  function d.delete(_, k) data[k] = nil end
  return d
end

local function fake_ngx(phase, shared)
  return {
    get_phase = function() return phase end,
    now = function() return 1000 end,
    update_time = function() end,
    sleep = function() error("ngx.sleep called") end,
    shared = shared or {},
  }
end

describe("inside nginx (stand-in ngx)", function()
  local cams, core, calls, select_transport, ngx_transport

  before_each(function()
    core, calls = fake_core.new(function() return 200, {}, '{"Code":"OK"}' end)
    cams = fresh.load{ ["cams.core"] = core }
    select_transport = require "cams.transport.select"
    ngx_transport = require "cams.transport.ngx"
    cams._getenv = function() return nil end
  end)

  after_each(function()
    rawset(_G, "ngx", nil)
  end)

  teardown(function()
    fresh.restore()
  end)

  local function new(opts)
    local o = { access_key_id = "id", access_key_secret = "secret" }
    for k, v in pairs(opts or {}) do o[k] = v end
    return cams.new(o)
  end

  local ARGS = { phone_number = "1", qrdl_code = "q", prefilled_message = "m",
    generate_qr_image = "PNG" }

  for _, phase in ipairs{ "init", "init_worker", "set", "header_filter", "body_filter", "log",
                          "balancer" } do
    it("refuses the " .. phase .. " phase without sleeping or sending", function()
      rawset(_G, "ngx", fake_ngx(phase))
      local c = assert(new{ qps = 1 })
      for _ = 1, 2 do -- a second call would have to wait for a rate-limit slot
        local res, err = c:update_qrdl(ARGS)
        assert.is_nil(res)
        assert.equals("NotSupported", err.code)
        assert.truthy(err.message:find(phase .. " phase", 1, true))
        assert.truthy(err.message:find("ngx.timer.at", 1, true))
        assert.equals(0, err.attempts)
        assert.is_false(err.retryable)
      end
      assert.equals(0, calls.slept)
      assert.equals(0, calls.request)
    end)
  end

  it("uses libcurl in any phase when told to", function()
    rawset(_G, "ngx", fake_ngx("log"))
    local c = assert(new{ transport = "curl" })
    assert(c:update_qrdl(ARGS))
    assert.equals(1, calls.request)
  end)

  it("uses cosockets where nginx allows them", function()
    for _, phase in ipairs{ "rewrite", "server_rewrite", "access", "content", "timer",
                            "ssl_cert" } do
      rawset(_G, "ngx", fake_ngx(phase))
      for _, mode in ipairs{ "auto", "ngx" } do
        local t = select_transport.new(core, {}, mode)
        assert.equals(ngx_transport.Transport, getmetatable(t), phase .. " " .. mode)
        assert.is_true(t:ready())
      end
    end
  end)

  it("uses libcurl outside nginx, and refuses 'ngx' there at cams.new", function()
    local t = select_transport.new(core, {}, "auto")
    assert.is_true(t:ready())
    assert.are_not.equal(ngx_transport.Transport, getmetatable(t))
    local c, err = new{ transport = "ngx" }
    assert.is_nil(c)
    assert.equals("NotSupported", err.code)
    assert.truthy(err.message:find("needs nginx", 1, true))
  end)

  it("checks shared_dict: a string naming a lua_shared_dict, only inside nginx", function()
    local c, err = new{ shared_dict = "limits" }
    assert.is_nil(c)
    assert.equals("InvalidParameter", err.code)
    assert.truthy(err.message:find("needs nginx", 1, true))
    rawset(_G, "ngx", fake_ngx("init", { limits = fake_dict() }))
    assert.equals("limits", assert(new{ shared_dict = "limits" }).shared_dict)
    c, err = new{ shared_dict = "other" }
    assert.is_nil(c)
    assert.truthy(err.message:find("lua_shared_dict other", 1, true))
    c, err = new{ shared_dict = 5 }
    assert.is_nil(c)
    assert.equals("InvalidParameter", err.code)
  end)

  it("refuses ca_file where cosockets would ignore it", function()
    rawset(_G, "ngx", fake_ngx("init"))
    local c, err = new{ ca_file = "/etc/hostname" }
    assert.is_nil(c)
    assert.truthy(err.message:find("lua_ssl_trusted_certificate", 1, true))
    assert(new{ ca_file = "/etc/hostname", transport = "curl" })
  end)

  it("tells time with ngx.now inside nginx", function()
    rawset(_G, "ngx", fake_ngx("content"))
    assert.equals(1000, require("cams.clock").new(core).now())
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

describe("shared-dict rate limiter", function()
  local gap5, gap2 = shdict.interval(5), shdict.interval(2)

  it("spaces reservations 1/qps (and a margin) apart for every worker sharing the dict",
    function()
      assert.is_true(gap5 >= 1 / 5 and gap5 < 1 / 5 * 1.1)
      local dict = fake_dict()
      local a, b = shdict.new(dict), shdict.new(dict) -- two workers
      assert.equals(0, a:reserve("X", 5, 10))
      assert.near(gap5, b:reserve("X", 5, 10), 1e-9)
      assert.near(2 * gap5, a:reserve("X", 5, 10), 1e-9)
      assert.equals(0, b:reserve("Y", 5, 10))
      assert.near(3 * gap5 - 0.3, b:reserve("X", 5, 10.3), 1e-9)
      assert.equals(0, a:reserve("X", 5, 100)) -- unused time is not banked
      assert.near(gap5, b:reserve("X", 5, 100), 1e-9)
    end)

  it("gives a slot back only while nobody has reserved after it", function()
    local dict = fake_dict()
    local a, b = shdict.new(dict), shdict.new(dict)
    a:reserve("X", 2, 0)
    a:reserve("X", 2, 0)
    a:release("X", 2)
    assert.near(gap2, b:reserve("X", 2, 0), 1e-9)
    a:reserve("X", 2, 0) -- slot at 2 gaps
    b:reserve("X", 2, 0) -- slot at 3 gaps
    a:release("X", 2) -- too late: b holds the slot after it
    assert.near(4 * gap2, b:reserve("X", 2, 0), 1e-9)
  end)

  it("waits while another worker holds the lock, and leaves no lock behind", function()
    local dict = fake_dict()
    local waits = 0
    local l = shdict.new(dict, function()
      waits = waits + 1
      if waits == 3 then dict:delete(shdict.PREFIX .. "X:lock") end -- the other one is done
    end)
    dict:add(shdict.PREFIX .. "X:lock", true)
    assert.equals(0, l:reserve("X", 5, 0))
    assert.equals(3, waits)
    assert.is_nil(dict:get(shdict.PREFIX .. "X:lock"))
  end)
end)

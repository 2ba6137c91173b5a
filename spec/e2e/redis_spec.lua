-- Pacing across machines through a real redis-server (spec/support/redis.lua), outside
-- nginx, against the mock CAMS server: clients that share one schedule, the script loaded
-- again after a flush or a restart, Redis down, frozen or refusing the password, a throttling
-- answer pushing the shared schedule back, and the cams command's --redis. Several nginx
-- nodes sharing one key are in spec/e2e/nginx_redis_spec.lua.
local core = require "cams.core"
local mock_client = require "spec.support.mock_client"
local redis = require "spec.support.redis"
local util = require "spec.support.util"
local redis_ratelimit = require "cams.ratelimit.redis"

local PHONE = "8615800000077"
local SLACK = 1 -- seconds a loaded machine may add to a bound
local STEP = 1.05 / 5 -- seconds between two shared slots at 5 calls/s
local LUA = rawget(_G, "jit") and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
-- awkward bytes for a URL (percent-encoded there) and for redis.conf (no spaces, no quotes)
local PASSWORD = "p@ss%w:rd/?x&y=z"

describe("pacing across machines on Redis", function()
  local m, client = mock_client.use(nil, { keep_codes = true })
  local r, messages

  setup(function() r = redis.start() end)
  teardown(function() if r then r:stop() end end)

  before_each(function()
    if not r:alive() then r:restart() end
    r:thaw()
    assert.equals("OK", r:cli("FLUSHALL"))
    messages = {}
  end)
  after_each(function() r:thaw() end)

  local function debug(msg) messages[#messages + 1] = msg end

  local function key(action)
    return "cams:rate:127.0.0.1:" .. m.https_port .. ":" .. (action or "UpdatePhoneMessageQrdl")
  end

  -- One update; returns the body or nil, the error, and the seconds it took.
  local function update(c)
    local t0 = core.monotonic()
    local res, err = c:update_qrdl{ phone_number = PHONE, qrdl_code = "D9II3RDS",
      prefilled_message = "Hi", generate_qr_image = "SVG" }
    return res, err, core.monotonic() - t0
  end

  -- The mock's clock at each recorded API request, oldest first.
  local function request_times()
    local t = {}
    for _, rec in ipairs(m:requests()) do t[#t + 1] = rec.time end
    return t
  end

  it("shares one schedule per endpoint and action between clients, as on two machines",
    function()
      local a, b = client{ redis = r.url, debug = debug }, client{ redis = r.url, debug = debug }
      for i = 1, 6 do
        assert.is_truthy(update(i % 2 == 1 and a or b))
      end
      local times = request_times()
      assert.equals(6, #times)
      -- one call each STEP: no earlier (a call can only be late, so the bound is a low one)
      assert.is_true(times[6] - times[1] >= 5 * STEP - 0.1, times[6] - times[1])
      local ttl = tonumber(r:cli("PTTL", key()))
      assert.is_true(ttl > 0 and ttl <= 1000 + STEP * 1000 + 1, ttl)
      assert.is_truthy(a:list_qrdl{ phone_number = PHONE })
      assert.equals("1", r:cli("EXISTS", key("ListPhoneMessageQrdl")))
      assert.same({}, messages)
    end)

  it("keys are rate_limit_key:<action>, in the URL's database", function()
    local c = client{ redis = r.url .. "/3", rate_limit_key = "cams:rate:acct-7" }
    assert.is_truthy(update(c))
    assert.equals("1", r:cli("-n", "3", "EXISTS", "cams:rate:acct-7:UpdatePhoneMessageQrdl"))
    assert.equals("0", r:cli("EXISTS", "cams:rate:acct-7:UpdatePhoneMessageQrdl"))
  end)

  it("runs the script again after SCRIPT FLUSH and after a restart, still shared", function()
    local sha = r:cli("SCRIPT", "LOAD", redis_ratelimit.SCRIPT)
    local c = client{ redis = r.url, debug = debug }
    assert.is_truthy(update(c))
    assert.equals("OK", r:cli("SCRIPT", "FLUSH"))
    assert.equals("0", r:cli("SCRIPT", "EXISTS", sha))
    assert.is_truthy(update(c))
    assert.equals("1", r:cli("SCRIPT", "EXISTS", sha))
    r:restart() -- the kept connection is closed, the script and the keys gone
    assert.is_truthy(update(c))
    assert.equals("1", r:cli("EXISTS", key()))
    assert.same({}, messages)
  end)

  it("paces alone while Redis is down, says so once, and shares again once it is back",
    function()
      local c = client{ redis = r.url, debug = debug }
      assert.is_truthy(update(c))
      r:kill()
      for _ = 1, 3 do
        local res, err = update(c)
        assert.is_truthy(res, tostring(err))
      end
      assert.equals(1, #messages)
      assert.matches("Redis at 127%.0%.0%.1:" .. r.port .. "/0 failed %(connection refused%); "
        .. "pacing this process alone at the full limit", messages[1])
      -- its own pacing: still one call each STEP
      local times = request_times()
      assert.is_true(times[4] - times[2] >= 2 * STEP - 0.1)
      r:restart()
      local calls = 0
      while #messages < 2 do -- Redis is tried again at most once a second
        calls = calls + 1
        assert.is_true(calls <= 5 / STEP * redis_ratelimit.RETRY_AFTER + 20, "never back")
        assert.is_truthy(update(c))
      end
      assert.matches("Redis at 127%.0%.0%.1:" .. r.port .. "/0 answers again", messages[2])
      assert.equals("1", r:cli("EXISTS", key()))
    end)

  it("with on_redis_error = 'fail' refuses the call while Redis is down, sending nothing",
    function()
      r:kill()
      local c = client{ redis = r.url, on_redis_error = "fail", debug = debug }
      local res, err = update(c)
      assert.is_nil(res)
      assert.equals("RateLimit.Unavailable", err.code)
      assert.equals("UpdatePhoneMessageQrdl", err.action)
      assert.equals(0, err.attempts)
      assert.is_false(err.retryable)
      assert.matches("Redis at 127%.0%.0%.1:" .. r.port .. "/0 failed", tostring(err))
      assert.equals(0, m:request_count())
      assert.equals(1, #messages)
    end)

  it("never waits past the deadline for a Redis that does not answer", function()
    local c = client{ redis = r.url, redis_timeout = 0.3, deadline = 3, debug = debug }
    assert.is_truthy(update(c))
    r:freeze() -- connections are accepted by the kernel, nothing is answered
    local res, err, took = update(c)
    assert.is_truthy(res, tostring(err))
    assert.is_true(took < 0.3 + SLACK, took)
    assert.matches("failed %(timeout%)", messages[1])
    -- the next calls do not wait for it
    res, err, took = update(c)
    assert.is_truthy(res, tostring(err))
    assert.is_true(took < STEP + SLACK, took)

    -- a timeout longer than the call's deadline: the deadline wins
    local strict = client{ redis = r.url, redis_timeout = 5, deadline = 0.5,
      on_redis_error = "fail" }
    res, err, took = update(strict)
    assert.is_nil(res)
    assert.equals("RateLimit.Unavailable", err.code)
    assert.is_true(took < 0.5 + SLACK, took)
  end)

  it("pushes the shared schedule back when the API throttles a call", function()
    local c = client{ redis = r.url, retry_base_delay = 0.001, retry_max_delay = 0.001 }
    m:fail("System.LimitControl")
    assert.is_truthy(update(c))
    local recs = m:requests()
    assert.equals(2, #recs)
    assert.equals("System.LimitControl", recs[1].code)
    -- the retry took the first slot after the pause, not the next one (STEP)
    assert.is_true(recs[2].time - recs[1].time >= redis_ratelimit.PAUSE - 0.1,
      recs[2].time - recs[1].time)
  end)

  describe("with a password", function()
    local secure
    setup(function()
      secure = redis.start{ password = "default-" .. PASSWORD, user = "cams",
        user_password = PASSWORD }
    end)
    teardown(function() if secure then secure:stop() end end)

    -- Every form of the password a message could carry.
    local function assert_hidden(text)
      text = tostring(text)
      for _, form in ipairs{ PASSWORD, core.percent_encode(PASSWORD, "strict"),
        core.percent_encode(PASSWORD, "form"), secure:url_for("cams", PASSWORD) } do
        assert.is_nil(text:find(form, 1, true), text)
      end
    end

    it("authenticates as the URL's user, and shows the password nowhere", function()
      local traced = {}
      local c = client{ redis = secure:url_for("cams", PASSWORD, 2), debug = debug,
        trace = function(event, t) traced[#traced + 1] = event .. require("cjson").encode(t) end }
      assert.is_truthy(update(c))
      assert.equals("1", secure:cli("-n", "2", "EXISTS", key()))
      local bad = client{ redis = secure:url_for("cams", PASSWORD .. "x"), debug = debug,
        on_redis_error = "fail" }
      local res, err = update(bad)
      assert.is_nil(res)
      assert.matches("AUTH: WRONGPASS", err.message)
      for _, text in ipairs{ tostring(err), tostring(c), tostring(bad),
        table.concat(messages, "\n"), table.concat(traced, "\n") } do
        assert_hidden(text)
      end
      for _, cl in ipairs{ c, bad } do
        for k, v in pairs(cl) do assert_hidden(tostring(k) .. "=" .. tostring(v)) end
      end
    end)

    it("cams --redis keeps the password out of its output", function()
      local dir = util.tmpdir("redis-cli")
      local function cams(args, env)
        local vars = util.merge(mock_client.environment(m, { ALIBABA_CLOUD_SECURITY_TOKEN = "",
          ALIBABA_CLOUD_REGION_ID = "", ALIBABA_CLOUD_PROFILE = "" }), env)
        local parts = { "env" }
        for k, v in pairs(vars) do parts[#parts + 1] = util.q(k .. "=" .. v) end
        parts[#parts + 1] = LUA
        parts[#parts + 1] = util.q(util.capture("pwd") .. "/bin/cams")
        for _, a in ipairs(args) do parts[#parts + 1] = util.q(a) end
        local out = util.output(table.concat(parts, " ") .. " </dev/null 2>" .. util.q(dir
          .. "/err") .. "; echo \"__status=$?\"")
        return tonumber(out:match("__status=(%d+)%s*$")), out:gsub("__status=%d+%s*$", ""),
          util.read_file(dir .. "/err") or ""
      end
      local csv = dir .. "/codes.csv"
      util.write_file(csv, "phone_number,qrdl_code,prefilled_message,generate_qr_image\n"
        .. PHONE .. ",D9II3B01,Hi,SVG\n" .. PHONE .. ",D9II3B02,Hi,SVG\n"
        .. PHONE .. ",D9II3B03,Hi,SVG\n")
      local sha = secure:cli("SCRIPT", "LOAD", redis_ratelimit.SCRIPT)
      assert.equals("OK", secure:cli("SCRIPT", "FLUSH"))
      local status, out, err = cams{ "--redis", secure:url_for("cams", PASSWORD), "--debug",
        "qrdl", "update-batch", csv, "--yes", "--output-file", dir .. "/out.csv" }
      assert.equals(0, status, err)
      assert.equals("1", secure:cli("SCRIPT", "EXISTS", sha)) -- paced through this Redis
      assert.equals(3, m:request_count())
      assert_hidden(out .. err)
      -- CAMS_REDIS_URL, a wrong password: paced alone, and said so on --debug
      status, out, err = cams({ "--debug", "qrdl", "list", "--phone-number", PHONE },
        { CAMS_REDIS_URL = secure:url_for("cams", PASSWORD .. "x") })
      assert.equals(0, status, err)
      assert.matches("rate limit: Redis at 127%.0%.0%.1:" .. secure.port
        .. "/0 failed %(AUTH: WRONGPASS", err)
      assert_hidden(out .. err)
      -- a URL it cannot take: a usage error that does not quote it
      status, out, err = cams{ "--redis", "redis://cams:" .. PASSWORD .. "@127.0.0.1:0",
        "qrdl", "list", "--phone-number", PHONE }
      assert.equals(2, status)
      assert.matches("redis must be a URL redis://", err)
      assert_hidden(out .. err)
      util.remove_tmpdir(dir)
    end)
  end)
end)

-- Pacing across machines through Redis (cams.ratelimit.redis and its pieces) on an
-- in-process Redis (spec/support/fake_redis.lua) that runs the limiter's own script, on a
-- fake clock: the script's arithmetic, the RESP2 connection, the URL, and what the limiter
-- does when Redis fails. spec/e2e/redis_spec.lua runs the same against a real redis-server.
local fake_redis = require "spec.support.fake_redis"
local ratelimit = require "cams.ratelimit"
local redis = require "cams.ratelimit.redis"
local redis_url = require "cams.ratelimit.redis_url"
local resp = require "cams.ratelimit.resp"
local pace = require "cams.pace"
local config = require "cams.config"
local fake_ngx = require "spec.support.fake_ngx"

local STEP5 = 210000 -- microseconds between two slots at 5 calls/s, with the 5% margin
local KEY = "cams:rate:h:A"

describe("the Redis rate-limit script", function()
  local clock, server
  before_each(function()
    clock = fake_redis.clock(1000)
    server = fake_redis.server(clock)
  end)

  local function run(mode, step, value)
    return fake_redis.run_script(server, redis.SCRIPT, { KEY },
      { mode, tostring(step), tostring(value or 0) })
  end

  it("spaces slots 1/qps apart, plus 5%, on Redis's clock", function()
    assert.equals(STEP5, redis.step(5))
    assert.equals(math.floor(ratelimit.MARGIN * 1e6 + 0.5), redis.step(1))
    local now = 1000 * 1000000
    assert.same({ 0, now + STEP5 }, run("reserve", STEP5))
    assert.same({ STEP5, now + 2 * STEP5 }, run("reserve", STEP5))
    assert.same({ 2 * STEP5, now + 3 * STEP5 }, run("reserve", STEP5))
    assert.equals(tostring(now + 3 * STEP5), server.data[KEY])
    clock.t = 1000.3
    assert.same({ 3 * STEP5 - 300000, now + 4 * STEP5 }, run("reserve", STEP5))
  end)

  it("never puts qps + 1 slots into one second", function()
    local waits = {}
    for i = 1, 6 do waits[i] = run("reserve", redis.step(5))[1] end
    assert.is_true(waits[6] - waits[1] > 1000000)
  end)

  it("does not bank unused time, and the key expires a second after its last slot", function()
    run("reserve", STEP5)
    assert.equals(math.floor(STEP5 / 1000) + 1000, server.ttl)
    clock.t = 1000.5 -- past the last slot, the key not yet expired
    assert.same({ 0, 1000500000 + STEP5 }, run("reserve", STEP5))
    clock.t = 2000
    assert.equals(0, run("reserve", STEP5)[1])
  end)

  it("gives a slot back only while nobody has reserved after it", function()
    local mine = run("reserve", STEP5)[2]
    local theirs = run("reserve", STEP5)[2]
    assert.same({ 0, theirs }, run("release", STEP5, mine)) -- someone reserved after it
    assert.equals(tostring(theirs), server.data[KEY])
    run("release", STEP5, theirs)
    assert.equals(tostring(mine), server.data[KEY])
    run("release", STEP5, mine) -- back to now: nothing left to keep
    assert.is_nil(server.data[KEY])
    assert.same({ 0, 0 }, run("release", STEP5, mine))
  end)

  it("pauses: no slot before now + the pause, a later schedule kept", function()
    local now = 1000 * 1000000
    assert.same({ 0, now + 1000000 }, run("pause", 1000000))
    assert.same({ 1000000, now + 1000000 + STEP5 }, run("reserve", STEP5))
    for _ = 1, 8 do run("reserve", STEP5) end
    local later = tonumber(server.data[KEY])
    assert.same({ 0, later }, run("pause", 1000000))
  end)

  it("writes whole microseconds in full, beyond Lua 5.1's 14 digits", function()
    clock.t = 1765432109.123456
    local at = run("reserve", STEP5)[2]
    assert.equals("1765432109333456", server.data[KEY])
    assert.equals(1765432109333456, at)
  end)

  it("refuses an unknown mode", function()
    assert.same({ err = "unknown mode" }, run("nonsense", 1))
  end)
end)

describe("redis URL", function()
  it("takes host, port, database, user and password (percent-decoded)", function()
    local t = assert(redis_url.parse("redis://cams:p%40ss%3Aw@10.0.0.5:6380/2", "redis"))
    assert.same({ host = "10.0.0.5", port = 6380, db = 2, user = "cams", password = "p@ss:w",
      label = "10.0.0.5:6380/2" }, t)
    t = assert(redis_url.parse("redis://:secret@cache.internal", "redis"))
    assert.same({ "cache.internal", 6379, 0, nil, "secret" },
      { t.host, t.port, t.db, t.user, t.password })
    t = assert(redis_url.parse("redis://[::1]:7000/", "redis"))
    assert.same({ "::1", 7000, 0, "[::1]:7000/0" }, { t.host, t.port, t.db, t.label })
  end)

  it("refuses what it does not understand, never quoting the URL", function()
    for _, url in ipairs{ "http://h:1", "rediss://u:pw1@h:1", "redis://u:pw1@h:99999",
      "redis://u:pw1@h:1/x", "redis://u:pw1@h:1?db=1", "redis://u:pw1 @h:1", "redis://pw1@",
      "redis://u:%zzpw1@h", "redis://nocolonpw1@h:1", "h:1", "redis://u:@h" } do
      local t, msg = redis_url.parse(url, "CAMS_REDIS_URL")
      assert.is_nil(t, url)
      assert.matches("^CAMS_REDIS_URL must be a URL redis://", msg)
      assert.is_nil(msg:find("pw1", 1, true), msg)
    end
  end)
end)

describe("RESP2 connection", function()
  it("encodes commands as arrays of bulk strings, whole numbers in full", function()
    assert.equals("*3\r\n$4\r\nEVAL\r\n$4\r\na\r\nb\r\n$16\r\n1765432109333456\r\n",
      resp.encode{ "EVAL", "a\r\nb", 1765432109333456 })
    assert.equals("*1\r\n$0\r\n\r\n", resp.encode{ "" })
  end)

  it("reads every reply kind, and keeps a connection that Redis answered with an error",
    function()
      local clock = fake_redis.clock(0)
      local server = fake_redis.server(clock)
      local c = assert(resp.connect({ host = "h", port = 1, db = 0 }, 10, clock,
        server:socket()))
      assert.equals(fake_redis.SHA, c:call("SCRIPT", "LOAD", "return 1"))
      local v, err, by_redis = c:call("EVALSHA", "nope", 0)
      assert.is_nil(v)
      assert.matches("^NOSCRIPT", err)
      assert.is_true(by_redis)
      assert.is_true(c:usable())
      assert.same({ 1, "x", false, { 2 } }, c:call("EVAL", "return { 1, 'x', false, { 2 } }", 0))
    end)

  it("authenticates and selects its database on a fresh connection only", function()
    local clock = fake_redis.clock(0)
    local server = fake_redis.server(clock)
    server.password, server.user = "pw", "cams"
    local c = assert(resp.connect({ host = "h", port = 1, db = 3, user = "cams",
      password = "pw" }, 10, clock, server:socket()))
    assert.same({ "AUTH", "SELECT" }, server.log)
    assert.equals(3, server.conns[1].db)
    server.password = "other"
    local _, err = resp.connect({ host = "h", port = 1, db = 0, user = "cams", password = "pw" },
      10, clock, server:socket())
    assert.matches("^AUTH: WRONGPASS", err)
    assert.is_true(c:usable())
  end)

  it("bounds every operation by one deadline", function()
    local clock = fake_redis.clock(0)
    local server = fake_redis.server(clock)
    local socket = server:socket()
    server.silent = true
    local _, err = resp.connect({ host = "h", port = 1, db = 0 }, 0.25, clock, socket)
    assert.equals("timeout", err)
    assert.equals(0.25, clock.t)
    server.silent = false
    local c = assert(resp.connect({ host = "h", port = 1, db = 0 }, 0.5, clock, socket))
    server.silent = true
    assert.is_nil(c:call("EVAL", "return 1", 0))
    assert.near(0.5, clock.t, 1e-9)
    assert.is_false(c:usable())
  end)
end)

describe("Redis rate limiter", function()
  local clock, server, messages

  -- Redis goes away: its connections closed, new ones refused.
  local function down()
    server:restart()
    server.refuse = true
  end

  -- The commands clients sent (not those the script made).
  local function commands()
    local out = {}
    for _, c in ipairs(server.log) do
      if not c:find("^script:") then out[#out + 1] = c end
    end
    return out
  end

  local function limiter(opts)
    opts = opts or {}
    return assert(redis.new{
      target = opts.target or { host = "127.0.0.9", port = 6379, db = 0, label = "127.0.0.9:6379/0",
        user = opts.user, password = opts.password },
      prefix = "cams:rate:h", timeout = opts.timeout or 0.2, on_error = opts.on_error or "local",
      fallback = opts.fallback or ratelimit.new(), fallback_name = "this process alone",
      clock = clock, socket = server:socket(),
      log = function(m) messages[#messages + 1] = m end,
      encode = function(s) return (s:gsub("[^%w]", function(ch)
        return string.format("%%%02X", ch:byte()) end)) end,
    })
  end

  before_each(function()
    clock = fake_redis.clock(1000)
    server = fake_redis.server(clock)
    messages = {}
  end)

  it("shares one schedule between limiters of different machines", function()
    local a, b = limiter(), limiter()
    assert.equals(0, a:reserve("A", 5, clock.now(), 10))
    assert.near(0.21, b:reserve("A", 5, clock.now(), 10), 1e-9)
    assert.near(0.42, a:reserve("A", 5, clock.now(), 10), 1e-9)
    assert.equals(0, b:reserve("B", 5, clock.now(), 10))
    assert.equals("127.0.0.9:6379", server.last_target)
    assert.same({}, messages)
  end)

  it("keeps its connection and runs the script by its hash once it is loaded", function()
    local a = limiter()
    for _ = 1, 5 do a:reserve("A", 5, clock.now(), 10) end
    assert.equals(1, server.connects)
    assert.equals(5, server:count("EVALSHA"))
    assert.is_true(server:count("SCRIPT") + server:count("EVAL") <= 1)
  end)

  it("sends the script itself after NOSCRIPT (a restarted or flushed Redis)", function()
    local a = limiter()
    a:reserve("A", 5, clock.now(), 10)
    server.scripts = {} -- SCRIPT FLUSH
    server.log = {}
    assert.near(0.21, a:reserve("A", 5, clock.now(), 10), 1e-9)
    assert.same({ "EVALSHA", "EVAL" }, commands())
    a:reserve("A", 5, clock.now(), 10)
    assert.same({ "EVALSHA", "EVAL", "EVALSHA" }, commands())
    assert.same({}, messages)
  end)

  it("reconnects at once when Redis closed its kept connection (a restart)", function()
    local a = limiter()
    a:reserve("A", 5, clock.now(), 10)
    server:restart()
    assert.equals(0, a:reserve("A", 5, clock.now(), 10)) -- a new, empty Redis
    assert.equals(2, server.connects)
    assert.same({}, messages)
  end)

  it("falls back to its own pacing while Redis is down, says so once, tries again now and "
    .. "then, and shares again once Redis answers", function()
    local own = ratelimit.new()
    local a = limiter{ fallback = own }
    a:reserve("A", 5, clock.now(), 10)
    down()
    local connects = server.connects
    assert.equals(0, a:reserve("A", 5, clock.now(), 10)) -- own limiter: its first slot
    assert.near(0.21, a:reserve("A", 5, clock.now(), 10), 1e-9)
    assert.equals(1, #messages)
    assert.matches("Redis at 127.0.0.9:6379/0 failed %(connection refused%); pacing this "
      .. "process alone at the full limit", messages[1])
    -- within the second after a failure nobody tries
    assert.equals(connects + 1, server.connects)
    clock.t = clock.t + redis.RETRY_AFTER
    a:reserve("A", 5, clock.now(), 10)
    assert.equals(connects + 2, server.connects)
    assert.equals(1, #messages)
    server.refuse = false
    clock.t = clock.t + redis.RETRY_AFTER
    assert.equals(0, a:reserve("A", 5, clock.now(), 10))
    assert.equals(2, #messages)
    assert.matches("Redis at 127.0.0.9:6379/0 answers again", messages[2])
    assert.near(0.21, limiter():reserve("A", 5, clock.now(), 10), 1e-9) -- shared again
  end)

  it("costs at most its timeout, and no more than the call has left, when Redis hangs",
    function()
      local a = limiter{ timeout = 0.2 }
      a:reserve("A", 5, clock.now(), 10)
      server.silent = true
      local t0 = clock.t
      assert.equals(0, a:reserve("A", 5, clock.now(), 10))
      assert.near(0.2, clock.t - t0, 1e-9)
      for _, t in ipairs(server.timeouts) do assert.is_true(t <= 0.2 + 1e-9) end
      assert.equals(1, #messages)
      -- a call with less time left than the timeout waits no longer than that
      clock.t = clock.t + redis.RETRY_AFTER
      t0 = clock.t
      a:reserve("A", 5, clock.now(), 0.05)
      assert.near(0.05, clock.t - t0, 1e-9)
    end)

  it("does not call Redis down when only the call's own deadline was too short", function()
    local a = limiter{ timeout = 0.2 }
    server.silent = true
    a:reserve("A", 5, clock.now(), 0.05)
    assert.same({}, messages)
    server.silent = false
    assert.equals(0, a:reserve("A", 5, clock.now(), 10))
    assert.near(0.21, a:reserve("A", 5, clock.now(), 10), 1e-9)
  end)

  it("fails plainly with on_error = 'fail', without the password in any form", function()
    local a = limiter{ on_error = "fail", user = "cams", password = "s3cr%t pw" }
    server.password, server.user = "other", "cams"
    server.auth_error = "WRONGPASS for s3cr%t pw (s3cr%25t%20pw)"
    local wait, err = a:reserve("A", 5, clock.now(), 10)
    assert.is_nil(wait)
    assert.equals("RateLimit.Unavailable", err.code)
    assert.is_false(err.retryable)
    assert.matches("Redis at 127.0.0.9:6379/0 failed %(AUTH: WRONGPASS", err.message)
    assert.matches("nothing was sent", err.message)
    for _, text in ipairs{ err.message, tostring(err), messages[1] } do
      assert.is_nil(text:find("s3cr", 1, true), text)
    end
    assert.matches("calls fail with RateLimit.Unavailable", messages[1])
    -- and again, without trying, until the next try is due
    local connects = server.connects
    assert.is_nil((a:reserve("A", 5, clock.now(), 10)))
    assert.equals(connects, server.connects)
  end)

  it("gives back a slot to the limiter that gave it", function()
    local own = ratelimit.new()
    local a, b = limiter{ fallback = own }, limiter()
    local _, token = a:reserve("A", 5, clock.now(), 10)
    a:release("A", 5, token, 10)
    assert.equals(0, b:reserve("A", 5, clock.now(), 10))
    down()
    local wait, token2 = a:reserve("A", 5, clock.now(), 10)
    assert.equals(0, wait)
    assert.is_nil(token2)
    a:release("A", 5, token2, 10)
    assert.equals(0, own:reserve("A", 5, clock.now()))
  end)

  it("needs LuaSocket outside nginx", function()
    local l, err = redis.new{ target = { host = "h", port = 1, db = 0, label = "h:1/0" },
      socket = {} }
    assert.is_nil(l)
    assert.equals("NotSupported", err.code)
    assert.matches("LuaSocket", err.message)
  end)

  it("inside nginx, paces without Redis where cosockets cannot be used", function()
    rawset(_G, "ngx", fake_ngx.new("init_worker"))
    finally(function() rawset(_G, "ngx", nil) end)
    local a = limiter()
    assert.equals(0, a:reserve("A", 5, clock.now(), 10))
    assert.equals(0, server.connects)
    assert.matches("failed %(cosockets are not available in the init_worker phase%)",
      messages[1])
  end)

  it("pushes the shared schedule back after a throttling answer", function()
    local a, b = limiter(), limiter()
    a:reserve("A", 5, clock.now(), 10)
    a:pause("A", 10)
    assert.near(redis.PAUSE, b:reserve("A", 5, clock.now(), 10), 1e-9)
  end)
end)

describe("pace with the Redis rate limiter", function()
  local clock, server, p

  before_each(function()
    clock = fake_redis.clock(1000)
    server = fake_redis.server(clock)
    p = { clock = clock, limiter = assert(redis.new{
      target = { host = "h", port = 1, db = 0, label = "h:1/0" }, prefix = "cams:rate:h",
      timeout = 0.2, on_error = "fail", fallback = ratelimit.new(), fallback_name = "x",
      clock = clock, socket = server:socket() }) }
  end)

  local function call() return { action = "A", qps = 5, deadline = 1 } end

  it("waits for the shared slot and gives it back when it comes after the deadline", function()
    assert.equals(1, pace.wait(p, call(), 1))
    for _ = 1, 5 do p.limiter:reserve("A", 5, clock.now(), 10) end
    local stored = server.data["cams:rate:h:A"]
    local left, err = pace.wait(p, call(), 1)
    assert.is_nil(left)
    assert.equals("DeadlineExceeded", err.code)
    assert.equals(stored, server.data["cams:rate:h:A"]) -- given back
  end)

  it("returns the limiter's error with the action when Redis fails", function()
    server.refuse = true
    local left, err = pace.wait(p, call(), 1)
    assert.is_nil(left)
    assert.equals("RateLimit.Unavailable", err.code)
    assert.equals("A", err.action)
    assert.equals(0, err.attempts)
  end)

  it("pauses the schedule on throttling answers only", function()
    local c = call()
    pace.wait(p, c, 10)
    local before = server.data["cams:rate:h:A"]
    pace.answered(p, c, { code = "Ram.PermissionDeny" })
    pace.answered(p, c, nil)
    assert.equals(before, server.data["cams:rate:h:A"])
    for _, code in ipairs{ "System.LimitControl", "Throttling.User" } do
      server.data["cams:rate:h:A"] = nil
      pace.answered(p, c, { code = code })
      assert.equals(string.format("%d", math.floor(clock.t * 1e6) + redis.PAUSE * 1e6),
        server.data["cams:rate:h:A"])
    end
  end)
end)

describe("Redis options", function()
  local function settings(opts, env)
    return config.settings(opts, function(name) return (env or {})[name] end)
  end

  it("reads redis from the option, else CAMS_REDIS_URL; false turns it off", function()
    local s = assert(settings({ redis = "redis://:pw@10.1.1.1:6380/1" }))
    assert.same({ "10.1.1.1", 6380, 1, "pw" },
      { s.redis.host, s.redis.port, s.redis.db, s.redis.password })
    assert.equals(0.2, s.redis_timeout)
    assert.equals("local", s.on_redis_error)
    s = assert(settings({}, { CAMS_REDIS_URL = "redis://10.2.2.2:6379" }))
    assert.equals("10.2.2.2", s.redis.host)
    s = assert(settings({ redis = false }, { CAMS_REDIS_URL = "redis://10.2.2.2:6379" }))
    assert.is_nil(s.redis)
    s = assert(settings({ rate_limit_key = "cams:rate:acct-1", redis_timeout = 0.05,
      on_redis_error = "fail" }))
    assert.same({ "cams:rate:acct-1", 0.05, "fail" },
      { s.rate_limit_key, s.redis_timeout, s.on_redis_error })
  end)

  it("refuses bad values without quoting a URL", function()
    for opts, pattern in pairs{
      [{ redis = 5 }] = "^redis must be a URL",
      [{ redis = "redis://u:hunter2@h:0" }] = "^redis must be a URL .*port",
      [{ redis_timeout = 0 }] = "^redis_timeout must be a number of seconds from 0.001 to 10",
      [{ redis_timeout = 11 }] = "^redis_timeout must be",
      [{ on_redis_error = "ignore" }] = "^invalid value 'ignore' for on_redis_error",
      [{ rate_limit_key = "a b" }] = "^rate_limit_key must be a non%-empty string",
    } do
      local s, err = settings(opts)
      assert.is_nil(s)
      assert.equals("InvalidParameter", err.code)
      assert.matches(pattern, err.message)
      assert.is_nil(err.message:find("hunter2", 1, true))
    end
    local _, err = settings({}, { CAMS_REDIS_URL = "redis://u:hunter2@h/x" })
    assert.matches("^CAMS_REDIS_URL must be a URL", err.message)
    assert.is_nil(err.message:find("hunter2", 1, true))
  end)
end)

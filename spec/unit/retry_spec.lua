-- Backoff and the retry loop (cams.retry), with a fake clock (no real waiting).
local retry = require "cams.retry"

local function fake_clock()
  local c = { t = 100, slept = {} }
  function c.now() return c.t end
  function c.sleep(s)
    c.slept[#c.slept + 1] = s
    c.t = c.t + s
  end
  return c
end

local function failure(retryable) return { code = "X", retryable = retryable } end

describe("retry.backoff", function()
  it("grows exponentially up to the cap, scaled by the jitter", function()
    local one = function() return 0.999999 end
    assert.near(0.2, retry.backoff(1, 0.2, 5, one), 1e-5)
    assert.near(0.4, retry.backoff(2, 0.2, 5, one), 1e-5)
    assert.near(3.2, retry.backoff(5, 0.2, 5, one), 1e-5)
    assert.near(5, retry.backoff(9, 0.2, 5, one), 1e-5)
    assert.equals(0, retry.backoff(3, 0.2, 5, function() return 0 end))
  end)

  it("stays within [0, ceiling) for random draws", function()
    for attempt = 1, 10 do
      for _ = 1, 50 do
        local d = retry.backoff(attempt, 0.2, 5, math.random)
        assert.is_true(d >= 0 and d < math.min(5, 0.2 * 2 ^ (attempt - 1)))
      end
    end
  end)
end)

describe("retry.run", function()
  local function policy(c, over)
    local p = { retries = 3, base = 0.2, cap = 5, deadline = 60, random = function() return 0.5 end,
                clock = c }
    for k, v in pairs(over or {}) do p[k] = v end
    return p
  end

  it("returns the first success and retries only retryable failures", function()
    local c, n = fake_clock(), 0
    local res = retry.run(policy(c), function()
      n = n + 1
      if n < 3 then return nil, failure(true) end
      return "ok"
    end)
    assert.equals("ok", res)
    assert.equals(3, n)
    assert.same({ 0.1, 0.2 }, c.slept)
  end)

  it("gives up after `retries` retries and counts the attempts", function()
    local c, n = fake_clock(), 0
    local res, err = retry.run(policy(c, { retries = 2 }), function()
      n = n + 1
      return nil, failure(true)
    end)
    assert.is_nil(res)
    assert.equals(3, n)
    assert.equals(3, err.attempts)
  end)

  it("never retries a failure that is not retryable", function()
    local c, n = fake_clock(), 0
    local _, err = retry.run(policy(c), function()
      n = n + 1
      return nil, failure(false)
    end)
    assert.equals(1, n)
    assert.equals(1, err.attempts)
    assert.same({}, c.slept)
  end)

  it("does not start an attempt past the deadline and hands each the time left", function()
    local c, lefts = fake_clock(), {}
    local _, err = retry.run(policy(c, { retries = 100, deadline = 3, random = function() return 0.99 end }),
      function(left)
        lefts[#lefts + 1] = left
        c.t = c.t + math.min(0.5, left) -- half a second, cut short by the deadline as curl's timeout is
        return nil, failure(true)
      end)
    assert.is_true(c.t - 100 <= 3)
    for i = 2, #lefts do assert.is_true(lefts[i] < lefts[i - 1]) end
    assert.equals(#lefts, err.attempts)
  end)

  it("reports the last failure sent when a retry is refused before sending", function()
    local c, n = fake_clock(), 0
    local _, err = retry.run(policy(c), function()
      n = n + 1
      if n == 1 then return nil, { code = "System.LimitControl", retryable = true } end
      return nil, { code = "DeadlineExceeded", retryable = false, attempts = 0 }
    end)
    assert.equals("System.LimitControl", err.code)
    assert.equals(1, err.attempts)
    assert.equals(2, n)
  end)

  it("does not count attempts refused before sending", function()
    local c = fake_clock()
    local _, err = retry.run(policy(c), function()
      return nil, { code = "InvalidParameter", retryable = false, attempts = 0 }
    end)
    assert.equals(0, err.attempts)
  end)
end)

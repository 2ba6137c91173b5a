-- Fault injection end to end: every fault the mock server can play ends in a success after
-- a retry, or in a clear error with the right code, and no call runs past its deadline.
-- The calls here are list_qrdl, whose repeat is harmless; what a lost answer does to a
-- create or an update is in exactly_once_spec.
local core = require "cams.core"
local socket = require "socket"
local mock_client = require "spec.support.mock_client"

local ARGS = { phone_number = "8615800000000" }

-- Generous: a loaded machine is slow, but a hang lasts until the test runner gives up.
local SLACK = 2

describe("faults", function()
  local m, client = mock_client.use{ qps = false, retry_base_delay = 0.01, retry_max_delay = 0.05 }

  -- Runs one list call; returns its body (or nil), err and the seconds it took.
  local function timed_call(c)
    local t0 = core.monotonic()
    local codes, body = c:list_qrdl(ARGS) -- codes and body, or nil and the error
    local took = core.monotonic() - t0
    if codes then return body, nil, took end
    return nil, body, took
  end

  -- fault -> the error when it never goes away
  local persistent = {
    { "InternalError", "InternalError", 500 },
    { "ServiceUnavailable", "ServiceUnavailable", 503 },
    { "Throttling.User", "Throttling.User", 400 },
    { "System.LimitControl", "System.LimitControl", 400 },
    { "bad_gateway", "HTTP.502", 502 },
    { "close", "Transport.Reset", nil },
    { "truncated", "Transport.Reset", nil },
    { "reset", "Transport.Reset", nil },
  }
  for _, case in ipairs(persistent) do
    local fault, code, status = case[1], case[2], case[3]

    it(fault .. " once is retried and the call succeeds", function()
      m:fail(fault)
      local res, err = timed_call(client())
      assert.is_nil(err)
      assert.equals("OK", res.Code)
      assert.equals(2, m:request_count())
    end)

    it(fault .. " every time ends in " .. code .. " after the retries", function()
      m:fail(fault, 3)
      local res, err, took = timed_call(client{ retries = 2 })
      assert.is_nil(res)
      assert.equals(code, err.code)
      assert.equals(status, err.status)
      assert.is_true(err.retryable)
      assert.equals(3, err.attempts)
      assert.equals("ListPhoneMessageQrdl", err.action)
      assert.equals(3, m:request_count())
      assert.is_true(took < SLACK, took)
    end)
  end

  it("a reused connection closed without an answer is not resent with the same nonce", function()
    local c = client{ retries = 0 }
    assert(c:list_qrdl(ARGS)) -- leaves a kept-alive connection
    m:fail("close")
    local res, err = timed_call(c)
    assert.is_nil(res)
    assert.equals("Transport.Reset", err.code) -- not SignatureNonceUsed from a replay
    assert.equals(2, m:request_count())
    m:fail("close")
    res, err = timed_call(client())
    assert.is_nil(err)
    assert.equals("OK", res.Code)
  end)

  it("a 200 with invalid JSON is Response.Malformed and not retried", function()
    m:fail("malformed", 2)
    local res, err = timed_call(client())
    assert.is_nil(res)
    assert.equals("Response.Malformed", err.code)
    assert.equals(200, err.status)
    assert.is_false(err.retryable)
    assert.equals(1, err.attempts)
    assert.equals(1, m:request_count())
  end)

  it("a 200 whose Code is not OK is the API's error", function()
    m:fail("Product.Unsubscript", 1, 200)
    local res, err = timed_call(client())
    assert.is_nil(res)
    assert.equals("Product.Unsubscript", err.code)
    assert.equals(200, err.status)
    assert.equals("You have not subscribed to the specified product.", err.message)
    assert.is_string(err.request_id)
    assert.is_false(err.retryable)
    assert.equals(1, m:request_count())
  end)

  it("a 200 whose Code is a throttling code is retried", function()
    m:fail("System.LimitControl", 1, 200)
    local res, err = timed_call(client())
    assert.is_nil(err)
    assert.equals("OK", res.Code)
    assert.equals(2, m:request_count())
  end)

  it("an answer larger than 8 MiB is refused with Response.TooLarge", function()
    m:fail("oversized")
    local res, err = timed_call(client())
    assert.is_nil(res)
    assert.equals("Response.TooLarge", err.code)
    assert.is_false(err.retryable)
    assert.equals(1, m:request_count())
    assert.equals("OK", select(2, assert(client():list_qrdl(ARGS))).Code)
  end)

  it("headers over 64 KiB, or a line over libcurl's cap, are Response.TooLarge, not retried",
    function()
      for _, fault in ipairs{ "big_header", "many_headers" } do
        m:reset()
        m:fail(fault)
        local res, err = timed_call(client())
        assert.is_nil(res)
        assert.equals("Response.TooLarge", err.code, fault .. ": " .. tostring(err))
        assert.matches("65536 bytes of headers", err.message, 1, true)
        assert.is_false(err.retryable)
        assert.equals(1, m:request_count())
      end
    end)

  it("a body of binary bytes or terminal escapes is quoted as printable UTF-8", function()
    for _, fault in ipairs{ "binary", "escapes" } do
      m:fail(fault)
      local res, err = timed_call(client{ retries = 0 })
      assert.is_nil(res)
      for _, text in ipairs{ err.code, err.message, tostring(err) } do
        assert.is_true(core.utf8_valid(text), text)
        assert.is_nil(text:find("[%c\127]"), text) -- no ESC, BEL or other control byte
      end
      if fault == "escapes" then
        assert.equals("Bad\\x1B[2JCode", err.code)
        assert.matches("red \\x1B[31malert", err.message, 1, true)
      else
        assert.equals("HTTP.500", err.code)
        assert.matches("\\x1F\\x8B", err.message, 1, true)
      end
    end
  end)

  it("a slow answer times out and the retry succeeds", function()
    m:delay(5)
    local res, err, took = timed_call(client{ timeout = 1 })
    assert.is_nil(err)
    assert.equals("OK", res.Code)
    assert.equals(2, m:request_count())
    assert.is_true(took < 1 + SLACK, took)
    m:await_answers() -- the first request's answer, which came too late
  end)

  it("answers that never come in time end in Transport.Timeout at the deadline", function()
    m:delay(3, 20)
    local res, err, took = timed_call(client{ timeout = 5, deadline = 1, retries = 10 })
    assert.is_nil(res)
    assert.equals("Transport.Timeout", err.code)
    assert.is_true(err.retryable)
    assert.is_true(err.attempts >= 1)
    assert.is_true(took >= 0.9 and took < 1 + SLACK, took)
    m:await_answers()
  end)

  it("a server that accepts and never answers ends in Transport.Timeout at the deadline", function()
    -- the kernel completes the TCP handshake; nobody ever reads the request or answers
    local silent = assert(socket.bind("127.0.0.1", 0))
    local _, port = silent:getsockname()
    local ok, res, err, took = pcall(timed_call, client{
      endpoint = "https://127.0.0.1:" .. port, timeout = 0.4, deadline = 1.5, retries = 10,
    })
    silent:close()
    assert(ok, res)
    assert.is_nil(res)
    assert.equals("Transport.Timeout", err.code)
    assert.is_true(err.attempts >= 2, err.attempts)
    assert.is_true(took < 1.5 + SLACK, took)
  end)

  it("a call that cannot get a rate-limit slot before the deadline sends nothing", function()
    local c = client{ qps = 0.2, deadline = 3 } -- the next slot is 5 s away
    assert(c:list_qrdl(ARGS))
    local res, err, took = timed_call(c)
    assert.is_nil(res)
    assert.equals("DeadlineExceeded", err.code)
    assert.equals(0, err.attempts)
    assert.is_false(err.retryable)
    assert.equals(1, m:request_count())
    assert.is_true(took < 1.5, took) -- refused at once, not at the deadline
  end)

  it("a retry that cannot get a rate-limit slot in time reports the failure before it", function()
    m:fail("InternalError")
    local res, err = timed_call(client{ qps = 2, deadline = 0.4 })
    assert.is_nil(res)
    assert.equals("InternalError", err.code)
    assert.equals(1, err.attempts)
    assert.equals(1, m:request_count())
  end)

  it("no attempt starts after the deadline, whatever the retries", function()
    m:fail("InternalError", 50)
    local res, err, took = timed_call(client{ deadline = 0.5, retries = 50,
                                                 retry_base_delay = 0.2, retry_max_delay = 0.2 })
    assert.is_nil(res)
    -- the last attempt may be the one the deadline cut short
    assert.is_true(err.code == "InternalError" or err.code == "Transport.Timeout", err.code)
    assert.is_true(err.attempts < 50)
    assert.is_true(m:request_count() <= err.attempts)
    assert.is_true(took < 0.5 + SLACK, took)
  end)
end)

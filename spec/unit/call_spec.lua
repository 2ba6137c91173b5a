-- The path of a call (cams.call and its stages): the request the signer gets and what
-- goes on the wire, the options of a call, a failure in the signer, pacing and retries on
-- the fake core's clock (it moves only when slept: no real waiting).
local fake_client = require "spec.support.fake_client"
local fake_core = require "spec.support.fake_core"
local util = require "spec.support.util"

local SECRET = fake_client.SECRET
local args, contains, expect_invalid = fake_client.args, util.contains, fake_client.expect_invalid

describe("a call", function()
  local f = fake_client.use()

  it("sends PascalCase parameters and returns the body", function()
    local res, err = f.client:update_qrdl(args{ cust_space_id = "cams-kei0000" })
    assert.is_nil(err)
    assert.equals("OK", res.Code)
    assert.equals("https://wa.msg/", res.Data.DeepLinkUrl)
    local s = f.calls.sign_args
    assert.equals("UpdatePhoneMessageQrdl", s.action)
    assert.equals("2020-06-06", s.version)
    assert.equals("ACS3-HMAC-SHA256", s.algorithm)
    assert.equals("POST", s.method)
    assert.equals("/", s.path)
    assert.equals("body", s.params_in)
    assert.equals("cams.ap-southeast-1.aliyuncs.com", s.host)
    assert.same({ PhoneNumber = "8615800000000", QrdlCode = "D9II3xxx", PrefilledMessage = "Hello",
      GenerateQrImage = "SVG", CustSpaceId = "cams-kei0000" }, s.params)
    local r = f.calls.last_request
    assert.equals("POST", r.method)
    assert.equals("https://cams.ap-southeast-1.aliyuncs.com/", r.url)
    assert.is_string(r.headers.authorization)
    assert.is_string(r.headers["user-agent"])
    assert.equals(
      "CustSpaceId=cams-kei0000&GenerateQrImage=SVG&PhoneNumber=8615800000000&PrefilledMessage=Hello"
        .. "&QrdlCode=D9II3xxx", r.body)
  end)

  it("signs with HMAC-SHA1 when signature is v2", function()
    f.client = f.new_ok{ signature = "v2" }
    assert(f.client:update_qrdl(args()))
    assert.equals("HMAC-SHA1", f.calls.sign_args.algorithm)
  end)

  it("signs any action with string or number values", function()
    local res = assert(f.client:call("ListPhoneMessageQrdl", { PhoneNumber = 8615800000000,
      PageSize = 10, Ratio = 0.1, CustSpaceId = "cams-x" }))
    assert.equals("OK", res.Code)
    local s = f.calls.sign_args
    assert.equals("ListPhoneMessageQrdl", s.action)
    assert.equals("2020-06-06", s.version)
    assert.same({ PhoneNumber = "8615800000000", PageSize = "10", Ratio = "0.1",
      CustSpaceId = "cams-x" }, s.params)
  end)

  it("turns a signing failure into an error without the secret", function()
    f.core.sign = function(t) error("cannot sign with " .. t.access_key_secret) end
    local res, err = f.client:call("X", {})
    expect_invalid(res, err, "signed", "****")
    assert.is_false(contains(err.message, SECRET))
    assert.equals(0, f.calls.request)
  end)
end)

describe("options of a call", function()
  local f = fake_client.use()

  it("takes version, params_in and method options", function()
    assert(f.client:call("GetSomething", nil, { version = "2021-01-01", params_in = "query",
      method = "GET" }))
    local s = f.calls.sign_args
    assert.equals("2021-01-01", s.version)
    assert.equals("query", s.params_in)
    assert.equals("GET", f.calls.last_request.method)
    local res, err = f.client:call("X", {}, { verison = "2021-01-01" })
    expect_invalid(res, err, "'verison'", "did you mean 'version'?")
    res, err = f.client:call("X", {}, { params_in = "header" })
    expect_invalid(res, err, "params_in")
  end)

  it("forwards extra headers and rejects unknown call options", function()
    assert(f.client:update_qrdl(args(), { headers = { ["x-trace"] = "1" } }))
    assert.same({ ["x-trace"] = "1" }, f.calls.sign_args.headers)
    local res, err = f.client:update_qrdl(args(), { header = {} })
    expect_invalid(res, err, "'header'", "did you mean 'headers'?")
  end)
end)

describe("pacing and retries", function()
  local f = fake_client.use()

  it("paces each action at its documented rate unless qps says otherwise", function()
    local c = f.new_ok()
    for _ = 1, 3 do assert(c:update_qrdl(args())) end -- 5 calls/s: slots 0.21 s apart
    assert.near(2 * 0.21, f.calls.slept, 1e-9)
    assert(c:call("ListPhoneMessageQrdl", { PhoneNumber = "1" })) -- an action of its own
    assert.near(2 * 0.21, f.calls.slept, 1e-9)
    local slow = f.new_ok{ qps = 2 }
    for _ = 1, 3 do assert(slow:update_qrdl(args())) end
    assert.near(2 * 0.21 + 2 * 0.525, f.calls.slept, 1e-9)
    local unpaced = f.new_ok{ qps = false }
    for _ = 1, 3 do assert(unpaced:update_qrdl(args())) end
    assert.near(2 * 0.21 + 2 * 0.525, f.calls.slept, 1e-9)
    assert.equals(10, f.calls.request)
  end)

  it("refuses a call whose rate-limit slot comes after the deadline, sending nothing", function()
    local c = f.new_ok{ qps = 0.2, deadline = 3 } -- the second slot is 5.25 s away
    assert(c:update_qrdl(args()))
    local res, err = c:update_qrdl(args())
    assert.is_nil(res)
    assert.equals("DeadlineExceeded", err.code)
    assert.equals(0, err.attempts)
    assert.is_false(err.retryable)
    assert.equals(1, f.calls.request)
    assert.equals(0, f.calls.slept)
  end)

  it("retries a retryable answer after a backoff, signed afresh", function()
    local nonces = {}
    f.load(function(r, calls)
      nonces[#nonces + 1] = r.headers["x-acs-signature-nonce"]
      if calls.request == 1 then
        return 503, {}, '{"Code":"ServiceUnavailable","Message":"busy","RequestId":"R1"}'
      end
      return 200, {}, fake_core.OK_BODY
    end)
    local res = assert(f.new_ok{ qps = false }:update_qrdl(args()))
    assert.equals("OK", res.Code)
    assert.equals(2, f.calls.request)
    assert.equals(2, f.calls.sign)
    assert.is_string(nonces[1])
    assert.are_not.equal(nonces[1], nonces[2])
    assert.near(0.2 * 0.5, f.calls.slept, 1e-9) -- full jitter: the base delay times random()
  end)

  it("stops retrying when the next attempt would start past the deadline", function()
    f.load(function()
      return 503, {}, '{"Code":"ServiceUnavailable","Message":"busy"}'
    end)
    local c = f.new_ok{ qps = false, deadline = 1, retries = 10 }
    local res, err = c:update_qrdl(args())
    assert.is_nil(res)
    assert.equals("ServiceUnavailable", err.code)
    -- backoffs of 0.1, 0.2 and 0.4 s fit into the second; the next one (0.8 s) does not
    assert.equals(4, err.attempts)
    assert.equals(4, f.calls.request)
    assert.near(0.7, f.calls.slept, 1e-9)
  end)
end)

-- The path of a call (cams.call and its stages): the request the signer gets and what
-- goes on the wire, the options of a call, a failure in the signer.
local fake_client = require "spec.support.fake_client"
local util = require "spec.support.util"

local SECRET = fake_client.SECRET
local args, contains, expect_invalid = fake_client.args, util.contains, fake_client.expect_invalid

describe("a call", function()
  local f = fake_client.use()
  local client
  before_each(function()
    client = f.new_ok()
  end)

  it("sends PascalCase parameters and returns the body", function()
    local res, err = client:update_qrdl(args{ cust_space_id = "cams-kei0000" })
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
    client = f.new_ok{ signature = "v2" }
    assert(client:update_qrdl(args()))
    assert.equals("HMAC-SHA1", f.calls.sign_args.algorithm)
  end)

  it("signs any action with string or number values", function()
    local res = assert(client:call("ListPhoneMessageQrdl", { PhoneNumber = 8615800000000,
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
    local res, err = client:call("X", {})
    expect_invalid(res, err, "signed", "****")
    assert.is_false(contains(err.message, SECRET))
    assert.equals(0, f.calls.request)
  end)
end)

describe("options of a call", function()
  local f = fake_client.use()
  local client
  before_each(function()
    client = f.new_ok()
  end)

  it("takes version, params_in and method options", function()
    assert(client:call("GetSomething", nil, { version = "2021-01-01", params_in = "query",
      method = "GET" }))
    local s = f.calls.sign_args
    assert.equals("2021-01-01", s.version)
    assert.equals("query", s.params_in)
    assert.equals("GET", f.calls.last_request.method)
    local res, err = client:call("X", {}, { verison = "2021-01-01" })
    expect_invalid(res, err, "'verison'", "did you mean 'version'?")
    res, err = client:call("X", {}, { params_in = "header" })
    expect_invalid(res, err, "params_in")
  end)

  it("forwards extra headers and rejects unknown call options", function()
    assert(client:update_qrdl(args(), { headers = { ["x-trace"] = "1" } }))
    assert.same({ ["x-trace"] = "1" }, f.calls.sign_args.headers)
    local res, err = client:update_qrdl(args(), { header = {} })
    expect_invalid(res, err, "'header'", "did you mean 'headers'?")
  end)
end)

-- Arguments checked before anything is signed (cams.validate): the typed helpers'
-- snake_case arguments (update_qrdl as the example), the parameters of the generic call,
-- and the suggestions for a misspelt name. A fake core records what reaches it: nothing.
local fake_client = require "spec.support.fake_client"
local util = require "spec.support.util"

local args, contains, expect_invalid = fake_client.args, util.contains, fake_client.expect_invalid

describe("update_qrdl arguments", function()
  local f = fake_client.use()

  local function rejected(over, ...)
    local res, err = f.client:update_qrdl(args(over))
    expect_invalid(res, err, ...)
    assert.equals("UpdatePhoneMessageQrdl", err.action)
    assert.equals(0, err.attempts)
    assert.is_false(err.retryable)
    assert.equals(0, f.calls.sign)
    assert.equals(0, f.calls.http)
    assert.equals(0, f.calls.request)
    return err
  end

  it("leaves out an empty optional parameter", function()
    assert(f.client:update_qrdl(args{ cust_space_id = "" }))
    assert.is_nil(f.calls.sign_args.params.CustSpaceId)
  end)

  it("accepts an integral number as phone_number", function()
    assert(f.client:update_qrdl(args{ phone_number = 8615800000000 }))
    assert.equals("8615800000000", f.calls.sign_args.params.PhoneNumber)
    assert(f.client:update_qrdl(args{ phone_number = 8615800000000.0 }))
    assert.equals("8615800000000", f.calls.sign_args.params.PhoneNumber)
  end)

  it("refuses other numbers for phone_number", function()
    rejected({ phone_number = 86158.5 }, "'phone_number'", "integral")
    rejected({ phone_number = 1e300 }, "'phone_number'")
    rejected({ phone_number = 0 / 0 }, "'phone_number'")
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
      local res, err = f.client:update_qrdl(a)
      expect_invalid(res, err, "missing required parameter '" .. name .. "'")
      rejected({ [name] = "" }, "'" .. name .. "'", "empty")
    end
    assert.equals(0, f.calls.sign)
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
    assert(f.client:update_qrdl(args{ generate_qr_image = "PNG" }))
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
    assert(f.client:update_qrdl(args{ prefilled_message = "Hello\r\nWorld\n" }))
    assert.equals("Hello\r\nWorld\n", f.calls.sign_args.params.PrefilledMessage)
  end)

  it("requires valid UTF-8", function()
    for _, bad in ipairs{ "\192\175", "\224\128\175", "\237\160\128", "\244\144\128\128",
      "\226\130", "\128", "\255", "ok\248\136\128\128\128" } do
      rejected({ prefilled_message = bad }, "'prefilled_message'", "UTF-8")
    end
    assert(f.client:update_qrdl(args{ prefilled_message = "h\195\169llo \226\130\172 \240\159\145\139" }))
  end)

  it("does not echo values in messages", function()
    local err = rejected({ prefilled_message = "private text\0" }, "'prefilled_message'")
    assert.is_false(contains(err.message, "private text"))
  end)
end)

describe("generic call parameters", function()
  local f = fake_client.use()

  it("rejects other value types, bad names and reserved parameters", function()
    local res, err = f.client:call("ListPhoneMessageQrdl", { PhoneNumber = true })
    expect_invalid(res, err, "'PhoneNumber'", "boolean")
    res, err = f.client:call("ListPhoneMessageQrdl", { PhoneNumber = { "1" } })
    expect_invalid(res, err, "'PhoneNumber'", "table")
    res, err = f.client:call("ListPhoneMessageQrdl", { PhoneNumber = 1 / 0 })
    expect_invalid(res, err, "'PhoneNumber'")
    res, err = f.client:call("ListPhoneMessageQrdl", { "x" })
    expect_invalid(res, err, "number key")
    res, err = f.client:call("ListPhoneMessageQrdl", { ["Bad Name"] = "x" })
    expect_invalid(res, err, "Bad Name")
    res, err = f.client:call("ListPhoneMessageQrdl", { Signature = "x" })
    expect_invalid(res, err, "'Signature'")
    res, err = f.client:call("ListPhoneMessageQrdl", { Message = "a\0b" })
    expect_invalid(res, err, "'Message'", "NUL")
    res, err = f.client:call("Bad-Action", {})
    expect_invalid(res, err, "action")
    assert.equals(0, f.calls.sign)
    assert.has_error(function() f.client:call(nil, {}) end)
    assert.has_error(function() f.client:call("X", "PhoneNumber=1") end)
  end)
end)

describe("suggestions", function()
  fake_client.use()
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

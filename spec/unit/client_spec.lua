-- The facade and the client (cams, cams.client): the module's fields, the methods made
-- from cams.operations, what a client shows of itself, its HTTP handle, and the default
-- client of the module-level functions. A fake core stands in for the C module.
local fake_client = require "spec.support.fake_client"
local util = require "spec.support.util"

local KEY_ID, SECRET, TOKEN = fake_client.KEY_ID, fake_client.SECRET, fake_client.TOKEN
local args, contains, expect_invalid = fake_client.args, util.contains, fake_client.expect_invalid

describe("cams (the module)", function()
  local f = fake_client.use()

  it("has a version and the operations as a copy", function()
    assert.equals("0.1.0", f.cams.VERSION)
    assert.equals("2020-06-06", f.cams.API_VERSION)
    local op = f.cams.operations.update_qrdl
    assert.equals("UpdatePhoneMessageQrdl", op.action)
    assert.equals(5, op.qps)
    assert.equals("2020-06-06", op.version)
    op.params[1].required = false
    local c = f.new_ok()
    local res, err = c:update_qrdl{ qrdl_code = "X", prefilled_message = "m", generate_qr_image = "SVG" }
    assert.is_nil(res)
    assert.equals("InvalidParameter", err.code)
  end)

  it("generates a method and a module function per operation", function()
    assert.is_function(f.cams.update_qrdl)
    assert.is_function(f.new_ok().update_qrdl)
  end)
end)

describe("client", function()
  local f = fake_client.use()

  it("keeps secrets out of the client table and of tostring", function()
    local c = f.new_ok{ security_token = TOKEN }
    local s = tostring(c)
    assert.is_true(contains(s, "https://cams.ap-southeast-1.aliyuncs.com"))
    assert.is_true(contains(s, "ap-southeast-1"))
    assert.is_true(contains(s, "LTAI****abcd"))
    assert.is_true(contains(s, "v3"))
    assert.is_false(contains(s, SECRET))
    assert.is_false(contains(s, TOKEN))
    assert.is_false(contains(s, KEY_ID))
    local function walk(t, seen)
      for k, v in pairs(t) do
        for _, x in ipairs{ k, v } do
          assert.are_not.equals(SECRET, x)
          assert.are_not.equals(TOKEN, x)
          if type(x) == "table" and not seen[x] then
            seen[x] = true
            walk(x, seen)
          end
        end
      end
    end
    walk(c, {})
    c = f.new_ok{ access_key_id = "shortid" }
    assert.is_true(contains(tostring(c), "access_key_id=****"))
    assert.is_false(contains(tostring(c), "shortid"))
  end)

  it("creates the HTTP handle once, with the client's settings", function()
    f.client = f.new_ok{ timeout = 7, connect_timeout = 2 }
    assert.equals(0, f.calls.http)
    assert(f.client:update_qrdl(args()))
    assert(f.client:update_qrdl(args()))
    assert.equals(1, f.calls.http)
    assert.equals(2, f.calls.request)
    assert.equals(7, f.calls.http_opts.timeout)
    assert.equals(2, f.calls.http_opts.connect_timeout)
    assert.is_true(f.client:close())
    assert.equals(1, f.calls.close)
    assert(f.client:update_qrdl(args()))
    assert.equals(2, f.calls.http)
  end)

  it("raises on a non-table argument", function()
    assert.has_error(function() f.client:update_qrdl("8615800000000") end)
    assert.has_error(function() f.client:update_qrdl() end)
    assert.has_error(function() f.client.update_qrdl(args()) end)
    assert.has_error(function() f.cams.update_qrdl(42) end)
    assert.equals(0, f.calls.sign)
  end)
end)

describe("default client", function()
  local f = fake_client.use()

  it("is built from the environment on first use and cached", function()
    f.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
    local res, err = f.cams.update_qrdl(args())
    assert.is_nil(res)
    assert.equals("MissingCredentials", err.code)
    assert.is_nil(f.cams._default)
    f.env.ALIBABA_CLOUD_ACCESS_KEY_ID = KEY_ID
    f.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = SECRET
    assert(f.cams.update_qrdl(args()))
    local first = f.cams._default
    assert.is_table(first)
    assert(f.cams.call("ListPhoneMessageQrdl", { PhoneNumber = "1" }))
    assert.equals(first, f.cams._default)
    assert.equals(1, f.calls.http)
    assert.equals(2, f.calls.request)
  end)

  it("validates before sending", function()
    f.env.ALIBABA_CLOUD_ACCESS_KEY_ID = KEY_ID
    f.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = SECRET
    local res, err = f.cams.update_qrdl{ phone_number = "1" }
    expect_invalid(res, err, "qrdl_code")
    assert.equals(0, f.calls.sign)
  end)
end)

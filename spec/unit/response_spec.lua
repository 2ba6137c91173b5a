-- Answers turned into results and errors (cams.response, cams.errors): Code ~= "OK" is an
-- error whatever the HTTP status, every field of an error, retryable or not, malformed
-- bodies, transport failures, the result of list_qrdl; error objects as one line. A fake
-- core gives the answers.
local fake_client = require "spec.support.fake_client"
local util = require "spec.support.util"

local contains = util.contains

local DENIED_BODY = [[{"RequestId":"1612C226-E271-4CFE-9F18-4066D0000001","Code":"Ram.PermissionDeny",]]
  .. [["Message":"You are not authorized to perform the operation.",]]
  .. [["AccessDeniedDetail":"{\"AuthAction\":\"cams:UpdatePhoneMessageQrdl\"}"}]]

describe("responses", function()
  local f = fake_client.use()

  local function call_with(status, headers, body)
    f.load(function()
      return status, headers, body
    end)
    local client = f.new_ok()
    -- the mapping alone: what follows a lost answer (cams.reconcile) is in reconcile_spec
    return client:update_qrdl({ phone_number = "8615800000000", qrdl_code = "D9II3xxx",
      prefilled_message = "Hello", generate_qr_image = "SVG" }, { reconcile = false })
  end

  it("turns Code ~= OK into an error, even with HTTP 200", function()
    local res, err = call_with(200, {}, '{"Code":"Product.Unsubscript","Message":"m","RequestId":"R1"}')
    assert.is_nil(res)
    assert.equals("Product.Unsubscript", err.code)
    assert.equals(200, err.status)
    assert.equals("R1", err.request_id)
    assert.is_false(err.retryable)
  end)

  it("fills every field of an API error", function()
    local res, err = call_with(400, { ["x-acs-request-id"] = "ignored" }, DENIED_BODY)
    assert.is_nil(res)
    assert.is_true(f.cams.errors.is_error(err))
    assert.equals("Ram.PermissionDeny", err.code)
    assert.equals("You are not authorized to perform the operation.", err.message)
    assert.equals(400, err.status)
    assert.equals("1612C226-E271-4CFE-9F18-4066D0000001", err.request_id)
    assert.equals('{"AuthAction":"cams:UpdatePhoneMessageQrdl"}', err.access_denied_detail)
    assert.equals("UpdatePhoneMessageQrdl", err.action)
    assert.is_false(err.retryable)
    assert.equals(1, err.attempts)
    assert.equals("cams: UpdatePhoneMessageQrdl failed: Ram.PermissionDeny: You are not authorized "
      .. "to perform the operation. (HTTP 400, RequestId 1612C226-E271-4CFE-9F18-4066D0000001)",
      tostring(err))
    assert.equals("x: " .. tostring(err), "x: " .. err)
  end)

  it("marks throttling and server errors retryable", function()
    local _, err = call_with(400, {}, '{"Code":"System.LimitControl","Message":"flow control"}')
    assert.is_true(err.retryable)
    _, err = call_with(503, {}, '{"Code":"Throttling.User","Message":"slow down"}')
    assert.is_true(err.retryable)
    _, err = call_with(500, {}, '{"Code":"InternalError","Message":"oops"}')
    assert.is_true(err.retryable)
    assert.is_false(err.uncertain) -- the API's own answer
  end)

  it("reports an HTTP error status without Code as HTTP.<status>", function()
    local _, err = call_with(404, { ["x-acs-request-id"] = "R404" }, '{"Message":"no such thing"}')
    assert.equals("HTTP.404", err.code)
    assert.equals(404, err.status)
    assert.equals("R404", err.request_id)
    assert.is_false(err.retryable)
    assert.is_false(err.uncertain)
    _, err = call_with(502, {}, "<html>Bad Gateway</html>")
    assert.equals("HTTP.502", err.code)
    assert.is_true(err.uncertain) -- a gateway's page: the API may have done it
    assert.is_false(err.retryable) -- so an update checked by nobody is not sent again
    assert.is_true(contains(err.message, "Bad Gateway"))
    local _, list_err = f.new_ok():list_qrdl{ phone_number = "8615800000000" }
    assert.equals("HTTP.502", list_err.code)
    assert.is_true(list_err.retryable) -- a list is: its repeat is harmless
  end)

  it("takes only the string OK in Code for a success", function()
    for _, body in ipairs{ '{"Code":1,"RequestId":"R"}', '{"Code":true,"RequestId":"R"}',
        '{"Code":null,"RequestId":"R"}', '{"RequestId":"R","Data":{}}', '{"Code":"ok"}' } do
      local res, err = call_with(200, {}, body)
      assert.is_nil(res, body)
      assert.truthy(err.code == "Response.Malformed" or err.code == "ok", body .. ": " .. err.code)
    end
  end)

  it("keeps server text printable: control bytes and broken UTF-8 escaped", function()
    local _, err = call_with(400, {}, '{"Code":"Bad\\u001b[31m","Message":"evil \\u001b[2J end"}')
    assert.equals("Bad\\x1B[31m", err.code)
    assert.equals("evil \\x1B[2J end", err.message)
    _, err = call_with(502, {}, "\31\139\8\0\255gzip")
    assert.is_nil(tostring(err):find("[%c\128-\255]"))
    assert.truthy(err.message:find("\\x1F\\x8B", 1, true), err.message)
  end)

  it("reports malformed JSON as Response.Malformed with the start of the body", function()
    local long = '{"Code":"OK", ' .. string.rep("x", 500)
    local res, err = call_with(200, {}, long)
    assert.is_nil(res)
    assert.equals("Response.Malformed", err.code)
    assert.equals(200, err.status)
    assert.equals(1, err.attempts)
    assert.is_false(err.retryable)
    assert.is_true(err.uncertain)
    assert.is_true(contains(err.message, '{"Code":"OK", xxx'))
    assert.is_false(contains(err.message, string.rep("x", 200)))
    for _, body in ipairs{ "", "null", "42", '"OK"', '[1,2]', "not json\r\n" } do
      res, err = call_with(200, {}, body)
      assert.is_nil(res, body)
      assert.equals("Response.Malformed", err.code, body)
      assert.is_nil(tostring(err):find("[\r\n]"), body)
    end
    res, err = call_with(200, {}, nil)
    assert.is_nil(res)
    assert.equals("Response.Malformed", err.code)
  end)

  it("does not crash on JSON null values", function()
    local res, err = call_with(400, {}, '{"Code":null,"Message":null,"RequestId":null}')
    assert.is_nil(res)
    assert.equals("HTTP.400", err.code)
    assert.is_string(tostring(err))
    res, err = call_with(200, {}, '{"Code":"OK","Data":null,"RequestId":"R"}')
    assert.is_nil(err)
    assert.equals("OK", res.Code)
  end)

  it("passes transport failures on with the core's code", function()
    local res, err = call_with(nil, "Transport.Timeout", "operation timed out after 10000 ms")
    assert.is_nil(res)
    assert.equals("Transport.Timeout", err.code)
    assert.equals("operation timed out after 10000 ms", err.message)
    assert.is_nil(err.status)
    assert.equals("UpdatePhoneMessageQrdl", err.action)
    assert.is_true(err.retryable)
    assert.equals(4, err.attempts) -- the first try and the default 3 retries
    assert.equals(4, f.calls.request)
    res, err = call_with(nil, "Transport.Connect", "connection refused")
    assert.is_nil(res)
    assert.is_true(err.retryable)
    res, err = call_with(nil, "Transport.TLS", "certificate verify failed")
    assert.is_nil(res)
    assert.equals("Transport.TLS", err.code)
    assert.is_false(err.retryable)
  end)

  it("turns a raising transport into Transport.Error", function()
    f.load(function()
      error("boom")
    end)
    local res, err = f.new_ok():call("X", {})
    assert.is_nil(res)
    assert.equals("Transport.Error", err.code)
  end)
end)

describe("result hook of list_qrdl", function()
  local f = fake_client.use()

  -- A client whose every call is answered with `body`.
  local function client_answering(body)
    f.load(function() return 200, {}, body end)
    return f.new_ok{ qps = false }
  end

  it("gives an empty table when Data is null or missing", function()
    for _, body in ipairs{ '{"Code":"OK","RequestId":"r","Data":null}', '{"Code":"OK","RequestId":"r"}' } do
      local c = client_answering(body)
      local list, full = c:list_qrdl{ phone_number = "1" }
      assert.same({}, list)
      assert.equals("r", full.RequestId)
    end
  end)

  it("leaves the other operations returning the whole body", function()
    local c = client_answering('{"Code":"OK","RequestId":"r","Data":{"QrdlCode":"X"}}')
    -- (reconcile = false: no list of the codes before the create, this server answers
    -- every request with the same body)
    local res, second = c:create_qrdl({ phone_number = "1", prefilled_message = "m",
                                        generate_qr_image = "SVG" }, { reconcile = false })
    assert.equals("X", res.Data.QrdlCode)
    assert.is_nil(second)
  end)

  it("refuses a Data that is not of the documented kind", function()
    for _, case in ipairs{
      { "list_qrdl", '{"Code":"OK","RequestId":"r","Data":{"QrdlCode":"X"}}', "an object, not a list" },
      { "list_qrdl", '{"Code":"OK","RequestId":"r","Data":"codes"}', "a string, not a list" },
      { "create_qrdl", '{"Code":"OK","RequestId":"r","Data":[{"QrdlCode":"X"}]}', "a list, not an object" },
    } do
      local c = client_answering(case[2])
      local args = { phone_number = "1" }
      if case[1] == "create_qrdl" then args.prefilled_message, args.generate_qr_image = "m", "SVG" end
      local res, err = c[case[1]](c, args, case[1] == "create_qrdl" and { reconcile = false } or nil)
      assert.is_nil(res)
      assert.equals("Response.Malformed", err.code)
      assert.truthy(err.message:find(case[3], 1, true), err.message)
    end
  end)
end)

describe("error objects", function()
  it("format as one line", function()
    local errors = require "cams.errors"
    local e = errors.new{ code = "InvalidParameter", message = "bad\nthing" }
    assert.equals("cams: InvalidParameter: bad thing", tostring(e))
    assert.equals(0, e.attempts)
    assert.is_false(e.retryable)
    e = errors.from_transport("ListPhoneMessageQrdl", "Transport.Connect", "refused")
    assert.equals("cams: ListPhoneMessageQrdl failed: Transport.Connect: refused", tostring(e))
    e = errors.new{ code = "Throttling.User", message = "m", attempts = 4, status = 400 }
    assert.equals("cams: Throttling.User: m (HTTP 400, 4 attempts)", tostring(e))
    assert.is_true(e.retryable)
  end)

  it("classify retryable failures", function()
    local errors = require "cams.errors"
    assert.is_true(errors.is_retryable("System.LimitControl", 400))
    assert.is_true(errors.is_retryable("Throttling", 400))
    assert.is_true(errors.is_retryable("ServiceUnavailable", 503))
    assert.is_true(errors.is_retryable("Whatever", 500))
    assert.is_true(errors.is_retryable("Transport.Connect"))
    assert.is_true(errors.is_retryable("Transport.Timeout"))
    assert.is_true(errors.is_retryable("Transport.Reset")) -- an answer lost, like a timeout
    assert.is_false(errors.is_retryable("Transport.TLS"))
    assert.is_false(errors.is_retryable("Transport.Resolve"))
    assert.is_false(errors.is_retryable("Ram.PermissionDeny", 400))
    assert.is_false(errors.is_retryable("InvalidParameter"))
  end)
end)

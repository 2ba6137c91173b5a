-- The whole QR-code lifecycle against the mock CAMS server: create, list, update,
-- delete; prepare (signing without sending); the trace hook.
local cams = require "cams"
local redact = require "cams.redact"
local mock_client = require "spec.support.mock_client"
local util = require "spec.support.util"

local PHONE = "8615800000001"
-- keys the mock knows (spec/support/mock/verify.lua)
local STS_SECRET, TOKEN = mock_client.STS.access_key_secret, mock_client.STS.security_token

for _, mode in ipairs(mock_client.MODES) do
  describe("QR-code lifecycle (" .. mode.name .. ")", function()
    local m, client = mock_client.use{ qps = false }
    before_each(function() m:keep_codes(mode.keep) end)

    local function sts(opts)
      return client(util.merge(mock_client.STS, opts))
    end

    local function messages(phone)
      local out = {}
      for _, c in ipairs(m:codes(phone)) do out[c.QrdlCode] = c.PrefilledMessage end
      return out
    end

    for _, sig in ipairs{ "v3", "v2" } do
      it("create, list, update and delete are observable (signature " .. sig .. ")", function()
        local c = client{ signature = sig }

        local list, body = c:list_qrdl{ phone_number = PHONE }
        assert.same({}, list)
        assert.equals("OK", body.Code)

        local created = assert(c:create_qrdl{ phone_number = PHONE, prefilled_message = "Hi",
                                              generate_qr_image = "SVG" })
        local code = created.Data.QrdlCode
        assert.is_string(code)
        assert.equals("Hi", created.Data.PrefilledMessage)
        assert.same({ [code] = "Hi" }, messages(PHONE))

        list, body = c:list_qrdl{ phone_number = PHONE }
        assert.equals(1, #list)
        assert.equals(code, list[1].QrdlCode)
        assert.equals("SVG", list[1].GenerateQrImage)
        assert.equals(list, body.Data)
        assert.is_string(body.RequestId)

        local updated = assert(c:update_qrdl{ phone_number = PHONE, qrdl_code = code,
                                              prefilled_message = "Bye", generate_qr_image = "PNG" })
        assert.equals("Bye", updated.Data.PrefilledMessage)
        local live = updated.Data.QrdlCode -- the code named, or the one that replaced it
        assert.equals(mode.keep, live == code)
        assert.same({ [live] = "Bye" }, messages(PHONE))
        list = c:list_qrdl{ phone_number = PHONE }
        assert.equals("PNG", list[1].GenerateQrImage)
        assert.equals("Bye", list[1].PrefilledMessage)

        if not mode.keep then -- the old code is gone
          local _, err = c:update_qrdl{ phone_number = PHONE, qrdl_code = code,
                                        prefilled_message = "Again", generate_qr_image = "PNG" }
          assert.equals("QrdlCode.NotFound", err.code)
        end
        local deleted = assert(c:delete_qrdl{ phone_number = PHONE, qrdl_code = live })
        assert.equals("OK", deleted.Code)
        assert.is_nil(deleted.Data)
        assert.same({}, m:codes(PHONE))
        assert.same({}, (c:list_qrdl{ phone_number = PHONE }))

        local actions = {}
        for _, r in ipairs(m:requests()) do actions[#actions + 1] = r.action end
        -- a create lists the codes first: what a lost answer would be compared with
        local expected = { "ListPhoneMessageQrdl", "ListPhoneMessageQrdl", "CreatePhoneMessageQrdl",
          "ListPhoneMessageQrdl", "UpdatePhoneMessageQrdl", "ListPhoneMessageQrdl",
          "DeletePhoneMessageQrdl", "ListPhoneMessageQrdl" }
        if not mode.keep then table.insert(expected, 7, "UpdatePhoneMessageQrdl") end
        assert.same(expected, actions)
      end)
    end

    it("keeps codes of different numbers apart and sends CustSpaceId", function()
      local c = client()
      assert(c:create_qrdl{ phone_number = PHONE, prefilled_message = "a", generate_qr_image = "PNG",
                            cust_space_id = "cams-kei1234" })
      assert.equals("cams-kei1234", m:last_request().params.CustSpaceId)
      assert(c:create_qrdl{ phone_number = 8615800000002, prefilled_message = "b",
                            generate_qr_image = "PNG" })
      assert.equals(1, #(c:list_qrdl{ phone_number = PHONE }))
      assert.equals("b", (c:list_qrdl{ phone_number = "8615800000002" })[1].PrefilledMessage)
    end)

    it("checks the arguments of each operation before sending", function()
      local c = client()
      local cases = {
        { "create_qrdl", { phone_number = PHONE, generate_qr_image = "SVG" }, "prefilled_message" },
        { "create_qrdl", { phone_number = PHONE, prefilled_message = "x", generate_qr_image = "GIF" },
          "generate_qr_image" },
        { "create_qrdl", { phone_number = PHONE, prefilled_message = "x", generate_qr_image = "SVG",
                           qrdl_code = "X" }, "qrdl_code" },
        { "list_qrdl", {}, "phone_number" },
        { "list_qrdl", { phone_numbr = PHONE }, "did you mean 'phone_number'" },
        { "delete_qrdl", { phone_number = PHONE }, "qrdl_code" },
        { "delete_qrdl", { phone_number = PHONE, qrdl_code = "" }, "qrdl_code" },
      }
      for _, case in ipairs(cases) do
        local res, err = c[case[1]](c, case[2])
        assert.is_nil(res)
        assert.equals("InvalidParameter", err.code)
        assert.equals(0, err.attempts)
        assert.truthy(err.message:find(case[3], 1, true), err.message)
      end
      assert.equals(0, m:request_count())
    end)

    for _, sig in ipairs{ "v3", "v2" } do
      it("sends a GET call's parameters in the query, signed (signature " .. sig .. ")", function()
        local c = client{ signature = sig }
        local body = assert(c:call("ListPhoneMessageQrdl", { PhoneNumber = PHONE },
          { method = "GET" }))
        assert.equals("OK", body.Code)
        local seen = m:last_request()
        assert.equals("GET", seen.method)
        assert.equals("", seen.body or "")
        assert.matches("PhoneNumber=" .. PHONE, seen.query or seen.uri, 1, true)
      end)
    end

    it("reports API errors of list_qrdl as nil, err", function()
      m:fail("Ram.PermissionDeny")
      local list, err = client():list_qrdl{ phone_number = PHONE }
      assert.is_nil(list)
      assert.equals("Ram.PermissionDeny", err.code)
      assert.equals("ListPhoneMessageQrdl", err.action)
      assert.is_string(err.request_id)
    end)

    it("has module-level helpers on the default client", function()
      mock_client.with_environment(mock_client.environment(m), function()
        local created = assert(cams.create_qrdl{ phone_number = PHONE, prefilled_message = "m",
                                                 generate_qr_image = "SVG" })
        local list, body = cams.list_qrdl{ phone_number = PHONE }
        assert.equals(created.Data.QrdlCode, list[1].QrdlCode)
        assert.equals("OK", body.Code)
        assert(cams.delete_qrdl{ phone_number = PHONE, qrdl_code = list[1].QrdlCode })
        assert.same({}, m:codes(PHONE))
      end)
    end)

    describe("prepare", function()
      it("signs a typed call without sending it", function()
        local c = sts()
        local req = assert(c:prepare("update_qrdl", { phone_number = PHONE, qrdl_code = "C1",
          prefilled_message = "Hello", generate_qr_image = "SVG" }))
        assert.equals("POST", req.method)
        assert.equals(m.endpoint .. "/", req.url)
        assert.equals("UpdatePhoneMessageQrdl", req.headers["x-acs-action"])
        assert.equals(TOKEN, req.headers["x-acs-security-token"])
        assert.matches("Signature=%x+", req.headers.authorization)
        assert.equals("GenerateQrImage=SVG&PhoneNumber=" .. PHONE
          .. "&PrefilledMessage=Hello&QrdlCode=C1", req.body)
        assert.equals(0, m:request_count())
      end)

      it("gives a request the server accepts as it is", function()
        local c = sts()
        local req = assert(c:prepare("CreatePhoneMessageQrdl", { PhoneNumber = PHONE,
          PrefilledMessage = "sent later", GenerateQrImage = "PNG" }))
        assert.equals(0, m:request_count())
        local core = require "cams.core"
        local h = core.http{ ca_file = m.ca_file, timeout = 5, connect_timeout = 5 }
        local status, _, body = h:request(core.request(req)) -- sent as it is, by any client
        h:close()
        assert.equals(200, status)
        assert.equals("OK", require("cjson").decode(body).Code)
        assert.equals("sent later", m:codes(PHONE)[1].PrefilledMessage)
      end)

      it("puts V2 signatures on the query string", function()
        local c = sts{ signature = "v2" }
        local req = assert(c:prepare("list_qrdl", { phone_number = PHONE }))
        assert.matches("[?&]Signature=", req.url)
        assert.matches("[?&]SecurityToken=", req.url)
        local shown = redact.request(req)
        assert.matches("[?&]Signature=<redacted>", shown.url)
        assert.matches("[?&]SecurityToken=<redacted>", shown.url)
        assert.matches("[?&]AccessKeyId=stsid", shown.url)
        assert.is_nil(shown.url:find(TOKEN, 1, true))
        assert.equals(req.body, shown.body)
      end)

      it("redacts the signature and the token of V3 requests", function()
        local c = sts()
        local req = assert(c:prepare("list_qrdl", { phone_number = PHONE }))
        local shown = redact.request(req)
        assert.equals("<redacted>", shown.headers["x-acs-security-token"])
        assert.matches("Credential=stsid,", shown.headers.authorization)
        assert.matches("Signature=<redacted>$", shown.headers.authorization)
        assert.matches("Signature=%x+$", req.headers.authorization) -- the original is untouched
      end)

      it("runs the checks of the real call", function()
        local c = client()
        local req, err = c:prepare("update_qrdl", { phone_number = PHONE })
        assert.is_nil(req)
        assert.equals("InvalidParameter", err.code)
        req, err = c:prepare("SomeAction", { Signature = "x" })
        assert.is_nil(req)
        assert.matches("set by the library", err.message)
        req, err = c:prepare("bad action!", {})
        assert.is_nil(req)
        assert.equals("InvalidParameter", err.code)
        assert.has_error(function() c:prepare("update_qrdl", "x") end)
        assert.equals(0, m:request_count())
      end)
    end)

    it("traces requests and responses with the secrets hidden", function()
      local events = {}
      local c = sts{ trace = function(event, t)
        events[#events + 1] = { event, t }
      end }
      assert(c:list_qrdl{ phone_number = PHONE })
      assert.equals(2, #events)
      assert.equals("request", events[1][1])
      assert.equals("<redacted>", events[1][2].headers["x-acs-security-token"])
      assert.matches("Signature=<redacted>", events[1][2].headers.authorization)
      assert.equals("response", events[2][1])
      assert.equals(200, events[2][2].status)
      assert.matches('"Code":"OK"', events[2][2].body)
      assert.is_number(events[2][2].seconds)
      local all = require("cjson").encode{ events[1][2], events[2][2] }
      assert.is_nil(all:find(STS_SECRET, 1, true))
      assert.is_nil(all:find(TOKEN, 1, true))
      local bad = cams.new{ access_key_id = "a", access_key_secret = "b", trace = "yes" }
      assert.is_nil(bad)
    end)
  end)
end

-- End to end: the Lua API, the C signer and libcurl against the mock CAMS server over
-- real HTTPS (and plain HTTP on loopback where a test says so).
local cams = require "cams"
local mock_client = require "spec.support.mock_client"

local NONE = mock_client.NONE

local PHONE, CODE = "8615800000000", "D9II3ABC"

describe("UpdatePhoneMessageQrdl end to end", function()
  -- one code serves every call here (signing, transport, pacing); what an update does to
  -- its code is in lifecycle_spec and exactly_once_spec
  local m, client, options = mock_client.use(nil, { keep_codes = true })

  local function update(c, message, extra)
    local args = {
      phone_number = PHONE, qrdl_code = CODE, prefilled_message = message or "Hello",
      generate_qr_image = "PNG",
    }
    for k, v in pairs(extra or {}) do args[k] = v end
    return c:update_qrdl(args)
  end

  for _, sig in ipairs{ "v3", "v2" } do
    describe("signature " .. sig, function()
      it("returns the documented success body as a table", function()
        local res, err = update(client{ signature = sig })
        assert.is_nil(err)
        assert.equals("OK", res.Code)
        assert.is_string(res.RequestId)
        assert.equals(PHONE, res.Data.PhoneNumber)
        assert.equals(CODE, res.Data.QrdlCode)
        assert.equals("PNG", res.Data.GenerateQrImage)
        assert.equals("Hello", res.Data.PrefilledMessage)
        assert.matches("^https://", res.Data.QrImageUrl)
        assert.matches("^https://", res.Data.DeepLinkUrl)
        assert.equals(1, m:request_count())
      end)

      local messages = {
        chinese = "你好，欢迎咨询", emoji = "Hi 😀🎉👍", star = "a*b**c", tilde = "a~b~~c",
        plus = "a+b++c", amp_eq = "a&b=c&d", percent = "100% %41 %%", spaces = "  lots   of  spaces ",
        newlines = "line1\nline2\r\nline3", quotes = "Hi *'!() \"q\" <x> #frag ?q=1",
        long = ("Ab1 你😀*~+&=%"):rep(100):sub(1, 1000),
      }
      for name, text in pairs(messages) do
        it("carries an awkward message unchanged: " .. name, function()
          local res, err = update(client{ signature = sig }, text)
          assert.is_nil(err)
          assert.equals(text, res.Data.PrefilledMessage)
          assert.equals(text, m:last_request().params.PrefilledMessage)
        end)
      end

      it("sends the optional CustSpaceId", function()
        local res = assert(update(client{ signature = sig }, "x", { cust_space_id = "cams-kei1234" }))
        assert.equals("OK", res.Code)
        assert.equals("cams-kei1234", m:last_request().params.CustSpaceId)
      end)

      it("works with STS credentials (security token)", function()
        local c = client{ signature = sig, access_key_id = "stsid", access_key_secret = "stssecret",
                          security_token = "ststoken" }
        assert.equals("OK", assert(update(c)).Code)
      end)

      it("is rejected by the server with a wrong secret", function()
        local res, err = update(client{ signature = sig, access_key_secret = "wrongsecret" })
        assert.is_nil(res)
        assert.equals("SignatureDoesNotMatch", err.code)
        assert.equals(400, err.status)
        assert.is_false(err.retryable)
        assert.is_nil(tostring(err):find("wrongsecret", 1, true))
      end)

      it("is rejected with an unknown access key id", function()
        local _, err = update(client{ signature = sig, access_key_id = "nosuchid" })
        assert.equals("InvalidAccessKeyId.NotFound", err.code)
      end)

      it("is rejected with a wrong security token", function()
        local c = client{ signature = sig, access_key_id = "stsid", access_key_secret = "stssecret",
                          security_token = "othertoken" }
        local _, err = update(c)
        assert.is_not_nil(err)
        assert.is_nil(tostring(err):find("othertoken", 1, true))
      end)
    end)
  end

  describe("documented errors", function()
    local documented = {
      ["Product.Unsubscript"] = "You have not subscribed to the specified product.",
      ["Ram.PermissionDeny"] = "You are not authorized to perform the operation.",
      ["System.LimitControl"] = "The system is under flow control.",
      ["Unknown.ResourceOwnerId"] = "The resource does not belong to the current user.",
    }
    for code, message in pairs(documented) do
      it("turns " .. code .. " into an error object", function()
        m:fail(code)
        local res, err = update(client{ retries = 0 })
        assert.is_nil(res)
        assert.equals(code, err.code)
        assert.equals(message, err.message)
        assert.equals(400, err.status)
        assert.equals("UpdatePhoneMessageQrdl", err.action)
        assert.is_string(err.request_id)
        assert.equals(code == "System.LimitControl", err.retryable)
        assert.matches(code, tostring(err), 1, true)
        assert.matches(err.request_id, tostring(err), 1, true)
        if code == "Ram.PermissionDeny" then assert.is_not_nil(err.access_denied_detail) end
      end)
    end

    it("signs and sends a call without parameters (empty body, no content type)", function()
      local res, err = client():call("UpdatePhoneMessageQrdl", {})
      assert.is_nil(res)
      assert.equals("MissingParameter", err.code)
      assert.is_nil(m:last_request().headers["content-type"])
    end)

    it("reports a missing parameter found by the server", function()
      local c = client()
      local res, err = c:call("UpdatePhoneMessageQrdl", { PhoneNumber = PHONE, QrdlCode = CODE,
                                                         GenerateQrImage = "SVG" })
      assert.is_nil(res)
      assert.equals("MissingParameter", err.code)
      assert.matches("PrefilledMessage", err.message)
    end)
  end)

  describe("entry points", function()
    it("client:call performs the same signed call", function()
      local res = assert(client():call("UpdatePhoneMessageQrdl", {
        PhoneNumber = PHONE, QrdlCode = CODE, PrefilledMessage = "via call", GenerateQrImage = "SVG",
      }))
      assert.equals("via call", res.Data.PrefilledMessage)
    end)

    local with_env = mock_client.with_environment
    local args = { phone_number = PHONE, qrdl_code = CODE, prefilled_message = "default",
                   generate_qr_image = "SVG" }

    it("cams.update_qrdl uses a default client built from the environment", function()
      local res, err = with_env(mock_client.environment(m),
        function() return cams.update_qrdl(args) end)
      assert.is_nil(err)
      assert.equals("default", res.Data.PrefilledMessage)
      assert.equals(1, m:request_count())
    end)

    it("cams.update_qrdl reports missing credentials without a network call", function()
      local res, err = with_env({ ALIBABA_CLOUD_ENDPOINT = m.endpoint, CAMS_CA_FILE = m.ca_file,
                                  ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" },
        function() return cams.update_qrdl(args) end)
      assert.is_nil(res)
      assert.equals("MissingCredentials", err.code)
      assert.equals(0, m:request_count())
    end)

    it("refuses a plain http endpoint from the environment (no allow_http there)", function()
      local res, err = with_env({
        ALIBABA_CLOUD_ACCESS_KEY_ID = "testid", ALIBABA_CLOUD_ACCESS_KEY_SECRET = "testsecret",
        ALIBABA_CLOUD_ENDPOINT = m.http_endpoint,
      }, function() return cams.update_qrdl(args) end)
      assert.is_nil(res)
      assert.equals("InvalidParameter", err.code)
      assert.matches("http", err.message)
      assert.equals(0, m:request_count())
    end)

    it("core.http sends a signed request object once and can return one header", function()
      local core = require "cams.core"
      local host = assert(m.endpoint:match("^https://([^/]+)"))
      local function signed_request() -- signed afresh: the mock refuses a repeated nonce
        return core.sign{ host = host, endpoint = m.endpoint, action = "UpdatePhoneMessageQrdl",
          version = "2020-06-06", access_key_id = "testid", access_key_secret = "testsecret",
          params = { PhoneNumber = PHONE, QrdlCode = CODE, GenerateQrImage = "PNG",
            PrefilledMessage = "Hi" }, user_agent = "spec" }
      end
      local h = core.http{ ca_file = m.ca_file, timeout = 5, connect_timeout = 5 }
      local req = signed_request()
      local status, headers, body = h:request(req)
      assert.equals(200, status)
      assert.matches('"Code":"OK"', body)
      assert.equals("spec", m:last_request().headers["user-agent"])
      local names = {}
      for k in pairs(headers) do names[#names + 1] = k end
      assert.same({ "x-acs-request-id" }, names)
      -- sent once: its Authorization is gone
      assert.has_error(function() h:request(req) end, "the request was already sent")
      status, headers = h:request(signed_request(), nil, true)
      assert.equals(200, status)
      assert.equals("string", type(headers["content-type"]))
      -- only request objects go out: nothing unchecked reaches a header
      assert.has_error(function() h:request{ url = m.endpoint .. "/", headers = {} } end)
      assert.has_error(function() core.request{ url = m.endpoint .. "/",
        headers = { ["x-a"] = "1\r\nx-b: 2" } } end)
      assert.has_error(function() core.request{ url = m.endpoint .. "/",
        headers = { ["X-A"] = "1" } } end)
      assert.has_error(function() core.request{ url = "ftp://x/" } end)
      assert.equals(2, m:request_count())
      h:close()
    end)

    it("keeps the connection alive across calls", function()
      local c = client()
      for i = 1, 5 do assert(update(c, "call " .. i)) end
      assert.equals(5, m:request_count())
    end)

    it("speaks plain HTTP only with allow_http", function()
      local c = client{ endpoint = m.http_endpoint, allow_http = true, ca_file = NONE }
      assert.equals("OK", assert(update(c)).Code)
      local none, err = cams.new(options{ endpoint = m.http_endpoint, ca_file = NONE })
      assert.is_nil(none)
      assert.equals("InvalidParameter", err.code)
    end)
  end)

  describe("transport failures", function()
    it("rejects a server certificate from an untrusted CA with Transport.TLS", function()
      local c = client{ ca_file = NONE }
      local res, err = update(c)
      assert.is_nil(res)
      assert.equals("Transport.TLS", err.code)
      assert.is_true(#err.message > 0)
      assert.equals(0, m:request_count())
    end)

    it("rejects a certificate whose name does not match with Transport.TLS", function()
      local c = client{ endpoint = "https://127.0.0.2:" .. m.https_port }
      local _, err = update(c)
      assert.is_not_nil(err)
      assert.is_true(err.code == "Transport.TLS" or err.code == "Transport.Connect")
    end)

    it("maps a refused connection to Transport.Connect", function()
      local c = client{ endpoint = "https://127.0.0.1:1", connect_timeout = 2 }
      local _, err = update(c)
      assert.equals("Transport.Connect", err.code)
      assert.is_true(err.retryable)
    end)

    it("sends through the proxy option unless no_proxy names the host", function()
      local dead_proxy = "http://127.0.0.1:1" -- nothing listens: a used proxy shows as refused
      local _, err = update(client{ proxy = dead_proxy, connect_timeout = 2 })
      assert.equals("Transport.Connect", err.code)
      assert.equals(0, m:request_count())
      assert.equals("OK", assert(update(client{ proxy = dead_proxy, no_proxy = "127.0.0.1" })).Code)
      assert.equals("OK", assert(update(client{ proxy = false })).Code)
    end)
  end)

  describe("retries and pacing", function()
    it("retries throttling and 5xx answers and succeeds, signing each attempt afresh", function()
      m:fail("System.LimitControl")
      m:fail("ServiceUnavailable")
      m:fail("InternalError")
      local res, err = update(client{ retry_base_delay = 0.01 })
      assert.is_nil(err)
      assert.equals("OK", res.Code)
      assert.equals(4, m:request_count())
      local nonces = {}
      for _, r in ipairs(m:requests()) do
        local nonce = r.headers["x-acs-signature-nonce"]
        assert.is_nil(nonces[nonce])
        nonces[nonce] = true
      end
    end)

    it("reports the attempts when retries run out", function()
      m:fail("System.LimitControl", 3)
      local res, err = update(client{ retries = 2, retry_base_delay = 0.01 })
      assert.is_nil(res)
      assert.equals("System.LimitControl", err.code)
      assert.equals(3, err.attempts)
      assert.matches("3 attempts", tostring(err))
    end)

    it("never retries a signature error", function()
      local _, err = update(client{ access_key_secret = "wrong", retry_base_delay = 0.01 })
      assert.equals("SignatureDoesNotMatch", err.code)
      assert.equals(1, err.attempts)
      assert.equals(1, m:request_count())
    end)

    it("makes 50 sequential calls against a 5 QPS limit without a throttling error", function()
      m:config{ qps = 5 }
      local c = client()
      local ok = 0
      for i = 1, 50 do
        local res, err = update(c, "paced " .. i)
        assert.is_nil(err)
        if res then ok = ok + 1 end
      end
      m:config{ qps = 0 }
      assert.equals(50, ok)
      assert.equals(50, m:request_count()) -- no request was throttled and retried
    end)

    it("does not pace when qps = false", function()
      -- the client's waits go through core.sleep: count them instead of timing the calls
      local core = require "cams.core"
      local sleep, slept = core.sleep, 0
      core.sleep = function(s) slept = slept + s; return sleep(s) end
      local ok, err = pcall(function()
        local paced = client()
        for i = 1, 3 do assert(update(paced, "paced " .. i)) end
        assert.is_true(slept > 0.3, "the paced client slept " .. slept .. " s")
        slept = 0
        local c = client{ qps = false }
        for i = 1, 10 do assert(update(c, "fast " .. i)) end
      end)
      core.sleep = sleep
      assert(ok, err)
      assert.equals(0, slept)
    end)
  end)

  describe("validation", function()
    local bad = {
      missing_phone = { qrdl_code = CODE, prefilled_message = "x", generate_qr_image = "SVG" },
      empty_code = { phone_number = PHONE, qrdl_code = "", prefilled_message = "x", generate_qr_image = "SVG" },
      bad_image = { phone_number = PHONE, qrdl_code = CODE, prefilled_message = "x", generate_qr_image = "GIF" },
      typo = { phone_number = PHONE, qrdl_cod = CODE, prefilled_message = "x", generate_qr_image = "SVG" },
      bad_utf8 = { phone_number = PHONE, qrdl_code = CODE, prefilled_message = "\255", generate_qr_image = "SVG" },
      crlf_code = { phone_number = PHONE, qrdl_code = "A\r\nB", prefilled_message = "x", generate_qr_image = "SVG" },
      nul_message = { phone_number = PHONE, qrdl_code = CODE, prefilled_message = "a\0b", generate_qr_image = "SVG" },
      table_value = { phone_number = {}, qrdl_code = CODE, prefilled_message = "x", generate_qr_image = "SVG" },
    }
    for name, args in pairs(bad) do
      it("refuses " .. name .. " before any network call", function()
        local res, err = client():update_qrdl(args)
        assert.is_nil(res)
        assert.equals("InvalidParameter", err.code)
        assert.equals(0, m:request_count())
      end)
    end
  end)
end)

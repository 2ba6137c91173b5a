-- The AccessKey secret and the security token never show in an error (any field, and
-- tostring), in tostring(client) or in the client table, on every failure path, with
-- secrets made of awkward bytes too.
local core = require "cams.core"
local socket = require "socket"
local mock_client = require "spec.support.mock_client"

local ARGS = { phone_number = "8615800000000", qrdl_code = "D9II3ABC",
               prefilled_message = "Hello", generate_qr_image = "SVG" }

-- The forms a secret may take in a message: raw, percent-encoded once or twice (strict,
-- and form-encoded with "+" for a space), each also as written in a JSON string.
local function forms(s)
  local out = { s }
  for _, mode in ipairs{ "strict", "form" } do
    local once = core.percent_encode(s, mode)
    out[#out + 1] = once
    out[#out + 1] = core.percent_encode(once, mode)
    out[#out + 1] = (once:gsub("%%20", "+"))
  end
  for i = 1, #out do
    out[#out + 1] = (out[i]:gsub('[/"\\]', "\\%0"))
  end
  return out
end

-- Asserts that no form of any secret appears in `v` (a string, or a table walked deeply).
local function assert_clean(v, secrets, seen)
  seen = seen or {}
  if type(v) == "table" then
    if seen[v] then return end
    seen[v] = true
    for k, x in pairs(v) do
      assert_clean(k, secrets, seen)
      assert_clean(x, secrets, seen)
    end
    local mt = getmetatable(v)
    if mt and mt.__tostring then assert_clean(tostring(v), secrets, seen) end
  elseif type(v) == "string" then
    for _, secret in ipairs(secrets) do
      for _, form in ipairs(forms(secret)) do
        assert.is_nil(v:find(form, 1, true), ("a form of a secret in %q"):format(v))
      end
    end
  end
end

-- Asserts that no 8 bytes in a row of `secret` appear in `s` (a cut secret is a leak too).
local function assert_no_piece(s, secret)
  for i = 1, #secret - 7 do
    local piece = secret:sub(i, i + 7)
    assert.is_nil(s:find(piece, 1, true), ("a piece of a secret (%q) in %q"):format(piece, s))
  end
end

describe("secrets", function()
  local m, client = mock_client.use({ access_key_id = "stsodd", access_key_secret = "odd/Secret+=",
    security_token = "CAIS+odd/Token==", qps = false, retries = 0 }, { keep_codes = true })

  it("are kept out of a V2 signature error that quotes the server's string to sign", function()
    local c = client{ signature = "v2", access_key_secret = "Wrong/Secret+=" }
    local res, err = c:update_qrdl(ARGS)
    assert.is_nil(res)
    assert.equals("SignatureDoesNotMatch", err.code)
    -- the server did quote the request, token included: the redaction is what hides it
    assert.matches("SecurityToken%3D****", err.message, 1, true)
    assert_clean(err, { "Wrong/Secret+=", "CAIS+odd/Token==" })
  end)

  it("are kept out of V3 errors from the server", function()
    for _, over in ipairs{ { access_key_secret = "Wrong/Secret+=" },
                           { security_token = "CAIS+other/Token==" } } do
      local c = client(over)
      local res, err = c:update_qrdl(ARGS)
      assert.is_nil(res)
      assert_clean(err, { over.access_key_secret or "odd/Secret+=",
                          over.security_token or "CAIS+odd/Token==" })
      assert_clean(c, { "odd/Secret+=", "CAIS+odd/Token==", "Wrong/Secret+=", "CAIS+other/Token==" })
    end
  end)

  it("are kept out of transport errors", function()
    local silent = assert(socket.bind("127.0.0.1", 0))
    local _, silent_port = silent:getsockname()
    local cases = {
      { "Transport.Connect", { endpoint = "https://127.0.0.1:1" } },
      { "Transport.TLS", { ca_file = false } },
      { "Transport.Timeout", { endpoint = "https://127.0.0.1:" .. silent_port, timeout = 0.3 } },
      { "Transport.Reset", {}, "close" },
      { "Response.Malformed", {}, "malformed" },
      { "HTTP.502", {}, "bad_gateway" },
    }
    for _, case in ipairs(cases) do
      local code, over, fault = case[1], case[2], case[3]
      if over.ca_file == false then over = { ca_file = "/etc/ssl/certs/ca-certificates.crt" } end
      if fault then m:fail(fault) end
      -- the error itself (reconcile = false: no listing of the codes after a lost answer)
      local res, err = client(over):update_qrdl(ARGS, { reconcile = false })
      assert.is_nil(res)
      assert.equals(code, err.code)
      assert_clean(err, { "odd/Secret+=", "CAIS+odd/Token==" })
    end
    silent:close()
  end)

  it("are kept out of traces and messages of answers that quote them back", function()
    local seen = {}
    local c = client{ trace = function(event, t) seen[#seen + 1] = { event, t } end }
    for _, fault in ipairs{ "reflect", "reflect_text" } do
      m:fail(fault)
      local res, err = c:update_qrdl(ARGS, { reconcile = false })
      assert.is_nil(res)
      assert.equals(fault == "reflect" and "Echo.Credentials" or "HTTP.502", err.code)
      seen[#seen + 1] = { "error", err }
    end
    local response = seen[2][2]
    assert.equals("****", response.headers["x-echo-token"]) -- the server did send it back
    assert.matches("token **** encoded ****", response.body, 1, true) -- JSON-escaped, encoded
    assert_clean(seen, { "odd/Secret+=", "CAIS+odd/Token==" })
    local text = require("cjson").encode(seen)
    assert_no_piece(text, "CAIS+odd/Token==")
    assert_no_piece(tostring(seen[#seen][2]), "CAIS+odd/Token==")
  end)

  it("of one letter leave the error's code and action whole", function()
    local c = client{ access_key_secret = "a", security_token = "o" }
    local res, err = c:update_qrdl(ARGS)
    assert.is_nil(res)
    assert.equals("SignatureDoesNotMatch", err.code)
    assert.equals("UpdatePhoneMessageQrdl", err.action)
    assert.is_nil(err.message:find("a", 1, true))
  end)

  describe("with awkward secrets", function()
    local awkward = {
      format_directives = "%s%n%d%x%p%%",
      pattern_magic = "().%+-*?[^$]",
      high_bytes = "\255\254\128secret\195\169",
      long = ("Ab9/+="):rep(11000), -- 66 KB
    }
    for name, secret in pairs(awkward) do
      for _, sig in ipairs{ "v3", "v2" } do
        it(name .. " (" .. sig .. "): signed, refused by the server, never shown", function()
          local c = client{ signature = sig, access_key_secret = secret,
                            security_token = "tok%s" .. secret:sub(1, 20) }
          local secrets = { secret, "tok%s" .. secret:sub(1, 20) }
          assert_clean(tostring(c), secrets)
          assert_clean(c, secrets)

          local res, err = c:update_qrdl(ARGS)
          assert.is_nil(res)
          assert.equals("SignatureDoesNotMatch", err.code)
          assert_clean(err, secrets)

          -- a failure inside the signer (too many extra headers) names no secret either
          local headers = {}
          for i = 1, 40 do headers["x-extra-" .. i] = "v" end
          res, err = c:update_qrdl(ARGS, { headers = headers })
          assert.is_nil(res)
          assert.equals("InvalidParameter", err.code)
          assert.matches("could not be signed", err.message)
          assert_clean(err, secrets)
        end)
      end
    end
  end)
end)

-- Percent-encoding by the Alibaba Cloud rules and UTF-8 checks in the C core.
local core = require "cams.core"

describe("percent_encode (strict)", function()
  local enc = core.percent_encode
  local cases = {
    { "AZaz09-_.~", "AZaz09-_.~" },
    { " ", "%20" }, { "+", "%2B" }, { "*", "%2A" }, { "~", "~" },
    { "&", "%26" }, { "=", "%3D" }, { "%", "%25" }, { "/", "%2F" },
    { "\n", "%0A" }, { "\r\n", "%0D%0A" },
    { "!'()", "%21%27%28%29" },
    { "你好", "%E4%BD%A0%E5%A5%BD" },
    { "😀", "%F0%9F%98%80" },
    { "", "" },
    { "\0", "%00" },
  }
  for _, c in ipairs(cases) do
    it(("%q -> %s"):format(c[1], c[2]), function() assert.equals(c[2], enc(c[1])) end)
  end

  it("uses uppercase hex for every byte value outside the unreserved set", function()
    for b = 0, 255 do
      local ch = string.char(b)
      local out = enc(ch)
      if ch:match("[A-Za-z0-9%-_.~]") then
        assert.equals(ch, out)
      else
        assert.equals(("%%%02X"):format(b), out)
      end
    end
  end)

  it("encodes a 1,000-character message losslessly", function()
    local msg = ("Ab1 你😀*~+&=%"):rep(100)
    local out = enc(msg)
    assert.not_matches("[^A-Za-z0-9%-_.~%%]", out)
    local back = out:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
    assert.equals(msg, back)
  end)
end)

describe("percent_encode (form)", function()
  it("keeps !'()* as the official SDKs do on the wire", function()
    assert.equals("Hi%20*'!()%20~%2B%20%E4%BD%A0", core.percent_encode("Hi *'!() ~+ 你", "form"))
  end)
  it("rejects an unknown mode", function()
    assert.has_error(function() core.percent_encode("x", "url") end)
  end)
end)

describe("utf8_valid", function()
  local good = { "", "ascii", "你好", "😀", "\244\143\191\191",
    "\127\194\128\223\191\224\160\128\239\191\191\240\144\128\128",
    "\194\128", "\223\191", "\224\160\128", "\237\159\191", "\238\128\128", "\239\191\191",
    "\240\144\128\128", "\244\143\191\191", "a\195\169b" }
  local bad = {
    "\192\175", "\224\128\175", "\240\128\128\175", "\192\128", "\193\191", "\224\159\191",
    "\240\143\191\191", -- overlong
    "\237\160\128", "\237\191\191", -- surrogates
    "\244\144\128\128", "\245\128\128\128", -- above U+10FFFF
    "\255", "\254", "\128", "\191", "\194", "\194\065", "\225\128", "\240\144\128",
    "\228\189", "abc\228",
  }
  for _, s in ipairs(good) do
    it("accepts " .. ("%q"):format(s), function() assert.is_true(core.utf8_valid(s)) end)
  end
  for _, s in ipairs(bad) do
    it("rejects " .. ("%q"):format(s), function() assert.is_false(core.utf8_valid(s)) end)
  end
end)

describe("timestamp and nonce", function()
  it("gives ISO 8601 UTC and 32 hex digits", function()
    assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$", core.timestamp())
    assert.matches("^" .. ("%x"):rep(32) .. "$", core.nonce())
    assert.not_equals(core.nonce(), core.nonce())
  end)
end)

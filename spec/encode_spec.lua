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
  local good = { "", "ascii", "你好", "😀", "\u{10FFFF}", "\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}",
    "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80", "\xEF\xBF\xBF",
    "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF", "a\xC3\xA9b" }
  local bad = {
    "\xC0\xAF", "\xE0\x80\xAF", "\xF0\x80\x80\xAF", "\xC0\x80", "\xC1\xBF", "\xE0\x9F\xBF",
    "\xF0\x8F\xBF\xBF", -- overlong
    "\xED\xA0\x80", "\xED\xBF\xBF", -- surrogates
    "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", -- above U+10FFFF
    "\xFF", "\xFE", "\x80", "\xBF", "\xC2", "\xC2\x41", "\xE1\x80", "\xF0\x90\x80",
    "\xE4\xBD", "abc\xE4",
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

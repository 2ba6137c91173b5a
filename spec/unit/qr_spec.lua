-- QR codes drawn by the C core, in-process (cams.qr, core.qr_encode): the symbol's size and
-- fixed patterns, the terminal text parsed back into modules, refused input; and the HTML
-- sheet (cams.qr.sheet): self-contained, escaped, laid out for print, refused input.
-- spec/e2e/qr_spec.lua reads the pictures back with zbarimg, rsvg-convert and Chromium.
local core = require "cams.core"
local qr = require "cams.qr"
local sheet = require "cams.qr.sheet"
local samples = require "spec.support.qr_samples"

local SHORT, ENCODED, RAW, LEVELS = samples.SHORT, samples.ENCODED, samples.RAW, samples.LEVELS
local with_margin, invalid = samples.with_margin, samples.invalid
local terminal_modules = samples.terminal_modules
local NUMBERS, links = samples.NUMBERS, samples.links

describe("cams.qr", function()
  it("sizes the symbol by its version, smallest version that holds the text", function()
    local a = assert(qr.encode("a"))
    assert.equals(1, a.version)
    assert.equals(21, a.size)
    assert.equals("M", a.level)
    assert.equals(4, a.margin)
    assert.is_nil(a.scale)
    for _, text in ipairs({ SHORT, ENCODED, RAW }) do
      for _, level in ipairs(LEVELS) do
        local c = assert(qr.encode(text, { level = level }))
        assert.equals(17 + 4 * c.version, c.size)
        assert.equals(level, c.level)
        assert.equals(c.size, #c:matrix())
      end
    end
    local l, h = assert(qr.encode(ENCODED, { level = "L" })), assert(qr.encode(ENCODED,
      { level = "H" }))
    assert.is_true(h.version > l.version)
    assert.equals(40, assert(qr.encode(("a"):rep(1273), { level = "H" })).version)
  end)

  it("draws the three finder patterns where the standard puts them", function()
    local c = assert(qr.encode(SHORT))
    local finder = { "1111111", "1000001", "1011101", "1011101", "1011101", "1000001",
      "1111111" }
    local rows, n = c:matrix(), c.size
    for i = 1, 7 do
      assert.equals(finder[i], rows[i]:sub(1, 7))
      assert.equals(finder[i], rows[i]:sub(n - 6, n))
      assert.equals(finder[i], rows[n - 7 + i]:sub(1, 7))
    end
    assert.equals("0000000", rows[8]:sub(1, 7)) -- separator
    for i = 9, n - 8 do -- timing patterns between the finders
      assert.equals(i % 2 == 1, c:module(i, 7))
      assert.equals(i % 2 == 1, c:module(7, i))
    end
    for y = 1, n do
      for x = 1, n do assert.equals(rows[y]:sub(x, x) == "1", c:module(x, y)) end
    end
    assert.is_true(c:module(9, n - 7)) -- the dark module beside the lower-left finder
  end)

  it("terminal: two rows per line, module for module, in both inversions", function()
    for _, margin in ipairs({ 0, 1, 4 }) do
      for _, text in ipairs({ SHORT, RAW }) do
        local c = assert(qr.encode(text, { margin = margin }))
        local expected, width = with_margin(c), c.size + 2 * margin
        assert.same(expected, terminal_modules(c:terminal(), width, false))
        assert.same(expected, terminal_modules(c:terminal{ invert = false }, width, false))
        assert.same(expected, terminal_modules(c:terminal{ invert = true }, width, true))
      end
    end
  end)

  describe("bad input", function()
    it("refuses empty, NUL and invalid UTF-8 text", function()
      invalid("must not be empty", qr.encode(""))
      invalid("must not contain NUL bytes", qr.encode("a\0b"))
      invalid("is not valid UTF-8", qr.encode("a\255b"))
    end)

    it("refuses a text over the capacity of its level, saying how much fits", function()
      invalid("the text (1274 bytes) is longer than a QR code holds at level H "
        .. "(at most 1273 bytes)", qr.encode(("a"):rep(1274), { level = "H" }))
      invalid("(at most 2953 bytes)", qr.encode(("a"):rep(2954), { level = "L" }))
      assert.truthy(qr.encode(("a"):rep(2953), { level = "L" }))
    end)

    it("refuses bad levels, margins and scales, naming the limits", function()
      invalid("level must be one of L, M, Q, H, got 'X'",
        qr.encode("a", { level = "X" }))
      invalid("(values are case-sensitive: 'H')", qr.encode("a", { level = "h" }))
      invalid("got number", qr.encode("a", { level = 1 }))
      invalid("margin must be an integer from 0 to 16", qr.encode("a", { margin = -1 }))
      invalid("got 17", qr.encode("a", { margin = 17 }))
      invalid("got 1.5", qr.encode("a", { margin = 1.5 }))
      invalid("got string", qr.encode("a", { margin = "4" }))
      invalid("scale must be an integer from 1 to 32", qr.encode("a", { scale = 0 }))
      invalid("(pixels per module), got 33", qr.encode("a", { scale = 33 }))
      invalid("scale must be an integer", qr.encode("a", { scale = 0 / 0 }))
      invalid("scale must be an integer", qr.encode("a", { scale = math.huge }))
    end)

    it("names an unknown option and the closest known one", function()
      invalid("unknown option 'levle' for cams.qr; did you mean 'level'?",
        qr.encode("a", { levle = "H" }))
      invalid("did you mean 'scale'?", qr.encode("a", { scael = 2 }))
      invalid("unexpected number key", qr.encode("a", { [1] = true }))
      local c = assert(qr.encode("a"))
      invalid("unknown option 'inverse' for terminal; did you "
        .. "mean 'invert'?", c:terminal{ inverse = true })
      invalid("invert must be a boolean", c:terminal{ invert = "yes" })
    end)

    it("raises for programming errors", function()
      assert.has_error(function() qr.encode(nil) end,
        "cams: qr expects the text as a string, got nil")
      assert.has_error(function() qr.encode("a", "H") end,
        "cams: qr expects a table of options, got string")
      local c = assert(qr.encode("a"))
      assert.has_error(function() c:module(0, 1) end)
      assert.has_error(function() c:module(1, c.size + 1) end)
      assert.has_error(function() c:terminal(true) end)
    end)

    it("core.qr_encode raises on wrong types and returns nil, message on bad values",
      function()
      assert.has_error(function() core.qr_encode(1, "M", 4, 0) end)
      assert.has_error(function() core.qr_encode("a", nil, 4, 0) end)
      assert.has_error(function() core.qr_encode("a", "M", "x", 0) end)
      local function bad(pattern, ...)
        local c, msg = core.qr_encode(...)
        assert.is_nil(c)
        assert.matches(pattern, msg, 1, true)
      end
      bad("the text is empty", "", "M", 4, 0)
      bad("level must be L, M, Q or H", "a", "MM", 4, 0)
      bad("level must be L, M, Q or H", "a", "\0", 4, 0)
      bad("margin must be 0 to 16", "a", "M", 17, 0)
      bad("scale must be 1 to 32", "a", "M", 4, -1)
      local c, size, version = core.qr_encode("a\0b", "L", 0, 1) -- bytes as they are
      assert.equals(21, size)
      assert.equals(1, version)
      assert.equals(21 * 21, #c:modules())
    end)
  end)
end)

describe("cams.qr.sheet", function()
  it("is self-contained: no script, no resource, links only to the deep links", function()
    local html = assert(sheet.html(NUMBERS))
    assert.falsy(html:lower():find("<script", 1, true))
    assert.falsy(html:lower():find("url(", 1, true))
    assert.falsy(html:lower():find("@import", 1, true))
    assert.falsy(html:lower():find("<link", 1, true))
    assert.falsy(html:lower():find("%ssrc%s*="))
    local hrefs = {}
    for tag, value in html:gmatch('<(%w+)[^>]-%shref="([^"]*)"') do
      assert.equals("a", tag)
      hrefs[#hrefs + 1] = value:gsub("&amp;", "&")
    end
    table.sort(hrefs)
    assert.same(links(), hrefs)
    assert.equals(6, select(2, html:gsub("<svg ", "")))
  end)

  it("escapes names and messages and keeps their line breaks", function()
    local html = assert(sheet.html(NUMBERS))
    assert.truthy(html:find("Hello!\nA &lt;b&gt;table&lt;/b&gt; for 2 &amp; &quot;quick&quot; "
      .. "&#39;please&#39;", 1, true))
    assert.truthy(html:find("&lt;script&gt;alert(1)&lt;/script&gt;", 1, true))
    assert.truthy(html:find("line 1\r\nline 2\239\191\189", 1, true))
    assert.truthy(html:find("<h2>8615800000001</h2>", 1, true))
    assert.truthy(html:find("from list_qrdl", 1, true))
    assert.falsy(html:find("qrdl.invalid", 1, true))
    assert.truthy(html:find("white-space: pre-wrap", 1, true))
  end)

  it("prints on A4 and never splits a code across pages", function()
    local html = assert(sheet.html(NUMBERS))
    assert.truthy(html:find("@page { size: A4;", 1, true))
    assert.truthy(html:find(".code { display: inline-block;", 1, true))
    assert.truthy(html:find("break-inside: avoid; page-break-inside: avoid;", 1, true))
    assert.truthy(html:find("break-after: avoid; page-break-after: avoid;", 1, true))
  end)

  it("refuses bad input with a message naming the entry", function()
    local function bad(pattern, numbers, opts)
      invalid(pattern, sheet.html(numbers, opts))
    end
    local function one(code) return { { phone_number = "1", codes = { code } } } end
    bad("needs at least one phone number", {})
    bad("numbers[1] must be a table, got string", { "x" })
    bad("numbers[1].phone_number must be a string, got nil", { { codes = {} } })
    bad("numbers[1].codes must be a non-empty list", { { phone_number = "1", codes = {} } })
    bad("unknown key 'code' in numbers[1]; did you mean 'codes'?",
      { { phone_number = "1", code = {} } })
    bad("numbers[1].codes[1].deep_link must be a string, got nil", one({ name = "x" }))
    bad("numbers[1].codes[1].deep_link must be an http:// or https:// URL",
      one({ name = "x", deep_link = "javascript:alert(1)" }))
    bad("must not contain spaces or control characters",
      one({ name = "x", deep_link = "https://wa.me/1?text=a b" }))
    bad("numbers[1].codes[1] needs a name or a code", one({ deep_link = "https://wa.me/1" }))
    bad("numbers[1].codes[1].name must not contain line breaks",
      one({ name = "a\nb", deep_link = "https://wa.me/1" }))
    bad("numbers[1].codes[1].message is not valid UTF-8",
      one({ name = "a", message = "\255", deep_link = "https://wa.me/1" }))
    bad("unknown key 'mesage' in numbers[1].codes[1]; did you mean 'message'?",
      one({ name = "a", mesage = "hi", deep_link = "https://wa.me/1" }))
    bad("gives code twice", one({ code = "a", QrdlCode = "a", deep_link = "https://wa.me/1" }))
    bad("numbers[1].codes[1].deep_link: the text (1300 bytes) is longer",
      one({ name = "a", deep_link = "https://wa.me/1?" .. ("a"):rep(1284) }), { level = "H" })
    bad("unknown key 'levl' in the options of the QR sheet; did you mean 'level'?",
      one({ name = "a", deep_link = "https://wa.me/1" }), { levl = "H" })
    bad("margin must be an integer", one({ name = "a", deep_link = "https://wa.me/1" }),
      { margin = 99 })
    bad("title must not be empty", one({ name = "a", deep_link = "https://wa.me/1" }),
      { title = "" })
    assert.has_error(function() sheet.html("x") end)
    assert.has_error(function() sheet.html({}, "x") end)
  end)
end)

-- QR codes drawn by the C core, read back as a phone would: PNG and SVG (rasterised by
-- rsvg-convert) decoded by zbarimg, and the HTML sheet rendered by headless Chromium and
-- its screenshot decoded. What needs no other program is in spec/unit/qr_spec.lua.
local qr = require "cams.qr"
local sheet = require "cams.qr.sheet"
local samples = require "spec.support.qr_samples"
local util = require "spec.support.util"

local q, run, read_file, write_file = util.q, util.run, util.read_file, util.write_file
local SHORT, ENCODED, RAW, LEVELS = samples.SHORT, samples.ENCODED, samples.RAW, samples.LEVELS
local with_margin, invalid = samples.with_margin, samples.invalid

local zbar = require("spec.support.qr_read").zbar

-- Width, height, bit depth and colour type from a PNG's IHDR chunk.
local function png_header(png)
  assert.equals("\137PNG\r\n\26\n", png:sub(1, 8))
  assert.equals("IHDR", png:sub(13, 16))
  local function u32(i)
    local a, b, c, d = png:byte(i, i + 3)
    return ((a * 256 + b) * 256 + c) * 256 + d
  end
  return u32(17), u32(21), png:byte(25), png:byte(26)
end

-- The modules an SVG draws, from its viewBox and its one path of 1-module-high runs.
local function svg_modules(svg)
  local w = tonumber(svg:match('^<svg [^>]*viewBox="0 0 (%d+) %d+"'))
  assert.is_number(w)
  local d = svg:match('<path fill="#000" d="([^"]*)"/>')
  assert.is_string(d)
  local grid = {}
  for y = 1, w do
    grid[y] = {}
    for x = 1, w do grid[y][x] = "0" end
  end
  local rest = d:gsub("M(%d+) (%d+)h(%d+)v1h%-(%d+)z", function(x, y, n, back)
    assert.equals(n, back)
    x, y, n = tonumber(x), tonumber(y), tonumber(n)
    for i = x + 1, x + n do grid[y + 1][i] = "1" end
    return ""
  end)
  assert.equals("", rest)
  local rows = {}
  for y = 1, w do rows[y] = table.concat(grid[y]) end
  return rows
end

describe("cams.qr", function()
  local dir

  setup(function() dir = util.tmpdir("qr") end)
  teardown(function() util.remove_tmpdir(dir) end)

  it("PNG: zbarimg reads back the exact text at every level and layout", function()
    local layouts = { { margin = 4 }, { margin = 2, scale = 3 }, { margin = 8, scale = 5 } }
    local k = 0
    for _, text in ipairs({ SHORT, ENCODED, RAW }) do
      for _, level in ipairs(LEVELS) do
        k = k + 1
        local layout = layouts[k % #layouts + 1]
        local c = assert(qr.encode(text, { level = level, margin = layout.margin,
          scale = layout.scale }))
        local png = c:png()
        local w, h, depth, colour = png_header(png)
        local side = (c.size + 2 * layout.margin) * (layout.scale or 8)
        assert.same({ side, side, 1, 0 }, { w, h, depth, colour })
        local path = dir .. "/code" .. k .. ".png"
        write_file(path, png)
        assert.equals(text .. "\n", zbar(path), "level " .. level .. ", text " .. #text)
      end
    end
  end)

  it("SVG: the path draws exactly the modules, and zbarimg reads the rasterised picture",
    function()
    local k = 0
    for _, text in ipairs({ SHORT, ENCODED, RAW }) do
      for _, level in ipairs(LEVELS) do
        k = k + 1
        local margin, scale = 2 + k % 4, 2 + k % 3
        local sized = assert(qr.encode(text, { level = level, margin = margin,
          scale = scale }))
        local svg = sized:svg()
        assert.same(with_margin(sized), svg_modules(svg))
        local side = (sized.size + 2 * margin) * scale
        assert.truthy(svg:find((' width="%d" height="%d"'):format(side, side), 1, true))
        assert.truthy(svg:find('shape-rendering="crispEdges"', 1, true))
        assert.equals(1, select(2, svg:gsub("<path ", "")))
        local path = dir .. "/code" .. k
        write_file(path .. ".svg", svg)
        assert.is_true(run("rsvg-convert -o " .. q(path .. ".png") .. " " .. q(path .. ".svg")))
        assert.equals(side, (png_header(read_file(path .. ".png"))))
        assert.equals(text .. "\n", zbar(path .. ".png"), "level " .. level)
      end
    end
  end)

  it("SVG without a scale has only its viewBox and scales to any size", function()
    local c = assert(qr.encode(RAW, { margin = 4 }))
    local svg = c:svg()
    assert.falsy(svg:match("^<svg [^>]*>"):find(" width=", 1, true))
    assert.truthy(svg:find(('viewBox="0 0 %d %d"'):format(c.size + 8, c.size + 8), 1, true))
    write_file(dir .. "/free.svg", svg)
    assert.is_true(run("rsvg-convert -w 500 -o " .. q(dir .. "/free.png") .. " "
      .. q(dir .. "/free.svg")))
    assert.equals(RAW .. "\n", zbar(dir .. "/free.png"))
  end)

  it("keeps the text's bytes: UTF-8 beside ASCII, one byte less room for non-ASCII",
    function()
    local e = "\195\169" -- é
    assert.equals(40, assert(qr.encode(e:rep(636), { level = "H" })).version)
    invalid("(1273 bytes) is longer than a QR code holds at level H (at most 1272 bytes)",
      qr.encode(e:rep(636) .. "a", { level = "H" }))
    local c = assert(qr.encode(e, { scale = 4 }))
    write_file(dir .. "/e.png", c:png())
    assert.equals(e .. "\n", zbar(dir .. "/e.png"))
  end)
end)

describe("cams.qr.sheet", function()
  local dir

  setup(function() dir = util.tmpdir("qr") end)
  teardown(function() util.remove_tmpdir(dir) end)

  it("Chromium renders one page on which zbarimg finds every code with its deep link",
    function()
    local html = assert(sheet.html(samples.NUMBERS, { title = "Codes of the shop" }))
    write_file(dir .. "/sheet.html", html)
    local found = require("spec.support.qr_read").page(dir .. "/sheet.html", dir)
    assert.same(samples.links(), found)
  end)
end)

-- QR codes read back as a phone would: zbarimg over a PNG (an SVG rasterised by
-- rsvg-convert first), and an HTML page rendered by headless Chromium and its screenshot
-- decoded. Used by the specs of cams.qr, of `cams qrdl show` and of the exported sheet.
local assert = require "luassert"
local util = require "spec.support.util"

local M = {}

local q = util.q

--- What zbarimg reads in the picture at `path`: each symbol's text followed by a newline.
function M.zbar(path)
  if path:lower():match("%.svg$") then
    local png = path .. ".png"
    assert.is_true(util.run("rsvg-convert -w 400 -o " .. q(png) .. " " .. q(path)))
    path = png
  end
  return util.output("zbarimg --raw -q " .. q(path) .. " 2>/dev/null")
end

--- The texts of every code on the HTML page `html_path` as Chromium draws it (a
-- 1000×`height` window; scratch files in `dir`), sorted.
function M.page(html_path, dir, height)
  local shot, profile = dir .. "/page.png", dir .. "/chromium-profile"
  assert.is_true(util.run("rm -rf " .. q(profile) .. " " .. q(shot) .. " && mkdir " .. q(profile)))
  util.run("timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic"
    .. " --no-first-run --disable-background-networking --disable-component-update"
    .. " --disable-sync --user-data-dir=" .. q(profile) .. " --window-size=1000,"
    .. (height or 1600) .. " --screenshot=" .. q(shot) .. " " .. q("file://" .. html_path)
    .. " >/dev/null 2>&1")
  assert.truthy(util.read_file(shot), "Chromium made no screenshot")
  local found = {}
  for line in M.zbar(shot):gmatch("([^\n]*)\n") do found[#found + 1] = line end
  table.sort(found)
  return found
end

return M

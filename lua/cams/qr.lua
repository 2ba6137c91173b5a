--- QR codes drawn locally by the C core (libqrencode, PNG through libpng): the picture
-- of a deep link without fetching the QrImageUrl the API returns.
--
--   local qr = require "cams.qr"
--   local code, err = qr.encode("https://wa.me/message/D9II3ABC", {
--     level = "M",   -- error correction: "L" (7 %), "M" (15 %), "Q" (25 %) or "H" (30 %)
--     margin = 4,    -- quiet zone around the code, in modules: 0 to 16
--     scale = nil,   -- pixels per module, 1 to 32: PNG (default 8) and the SVG's width
--   })               -- and height (without it the SVG has only a viewBox and fills its box)
--
--   code.size, code.version, code.level, code.margin, code.scale
--   code:module(x, y)  true for a dark module, x (column) and y (row) from 1 to code.size
--   code:matrix()      the rows, top to bottom: strings of "1" (dark) and "0" (light)
--   code:svg()         one <svg> element: a file as is, or inline in HTML
--   code:png()         a 1-bit greyscale PNG
--   code:terminal{ invert = false }
--                      UTF-8 half blocks, two rows of modules per line, quiet zone
--                      included; invert = true for light text on a dark background
--
-- text: non-empty, valid UTF-8, no NUL. Byte mode holds at most 2953, 2331, 1663 or 1273
-- bytes (L, M, Q, H) of ASCII text, one byte less for other text, which carries the ECI
-- designator of UTF-8 so that readers do not guess its encoding. The version (1 to 40) is
-- the smallest that holds the text.
--
-- Bad input returns nil and an InvalidParameter error (an unknown option is named with the
-- closest known one); a text that is not a string or opts that are not a table raise.
-- qr.options(opts) checks the options alone and returns them with the defaults filled in.

local errors = require "cams.errors"
local options = require "cams.options"
local validate = require "cams.validate"

local M = {}

local byte, find, format, sub = string.byte, string.find, string.format, string.sub
local floor = math.floor

local OPTIONS = { "level", "margin", "scale" }
local TERMINAL_OPTIONS = options.schema{ invert = options.boolean }
local LEVELS = { L = true, M = true, Q = true, H = true }

local function invalid(message)
  return nil, errors.invalid(message)
end

local function integer_in(v, name, lo, hi, unit)
  if type(v) ~= "number" or v ~= v or floor(v) ~= v or v < lo or v > hi then
    local got = type(v) == "number" and validate.show(v) or type(v)
    return format("%s must be an integer from %d to %d (%s), got %s", name, lo, hi, unit, got)
  end
  return nil
end

local Code = {}
Code.__index = Code
Code.__name = "cams.qr"

function Code.__tostring(c)
  return format("cams.qr{version=%d, size=%d, level=%s}", c.version, c.size, c.level)
end

-- size * size characters "1" / "0", row by row, made on first use.
local function modules(c)
  if not c._modules then
    c._modules = c._core:modules()
  end
  return c._modules
end

local function coordinate(c, v, name)
  if type(v) ~= "number" or floor(v) ~= v or v < 1 or v > c.size then
    error(format("cams: module %s must be an integer from 1 to %d, got %s", name, c.size,
      tostring(v)), 3)
  end
end

function Code:module(x, y)
  coordinate(self, x, "x")
  coordinate(self, y, "y")
  return byte(modules(self), (y - 1) * self.size + x) == 49 -- "1"
end

function Code:matrix()
  local all, n, rows = modules(self), self.size, {}
  for y = 1, n do
    rows[y] = sub(all, (y - 1) * n + 1, y * n)
  end
  return rows
end

function Code:svg()
  return self._core:svg()
end

function Code:png()
  return self._core:png()
end

function Code:terminal(opts)
  if opts == nil then
    opts = {}
  elseif type(opts) ~= "table" then
    error("cams: terminal expects a table of options, got " .. type(opts), 2)
  end
  local msg = options.check(opts, TERMINAL_OPTIONS, "terminal")
  if msg then
    return invalid(msg)
  end
  return self._core:terminal(opts.invert == true)
end

local function load_core()
  local ok, core = pcall(require, "cams.core")
  if not ok or type(core) ~= "table" then
    return nil, errors.core_unavailable("the C module cams.core could not be loaded: "
      .. tostring(core))
  end
  return core
end

--- The options of encode checked, defaults filled in: `{ level =, margin =, scale = }`,
-- or nil and an error.
function M.options(opts)
  local msg = options.unknown_key(opts, OPTIONS, "cams.qr")
  if msg then
    return invalid(msg)
  end
  local core, err = load_core()
  if not core then
    return nil, err
  end
  local level, margin, scale = opts.level or "M", opts.margin or 4, opts.scale
  if not LEVELS[level] then
    local hint = ""
    if type(level) == "string" and LEVELS[level:upper()] then
      hint = format(" (values are case-sensitive: '%s')", level:upper())
    end
    local got = type(level) == "string" and ("'" .. validate.show(level, 20) .. "'")
      or type(level)
    return invalid(format("level must be one of L, M, Q, H, got %s%s", got, hint))
  end
  msg = integer_in(margin, "margin", 0, core.qr_max_margin, "modules of quiet zone")
    or scale ~= nil and integer_in(scale, "scale", 1, core.qr_max_scale, "pixels per module")
  if msg then
    return invalid(msg)
  end
  return { level = level, margin = margin, scale = scale }
end

--- A QR code of `text`, or nil and an InvalidParameter error (see the top of this file).
function M.encode(text, opts)
  if type(text) ~= "string" then
    error("cams: qr expects the text as a string, got " .. type(text), 2)
  end
  if opts == nil then
    opts = {}
  elseif type(opts) ~= "table" then
    error("cams: qr expects a table of options, got " .. type(opts), 2)
  end
  local o, err = M.options(opts)
  if not o then
    return nil, err
  end
  local core = require "cams.core"
  if text == "" then
    return invalid("the text of a QR code must not be empty")
  elseif find(text, "\0", 1, true) then
    return invalid("the text of a QR code must not contain NUL bytes")
  elseif not core.utf8_valid(text) then
    return invalid("the text of a QR code is not valid UTF-8")
  end

  local c, size, version = core.qr_encode(text, o.level, o.margin, o.scale or 0)
  if not c then
    return invalid(size) -- the text is over the capacity
  end
  return setmetatable({ size = size, version = version, level = o.level, margin = o.margin,
    scale = o.scale, _core = c }, Code)
end

return M

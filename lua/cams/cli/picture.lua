--- Pictures of deep links drawn locally (cams.qr) for the command line: a PNG or SVG
-- file, chosen by the extension of its path, and the picture for a terminal.
--
--   local picture = require "cams.cli.picture"
--   picture.format_of("front.png")   -- "png" ("svg"; nil and a message for another one)
--   picture.bad_link(url)            -- nil for an http(s) URL, else what is wrong with it
--   picture.check_target(path)       -- "png"|"svg", or nil and why it cannot be written
--   picture.code(url, level)         -- the cams.qr code of a deep link, or nil and a message
--   picture.save(path, code)         -- true, or nil and a message
--   picture.write(path, url, level)  -- both: true, or nil and a message
--
-- A file is written whole or not at all (through a temporary copy renamed into place) and
-- replaces an existing file of that name.

local files = require "cams.cli.files"
local qr = require "cams.qr"

local M = {}

local format = string.format

--- "png" or "svg" from the extension of `path` (in any case), or nil and a message.
function M.format_of(path)
  local ext = type(path) == "string" and path:match("[^/]%.(%w+)$")
  ext = ext and ext:lower()
  if ext == "png" or ext == "svg" then
    return ext
  end
  return nil, format("the picture's file name must end in .png or .svg, got '%s'",
    tostring(path))
end

--- What is wrong with `url` as the deep link of a code, or nil when it is an http:// or
-- https:// URL without spaces or control characters.
function M.bad_link(url)
  if type(url) ~= "string" or url == "" then
    return "the deep link is missing"
  elseif not url:match("^[Hh][Tt][Tt][Pp][Ss]?://[^/%s]") then
    return "the deep link must be an http:// or https:// URL"
  elseif url:find("[%s%c\127]") then
    return "the deep link must not contain spaces or control characters"
  end
  return nil
end

--- The format of the picture file `path`, checked before anything is sent: a .png or .svg
-- name, in a folder where it can be written (an existing file is replaced; a folder of
-- that name is refused). Returns the format, or nil and a message.
function M.check_target(path)
  local fmt, err = M.format_of(path)
  if not fmt then
    return nil, err
  end
  local ok, why = files.can_write(path)
  if not ok then
    return nil, format("cannot write %s: %s", path, why)
  end
  return fmt
end

--- The QR code of `url` at error correction `level` (default "M"), or nil and a message.
function M.code(url, level)
  local bad = M.bad_link(url)
  if bad then
    return nil, bad
  end
  local code, err = qr.encode(url, { level = level or "M" })
  if not code then
    return nil, err.message
  end
  return code
end

--- The bytes of the picture of `code` in `fmt` ("png" or "svg").
function M.render(code, fmt)
  if fmt == "svg" then
    return code:svg()
  end
  return code:png()
end

--- Writes the picture of `code` (a cams.qr code) to `path`, in the format its extension
-- names. Returns true, or nil and a message.
function M.save(path, code)
  local fmt, err = M.format_of(path)
  if not fmt then
    return nil, err
  end
  local ok, werr = files.write_atomic(path, M.render(code, fmt))
  if not ok then
    return nil, format("cannot write %s: %s", path, tostring(werr))
  end
  return true
end

--- Writes the picture of the deep link `url` to `path` (format by its extension), at error
-- correction `level`. Returns true, or nil and a message.
function M.write(path, url, level)
  local code, err = M.code(url, level)
  if not code then
    return nil, err
  end
  return M.save(path, code)
end

return M

--- A printable page of QR codes: one self-contained HTML document (inline SVG, no external
-- resource, no script), A4 print CSS that never splits a code across pages.
--
--   local sheet = require "cams.qr.sheet"
--   local html, err = sheet.html({
--     { phone_number = "8615800000000", codes = {
--       { name = "Front desk",                      -- name or code (at least one)
--         code = "D9II3ABC",
--         message = "Hello!\nWhat are your hours?", -- optional: the prefilled message
--         deep_link = "https://wa.me/message/D9II3ABC" },   -- required: what is encoded
--     } },
--   }, { title = "WhatsApp QR codes", level = "M", margin = 4 })
--
-- Per phone number a heading, per code its QR code, name and code, message and deep link.
-- A code may also be a result of list_qrdl as it is: QrdlCode, PrefilledMessage and
-- DeepLinkUrl stand for code, message and deep_link; its other fields are not drawn.
-- Deep links are http(s) URLs without spaces or control characters; names, codes and
-- phone numbers one line of text; messages any UTF-8 text. opts: title, and level and
-- margin as in cams.qr. Returns the page or nil and an InvalidParameter error naming the
-- entry; arguments that are not tables raise.

local errors = require "cams.errors"
local options = require "cams.options"
local qr = require "cams.qr"
local validate = require "cams.validate"

local M = {}

local concat, format = table.concat, string.format

local OPTIONS = { "title", "level", "margin" }
local NUMBER_KEYS = { "phone_number", "codes" }
local CODE_KEYS = { "name", "code", "message", "deep_link" }
-- list_qrdl fields: drawn under the snake_case name, or not drawn at all
local API_FIELDS = { QrdlCode = "code", PrefilledMessage = "message", DeepLinkUrl = "deep_link",
  QrImageUrl = false, GenerateQrImage = false, PhoneNumber = false }

local function invalid(message)
  return nil, errors.invalid(message)
end

local bad_text = validate.bad_text -- what is wrong with a text field, or nil

-- The fields of one code under their snake_case names, or nil and a message.
local function read_code(c, where)
  if type(c) ~= "table" then
    return nil, format("%s must be a table, got %s", where, type(c))
  end
  local msg = options.unknown_key(c, CODE_KEYS, where, "key", API_FIELDS)
  if msg then
    return nil, msg
  end
  local out = {}
  for k, v in pairs(c) do
    local name = API_FIELDS[k]
    if name == nil then
      name = k
    end
    if name then
      if out[name] ~= nil then
        return nil, format("%s gives %s twice (as %s and as its API name)", where, name, name)
      end
      out[name] = v
    end
  end
  for _, k in ipairs(CODE_KEYS) do
    local v = out[k]
    if v ~= nil or k == "deep_link" then
      msg = bad_text(v, k == "message")
      if msg then
        return nil, format("%s.%s %s", where, k, msg)
      end
    end
  end
  if not out.deep_link:match("^[Hh][Tt][Tt][Pp][Ss]?://[^/%s]") then
    return nil, where .. ".deep_link must be an http:// or https:// URL"
  elseif out.deep_link:find("[%s%c]") then
    return nil, where .. ".deep_link must not contain spaces or control characters"
  elseif not out.name and not out.code then
    return nil, where .. " needs a name or a code"
  end
  return out
end

-- HTML text: markup characters as references; control characters other than tab and line
-- breaks, which HTML does not allow, as U+FFFD.
local ESCAPES = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;",
  ["'"] = "&#39;" }
local function escape(s)
  s = s:gsub("[&<>\"']", ESCAPES):gsub("[\1-\8\11\12\14-\31\127]", "\239\191\189")
  return s
end

local STYLE = [[
@page { size: A4; margin: 12mm; }
* { box-sizing: border-box; }
body { margin: 12mm auto; width: 186mm; font: 10pt/1.35 sans-serif; color: #000;
  background: #fff; }
@media print { body { margin: 0; } }
h1 { font-size: 16pt; margin: 0 0 4mm; }
h2 { font-size: 13pt; margin: 6mm 0 3mm; break-after: avoid; page-break-after: avoid; }
.code { display: inline-block; vertical-align: top; width: 58mm; margin: 0 2mm 4mm 0;
  padding: 3mm; border: 0.3mm solid #999; break-inside: avoid; page-break-inside: avoid; }
.code svg { display: block; width: 52mm; height: 52mm; }
.name { font-weight: bold; margin-top: 2mm; overflow-wrap: anywhere; }
.id { font-family: monospace; overflow-wrap: anywhere; }
.message { white-space: pre-wrap; overflow-wrap: anywhere; margin: 1mm 0; }
.link { font-size: 8pt; overflow-wrap: anywhere; color: #000; }
]]

local function card(c, svg)
  local out = { '<div class="code">', svg }
  if c.name then
    out[#out + 1] = '<div class="name">' .. escape(c.name) .. "</div>"
  end
  if c.code then
    out[#out + 1] = '<div class="id">' .. escape(c.code) .. "</div>"
  end
  if c.message then
    out[#out + 1] = '<p class="message">' .. escape(c.message) .. "</p>"
  end
  local link = escape(c.deep_link)
  out[#out + 1] = '<a class="link" href="' .. link .. '">' .. link .. "</a></div>\n"
  return concat(out)
end

--- The page (see the top of this file), or nil and an InvalidParameter error.
function M.html(numbers, opts)
  if type(numbers) ~= "table" then
    error("cams: qr sheet expects a list of phone numbers, got " .. type(numbers), 2)
  end
  if opts == nil then
    opts = {}
  elseif type(opts) ~= "table" then
    error("cams: qr sheet expects a table of options, got " .. type(opts), 2)
  end
  local msg = options.unknown_key(opts, OPTIONS, "the options of the QR sheet", "key")
  if msg then
    return invalid(msg)
  end
  local title = opts.title or "WhatsApp QR codes"
  msg = bad_text(title, false)
  if msg then
    return invalid("title " .. msg)
  end
  local qr_opts, err = qr.options({ level = opts.level, margin = opts.margin })
  if not qr_opts then
    return nil, err
  end
  if #numbers == 0 then
    return invalid("the QR sheet needs at least one phone number")
  end

  local out = { '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>',
    escape(title), "</title>\n<style>\n", STYLE, "</style>\n</head>\n<body>\n<h1>",
    escape(title), "</h1>\n" }
  for i = 1, #numbers do
    local n, where = numbers[i], format("numbers[%d]", i)
    if type(n) ~= "table" then
      return invalid(format("%s must be a table, got %s", where, type(n)))
    end
    msg = options.unknown_key(n, NUMBER_KEYS, where, "key")
    if msg then
      return invalid(msg)
    end
    local phone = n.phone_number
    if type(phone) == "number" then -- an integer, as update_qrdl takes it
      phone = validate.integer_string(phone) or phone
    end
    msg = bad_text(phone, false)
    if msg then
      return invalid(format("%s.phone_number %s", where, msg))
    end
    if type(n.codes) ~= "table" or #n.codes == 0 then
      return invalid(where .. ".codes must be a non-empty list of codes")
    end
    out[#out + 1] = "<section>\n<h2>" .. escape(phone) .. "</h2>\n"
    for j = 1, #n.codes do
      local at = format("%s.codes[%d]", where, j)
      local c, why = read_code(n.codes[j], at)
      if not c then
        return invalid(why)
      end
      local code, e = qr.encode(c.deep_link, qr_opts)
      if not code then
        return invalid(format("%s.deep_link: %s", at, e.message))
      end
      out[#out + 1] = card(c, code:svg())
    end
    out[#out + 1] = "</section>\n"
  end
  out[#out + 1] = "</body>\n</html>\n"
  return concat(out)
end

return M

--- The desired state of QR codes ("QR codes as code"): reading, checking and writing the
-- files `cams qrdl plan` and `cams qrdl apply` take and `cams qrdl export` writes.
--
-- A file is YAML (.yaml, .yml) or JSON (.json), chosen by its extension:
--
--   numbers:
--     - phone_number: "8615800000000"
--       cust_space_id: cams-kei****    # optional
--       prune: true                    # optional: delete the live codes no entry claims
--       codes:
--         - name: window-spring        # the code's handle: letters, digits, . _ -
--           message: "Hello! What are your hours?"
--           image: PNG                 # PNG (default) or SVG
--
-- M.check(t) checks such a table (as lua-cjson or the YAML reader below makes it); M.read
-- reads a file. Every problem is an InvalidParameter error naming the entry and, in YAML,
-- the line: an unknown key with the closest known one, a name given twice for a number, a
-- number given twice, an image that is neither PNG nor SVG.
local cjson = require "cjson.safe"
local errors = require "cams.errors"
local options = require "cams.options"
local validate = require "cams.validate"

local M = {}

local format = string.format

M.TOP_KEYS = { "numbers" }
M.NUMBER_KEYS = { "codes", "cust_space_id", "phone_number", "prune" }
M.CODE_KEYS = { "image", "message", "name" }
M.IMAGES = { PNG = true, SVG = true }
M.MAX_NAME = 64
-- WhatsApp's limit of a prefilled message (CAMS documents none): a plan warns past it.
M.LONG_MESSAGE = 140

-- The null of a YAML or JSON file (a key given without a value).
local NULL = cjson.null

---------------------------------------------------------------------------
-- Formats

--- The format of `path` from its extension: "yaml", "json", "csv", "html", or nil.
function M.format_of(path)
  local ext = tostring(path):match("%.([%w]+)$")
  ext = ext and ext:lower()
  if ext == "yml" then
    return "yaml"
  end
  if ext == "yaml" or ext == "json" or ext == "csv" or ext == "html" then
    return ext
  end
  return nil
end

---------------------------------------------------------------------------
-- YAML reading: libyaml's events (Debian lua-yaml, the yaml module of the lyaml rock) made
-- into tables, with the line of every key kept for messages.

local function yaml_module()
  local ok, yaml = pcall(require, "yaml")
  if not ok or type(yaml) ~= "table" or type(yaml.parser) ~= "function" then
    return nil, "YAML needs the yaml module of lyaml (Debian: lua-yaml; LuaRocks: lyaml)"
  end
  return yaml
end

-- Plain scalars that are not text.
local PLAIN = { ["true"] = true, ["True"] = true, ["TRUE"] = true, ["false"] = false,
  ["False"] = false, ["FALSE"] = false, ["null"] = NULL, ["Null"] = NULL, ["NULL"] = NULL,
  ["~"] = NULL, [""] = NULL }

--- Parses YAML `text`: the value of its one document and a table of lines (lines[t][k]:
-- the 1-based line of key k of table t; lines[t][0]: where t starts); or nil and a message
-- with the line.
function M.parse_yaml(text)
  local yaml, why = yaml_module()
  if not yaml then
    return nil, why
  end
  local lines = setmetatable({}, { __mode = "k" })
  local next_event = yaml.parser(text)
  local function get()
    local ok, e = pcall(next_event)
    if not ok then
      local msg = tostring(e):gsub("^[^:]*:%d+: ", "")
      return nil, msg
    end
    return e
  end
  local value_of
  local function line_of(e)
    return (e.start_mark and e.start_mark.line or 0) + 1
  end
  value_of = function(e)
    if e.type == "SCALAR" then
      if e.style == "PLAIN" and PLAIN[e.value] ~= nil then
        return PLAIN[e.value]
      end
      return e.value
    elseif e.type == "ALIAS" then
      return nil, format("line %d: aliases (*name) are not supported", line_of(e))
    elseif e.type == "SEQUENCE_START" then
      local t = {}
      lines[t] = { [0] = line_of(e) }
      while true do
        local item, err = get()
        if not item then
          return nil, err
        end
        if item.type == "SEQUENCE_END" then
          return t
        end
        local v
        v, err = value_of(item)
        if v == nil then
          return nil, err
        end
        t[#t + 1] = v
        lines[t][#t] = line_of(item)
      end
    elseif e.type == "MAPPING_START" then
      local t = {}
      lines[t] = { [0] = line_of(e) }
      while true do
        local k, err = get()
        if not k then
          return nil, err
        end
        if k.type == "MAPPING_END" then
          return t
        end
        if k.type ~= "SCALAR" then
          return nil, format("line %d: keys must be plain text", line_of(k))
        end
        local key = k.value
        if t[key] ~= nil then
          return nil, format("line %d: key '%s' is given twice", line_of(k), validate.show(key))
        end
        local ve
        ve, err = get()
        if not ve then
          return nil, err
        end
        local v
        v, err = value_of(ve)
        if v == nil then
          return nil, err
        end
        t[key] = v
        lines[t][key] = line_of(k)
      end
    end
    return nil, format("line %d: unexpected %s", line_of(e), tostring(e.type))
  end
  local doc
  while true do
    local e, err = get()
    if not e then
      return nil, err
    end
    if e.type == "STREAM_END" then
      break
    elseif e.type == "DOCUMENT_START" and doc ~= nil then
      return nil, format("line %d: only one YAML document is allowed", line_of(e))
    elseif e.type ~= "STREAM_START" and e.type ~= "DOCUMENT_START"
        and e.type ~= "DOCUMENT_END" then
      doc, err = value_of(e)
      if doc == nil then
        return nil, err
      end
    end
  end
  if doc == nil then
    return nil, "the file is empty"
  end
  return doc, lines
end

-- The 1-based line and column of byte `at` of `text`.
local function position(text, at)
  local line, last = 1, 0
  for i in text:sub(1, at - 1):gmatch("()\n") do
    line, last = line + 1, i
  end
  return line, at - last
end

--- Parses JSON `text`: the value, or nil and a message with the line.
function M.parse_json(text)
  local v, err = cjson.decode(text)
  if v == nil then
    local at = tonumber(tostring(err):match("character (%d+)"))
    if at then
      local line, col = position(text, at)
      return nil, format("line %d, column %d: %s", line, col, tostring(err))
    end
    return nil, tostring(err)
  end
  return v, setmetatable({}, { __mode = "k" })
end

---------------------------------------------------------------------------
-- Checking

local is_list = validate.is_list

-- What is wrong with text `v`, or nil (a JSON or YAML null named as such).
local function bad_text(v, multiline)
  if v == NULL then
    return "must be a string, got null"
  end
  return validate.bad_text(v, multiline)
end

--- Checks the table `t` of a desired state (`name`: the file, for messages; `lines` as
-- M.parse_yaml gives them). Returns the desired state:
--   { numbers = { { phone_number =, cust_space_id =, prune = boolean, where =,
--       codes = { { name =, message =, image =, where = }, ... } }, ... } }
-- (`where` names the entry in messages), or nil and an InvalidParameter error.
function M.check(t, name, lines)
  name = name or "the desired state"
  lines = lines or {}
  local function at(tbl, key, path)
    local l = lines[tbl] and (lines[tbl][key] or lines[tbl][0])
    return l and format("%s:%d: %s", name, l, path) or format("%s: %s", name, path)
  end
  local function fail(tbl, key, path, msg)
    return nil, errors.invalid(at(tbl, key, path) .. " " .. msg)
  end
  if type(t) ~= "table" or is_list(t) and next(t) ~= nil then
    return nil, errors.invalid(name .. ": must be a mapping with the key 'numbers'")
  end
  local msg = options.unknown_key(t, M.TOP_KEYS, "the desired state", "key")
  if msg then
    return nil, errors.invalid(name .. ": " .. msg)
  end
  local numbers = t.numbers
  if not is_list(numbers) then
    return fail(t, "numbers", "numbers", "must be a list of phone numbers")
  end
  local out, seen = { numbers = {}, checked = true }, {}
  for i, n in ipairs(numbers) do
    local path = format("numbers[%d]", i)
    if type(n) ~= "table" or (is_list(n) and next(n) ~= nil) then
      return fail(numbers, i, path, "must be a mapping")
    end
    msg = options.unknown_key(n, M.NUMBER_KEYS, path, "key")
    if msg then
      local bad
      for k in pairs(n) do
        if msg:find("'" .. tostring(k) .. "'", 1, true) then
          bad = k
        end
      end
      return nil, errors.invalid(at(n, bad, "") .. msg)
    end
    local phone = n.phone_number
    if type(phone) == "number" then
      phone = validate.integer_string(phone) or phone
    end
    if type(phone) ~= "string" or not phone:match("^%d+$") then
      return fail(n, "phone_number", path .. ".phone_number",
        "must be the phone number, digits with the country code first")
    end
    local space = n.cust_space_id
    if space == NULL then
      space = nil
    end
    if space ~= nil then
      msg = bad_text(space, false)
      if msg then
        return fail(n, "cust_space_id", path .. ".cust_space_id", msg)
      end
    end
    local key = phone .. "\0" .. (space or "")
    if seen[key] then
      return fail(n, "phone_number", path .. ".phone_number",
        format("%s is given twice (also numbers[%d])", phone, seen[key]))
    end
    seen[key] = i
    local prune = n.prune
    if prune == NULL then
      prune = nil
    end
    if prune ~= nil and type(prune) ~= "boolean" then
      return fail(n, "prune", path .. ".prune", "must be true or false")
    end
    local codes = n.codes
    if codes == nil or codes == NULL then
      codes = {}
    end
    if not is_list(codes) then
      return fail(n, "codes", path .. ".codes", "must be a list of codes")
    end
    local entry = { phone_number = phone, cust_space_id = space, prune = prune == true,
      where = at(n, "phone_number", path), codes = {} }
    local names = {}
    for j, c in ipairs(codes) do
      local cpath = format("%s.codes[%d]", path, j)
      if type(c) ~= "table" or (is_list(c) and next(c) ~= nil) then
        return fail(codes, j, cpath, "must be a mapping with name, message and image")
      end
      msg = options.unknown_key(c, M.CODE_KEYS, cpath, "key")
      if msg then
        local bad
        for k in pairs(c) do
          if msg:find("'" .. tostring(k) .. "'", 1, true) then
            bad = k
          end
        end
        return nil, errors.invalid(at(c, bad, "") .. msg)
      end
      local handle = c.name
      if type(handle) ~= "string" or not handle:match("^[%w][%w._-]*$") or #handle > M.MAX_NAME then
        return fail(c, "name", cpath .. ".name", format("must be a name of letters, digits, "
          .. "'.', '_' and '-' (at most %d), got %s", M.MAX_NAME,
          type(handle) == "string" and ("'" .. validate.show(handle) .. "'")
          or (handle == NULL and "null" or type(handle))))
      end
      if names[handle] then
        return fail(c, "name", cpath .. ".name", format("'%s' is given twice for %s (also "
          .. "%s.codes[%d])", handle, phone, path, names[handle]))
      end
      names[handle] = j
      msg = bad_text(c.message, true)
      if msg then
        return fail(c, "message", cpath .. ".message", msg)
      end
      local image = c.image
      if image == nil or image == NULL then
        image = "PNG"
      end
      if not M.IMAGES[image] then
        return fail(c, "image", cpath .. ".image", format("must be PNG or SVG, got %s",
          type(image) == "string" and ("'" .. validate.show(image) .. "'") or type(image)))
      end
      entry.codes[j] = { name = handle, message = c.message, image = image,
        where = at(c, "name", cpath) }
    end
    out.numbers[i] = entry
  end
  return out
end

--- Reads and checks the desired state in `path` (format: "yaml" or "json", else from the
-- extension). Returns the desired state (M.check) and the file's text, or nil and an
-- InvalidParameter error.
function M.read(path, fmt)
  fmt = fmt or M.format_of(path)
  if fmt ~= "yaml" and fmt ~= "json" then
    return nil, errors.invalid(format("%s: a desired state is YAML (.yaml, .yml) or JSON "
      .. "(.json)%s", path, fmt == "csv" and "; CSV is an inventory to read, not a desired "
      .. "state" or ""))
  end
  local f, err = io.open(path, "rb")
  if not f then
    return nil, errors.invalid("cannot read " .. tostring(err))
  end
  local text = f:read("*a") or ""
  f:close()
  local t, lines = (fmt == "yaml" and M.parse_yaml or M.parse_json)(text)
  if t == nil then
    local line, rest = tostring(lines):match("^line (%d+)[:,] ?(.*)$")
    return nil, errors.invalid(line and format("%s:%s: %s", path, line, rest)
      or format("%s: %s", path, tostring(lines)))
  end
  local desired
  desired, err = M.check(t, path, lines)
  if not desired then
    return nil, err
  end
  return desired, text
end

---------------------------------------------------------------------------
-- Writing (export)

-- A string as a double-quoted scalar: JSON's escapes, which YAML shares, and the
-- characters YAML does not allow raw (DEL, C1 controls) escaped too.
local function quoted(s)
  local out = require("cams.cli.output").json(s)
  out = out:gsub("\127", "\\u007f"):gsub("\194([\128-\159])", function(c)
    return format("\\u%04x", c:byte())
  end)
  return out
end

--- The text of a desired state (tables as M.check returns them, `where` ignored) in
-- `fmt`: "yaml", "json" or "csv".
function M.encode(desired, fmt)
  if fmt == "json" then
    local json = require("cams.cli.output").json
    local numbers = {}
    for i, n in ipairs(desired.numbers) do
      local codes = {}
      for j, c in ipairs(n.codes) do
        codes[j] = { name = c.name, message = c.message, image = c.image }
      end
      numbers[i] = { phone_number = n.phone_number, cust_space_id = n.cust_space_id,
        prune = n.prune == true, codes = codes }
    end
    return json({ numbers = numbers }, "  ", { "numbers", "phone_number", "cust_space_id",
      "prune", "codes", "name", "message", "image" }) .. "\n"
  elseif fmt == "csv" then
    local csv = require "cams.cli.csv"
    local out = { csv.line{ "phone_number", "cust_space_id", "name", "message", "image" } }
    for _, n in ipairs(desired.numbers) do
      for _, c in ipairs(n.codes) do
        out[#out + 1] = csv.line{ n.phone_number, n.cust_space_id or "", c.name, c.message,
          c.image }
      end
    end
    return table.concat(out)
  end
  local out = { "# QR codes as code: cams qrdl plan FILE shows what apply would change.\n",
    "numbers:\n" }
  if #desired.numbers == 0 then
    out[#out] = "numbers: []\n"
  end
  for _, n in ipairs(desired.numbers) do
    out[#out + 1] = "  - phone_number: " .. quoted(n.phone_number) .. "\n"
    if n.cust_space_id then
      out[#out + 1] = "    cust_space_id: " .. quoted(n.cust_space_id) .. "\n"
    end
    out[#out + 1] = "    prune: " .. tostring(n.prune == true) .. "\n"
    if #n.codes == 0 then
      out[#out + 1] = "    codes: []\n"
    else
      out[#out + 1] = "    codes:\n"
      for _, c in ipairs(n.codes) do
        out[#out + 1] = "      - name: " .. quoted(c.name) .. "\n"
        out[#out + 1] = "        message: " .. quoted(c.message) .. "\n"
        out[#out + 1] = "        image: " .. c.image .. "\n"
      end
    end
  end
  return table.concat(out)
end

return M

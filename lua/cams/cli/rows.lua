--- Input rows of a batch: CSV with a header row, or JSON Lines (one object a line).
--
-- Column names and JSON keys are the operation's parameters, snake_case
-- (`qrdl_code`) or PascalCase (`QrdlCode`); an unknown name is an error, never
-- dropped, and so is a field given twice (under one name or both). Values are text
-- (JSON whole numbers become their digits): every field but prefilled_message loses the
-- ASCII white space around it (spreadsheets pad cells), and a value left empty counts as
-- missing, like a JSON null. A UTF-8 byte order mark at the start is skipped (spreadsheets
-- and editors write one). Blank lines are skipped.

local cjson = require "cjson.safe"
local csv = require "cams.cli.csv"
local operations = require "cams.operations"
local validate = require "cams.validate"

local M = {}

local byte, find, format, sub = string.byte, string.find, string.format, string.sub

local BOM = "\239\187\191"

-- Fields whose white space is the user's text, kept as it is (the message may start with
-- a space or end with a line break).
local UNTRIMMED = { prefilled_message = true }

local SPACE = { [9] = true, [10] = true, [11] = true, [12] = true, [13] = true, [32] = true }

-- `s` without the ASCII white space around it.
local function trim(s)
  local i, j = 1, #s
  while i <= j and SPACE[byte(s, i)] do
    i = i + 1
  end
  while j >= i and SPACE[byte(s, j)] do
    j = j - 1
  end
  return sub(s, i, j)
end

-- The text `s` of field `key` as it goes in a row: trimmed unless UNTRIMMED; nil when empty.
local function field_value(key, s)
  if not UNTRIMMED[key] then
    s = trim(s)
  end
  if s ~= "" then
    return s
  end
  return nil
end

-- A JSON value of field `key` as text (whole numbers as their digits), or nil and why not.
local function json_text(key, v)
  if type(v) == "string" then
    return v
  elseif type(v) == "number" then
    local s, why = validate.integer_string(v)
    if s then
      return s
    end
    return nil, format("%s: %s", key, why)
  end
  return nil, format("%s must be text, not %s", key,
    type(v) == "table" and "a list or object" or type(v))
end

local function read_all(path)
  local f, err = io.open(path, "rb")
  if not f then
    return nil, err
  end
  local text = f:read("*a")
  f:close()
  if not text then
    return nil, path .. ": cannot be read"
  end
  return text
end

--- Adler-32 of a string, as 8 hex digits: cheap and enough to notice a changed file.
function M.checksum(s)
  local a, b = 1, 0
  local step = 4096
  for i = 1, #s, step do
    local bytes = { s:byte(i, math.min(i + step - 1, #s)) }
    for j = 1, #bytes do
      a = (a + bytes[j]) % 65521
      b = (b + a) % 65521
    end
  end
  return format("%08x", b * 65536 + a)
end

-- Column name -> snake_case parameter name, or nil and a message.
local function namer(op_name, where)
  local entry = operations[op_name]
  local names, by = {}, {}
  for _, p in ipairs(entry.params) do
    names[#names + 1] = p[1]
    by[p[1]], by[p[2]] = p[1], p[1]
  end
  table.sort(names)
  return function(name)
    if type(name) ~= "string" then
      return nil, format("%s: a key is not a string", where)
    end
    local key = by[name]
    if not key then
      local shown = validate.show(name)
      return nil, format("%s: unknown column '%s'%s", where, shown,
        validate.suggestion(name, names, "columns"))
    end
    return key
  end
end

local function from_csv(text, path, name_of)
  local records, err = csv.parse(text)
  if not records then
    return nil, path .. ": " .. err
  end
  local header = records[1]
  if not header or (#header == 1 and header[1] == "") then
    return nil, path .. ": no header row"
  end
  local keys, seen = {}, {}
  for i, name in ipairs(header) do
    local key, msg = name_of(trim(name))
    if not key then
      return nil, msg
    end
    if seen[key] then
      return nil, format("%s: column '%s' appears twice", path, key)
    end
    seen[key], keys[i] = true, key
  end
  local rows = {}
  for r = 2, #records do
    local rec = records[r]
    if not (#rec == 1 and rec[1] == "") then
      if #rec ~= #keys then
        return nil, format("%s: line %d has %d fields, the header has %d", path, rec.line,
          #rec, #keys)
      end
      local row = {}
      for i, key in ipairs(keys) do
        row[key] = field_value(key, rec[i])
      end
      rows[#rows + 1] = row
    end
  end
  return rows
end

-- Names of the members of the JSON object `text` (which cjson has decoded, so it is well
-- formed), in the order of the text: a name given twice is seen twice here, whereas the
-- decoded table keeps one of its values.
local function member_names(text)
  local names, depth, pos, want_name = {}, 0, 1, false
  while true do
    local at = find(text, '[{}%[%],"]', pos)
    if not at then
      return names
    end
    local c = sub(text, at, at)
    if c == '"' then
      local stop = at
      repeat
        stop = find(text, '["\\]', stop + 1)
        if not stop then
          return names
        end
        local escaped = sub(text, stop, stop) == "\\"
        if escaped then
          stop = stop + 1
        end
      until not escaped
      if want_name then
        names[#names + 1] = cjson.decode(sub(text, at, stop))
        want_name = false
      end
      pos = stop + 1
    else
      if c == "{" or c == "[" then
        depth = depth + 1
      elseif c == "}" or c == "]" then
        depth = depth - 1
      end
      want_name = depth == 1 and (c == "{" or c == ",")
      pos = at + 1
    end
  end
end

local function from_jsonl(text, path, name_of)
  local rows, line = {}, 0
  for l in (text:gsub("\r\n", "\n") .. "\n"):gmatch("([^\n]*)\n") do
    line = line + 1
    if l:match("%S") then
      local obj = cjson.decode(l)
      if type(obj) ~= "table" or not l:match("^%s*{") then
        return nil, format("%s: line %d is not a JSON object", path, line)
      end
      local row, given = {}, {}
      for _, name in ipairs(member_names(l)) do
        local key, msg = name_of(name)
        if not key then
          return nil, msg
        end
        if given[key] then
          return nil, format("%s: line %d: %s is given twice%s", path, line, key,
            given[key] ~= name and format(" (as %s and %s)", given[key], name) or "")
        end
        given[key] = name
        local v = obj[name]
        if v ~= cjson.null then
          local value, why = json_text(key, v)
          if not value then
            return nil, format("%s: line %d: %s", path, line, why)
          end
          row[key] = field_value(key, value)
        end
      end
      rows[#rows + 1] = row
    end
  end
  return rows
end

--- Format of a file from its name: "csv" or "jsonl" (nil when the name does not say).
function M.format_of(path)
  local ext = path:lower():match("%.(%w+)$")
  if ext == "csv" then
    return "csv"
  elseif ext == "jsonl" or ext == "ndjson" or ext == "json" then
    return "jsonl"
  end
  return nil
end

--- Rows of operation `op_name` from `text`, the contents of a file (`name` for
-- messages). `fmt` is "csv", "jsonl" or nil (told from the first character). Returns rows
-- (snake_case keys, text values) and the checksum of the text, or nil and a message.
function M.parse(text, op_name, fmt, name)
  name = name or "input"
  local body = sub(text, 1, 3) == BOM and sub(text, 4) or text
  fmt = fmt or (body:match("^%s*{") and "jsonl" or "csv")
  local name_of = namer(op_name, name)
  local rows, err
  if fmt == "csv" then
    rows, err = from_csv(body, name, name_of)
  else
    rows, err = from_jsonl(body, name, name_of)
  end
  if not rows then
    return nil, err
  end
  return rows, M.checksum(text)
end

--- Rows of operation `op_name` from the file at `path`, as M.parse; `fmt` defaults to
-- what the file's extension says.
function M.read(path, op_name, fmt)
  local text, err = read_all(path)
  if not text then
    return nil, err
  end
  return M.parse(text, op_name, fmt or M.format_of(path), path)
end

return M

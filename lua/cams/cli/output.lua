--- Rendering of results for the command line: JSON, aligned tables, TSV, and
-- `--query` paths.
--
-- JSON keys come out sorted; an empty table prints as [] (the empty list of codes).
-- In tables and TSV a list of objects becomes one row per object, an object becomes
-- `path value` lines (nested keys joined with "."), a scalar prints as is.

local cjson = require "cjson.safe"

local M = {}

local concat, format, sort = table.concat, string.format, table.sort

local function is_null(v)
  return v == nil or v == cjson.null
end

-- Keys of `t`: those in the list `first` in its order, then the others sorted.
local function sorted_keys(t, first)
  local keys, rank = {}, {}
  for i, k in ipairs(first or {}) do
    rank[k] = i
  end
  for k in pairs(t) do
    keys[#keys + 1] = k
  end
  sort(keys, function(a, b)
    local ra, rb = rank[a], rank[b]
    if ra or rb then
      return (ra or math.huge) < (rb or math.huge)
    end
    if type(a) == type(b) then
      return a < b
    end
    return type(a) == "number"
  end)
  return keys
end

-- Keys shown first: result records, then the fields of a QR code.
M.FIRST = { "row", "status", "QrdlCode", "PhoneNumber", "GenerateQrImage",
  "PrefilledMessage", "DeepLinkUrl", "QrImageUrl" }

local is_list = require("cams.validate").is_list -- keys 1..n and nothing else
M.is_list = is_list

---------------------------------------------------------------------------
-- JSON

local ESCAPES = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function json_string(s)
  return '"' .. s:gsub('[%c"\\\127]', function(c)
    return ESCAPES[c] or format("\\u%04x", c:byte())
  end) .. '"'
end

local function json_number(n)
  if n ~= n or n == math.huge or n == -math.huge then
    return "null"
  end
  if math.type and math.type(n) == "integer" then
    return format("%d", n)
  end
  if n % 1 == 0 and n > -2 ^ 53 and n < 2 ^ 53 then
    return format("%.0f", n)
  end
  return format("%.17g", n)
end

local function encode(v, indent, depth, out, first)
  local t = type(v)
  if is_null(v) then
    out[#out + 1] = "null"
  elseif t == "boolean" then
    out[#out + 1] = tostring(v)
  elseif t == "number" then
    out[#out + 1] = json_number(v)
  elseif t == "string" then
    out[#out + 1] = json_string(v)
  elseif t == "table" then
    local list = is_list(v)
    if next(v) == nil then
      out[#out + 1] = "[]"
      return
    end
    local nl = indent and ("\n" .. indent:rep(depth + 1)) or ""
    local sep = indent and ": " or ":"
    out[#out + 1] = list and "[" or "{"
    for i, k in ipairs(list and {} or sorted_keys(v, first)) do
      out[#out + 1] = (i == 1 and "" or ",") .. nl .. json_string(tostring(k)) .. sep
      encode(v[k], indent, depth + 1, out, first)
    end
    if list then
      for i = 1, #v do
        out[#out + 1] = (i == 1 and "" or ",") .. nl
        encode(v[i], indent, depth + 1, out, first)
      end
    end
    out[#out + 1] = (indent and ("\n" .. indent:rep(depth)) or "") .. (list and "]" or "}")
  else
    out[#out + 1] = json_string(tostring(v))
  end
end

--- JSON text of `v`: one line, or indented with `indent` (e.g. "  "). Object keys
-- come in the order of the list `first` (default M.FIRST), then sorted.
function M.json(v, indent, first)
  local out = {}
  encode(v, indent, 0, out, first or M.FIRST)
  return concat(out)
end

---------------------------------------------------------------------------
-- Tables and TSV

local function scalar_text(v)
  if is_null(v) then
    return ""
  elseif type(v) == "number" then
    return json_number(v)
  elseif type(v) == "table" then
    return M.json(v)
  end
  return tostring(v)
end

-- One-line cell: control characters and backslashes escaped.
local function cell(v)
  return (scalar_text(v):gsub("[%c\\]", function(c)
    return ESCAPES[c] or format("\\x%02X", c:byte())
  end))
end

local function width(s)
  local n = #s:gsub("[\128-\191]", "") -- UTF-8 characters, not bytes
  return n
end

local function columns(list)
  local seen, cols = {}, {}
  for _, item in ipairs(list) do
    for k in pairs(item) do
      seen[k] = true
    end
  end
  for _, k in ipairs(M.FIRST) do
    if seen[k] then
      cols[#cols + 1] = k
      seen[k] = nil
    end
  end
  for _, k in ipairs(sorted_keys(seen)) do
    cols[#cols + 1] = k
  end
  return cols
end

-- Path/value pairs of nested tables: { {"Data.QrdlCode", "X"}, ... }.
local function flatten(v, prefix, out)
  if type(v) == "table" and next(v) ~= nil then
    for _, k in ipairs(sorted_keys(v, M.FIRST)) do
      flatten(v[k], prefix and (prefix .. "." .. tostring(k)) or tostring(k), out)
    end
  else
    out[#out + 1] = { prefix or "", v }
  end
  return out
end

-- Rows of cells (the first one a header when `header`) for a result.
local function grid(v)
  if type(v) ~= "table" then
    return { { cell(v) } }, false
  end
  if is_list(v) then
    local all_tables = #v > 0
    for _, item in ipairs(v) do
      if type(item) ~= "table" or is_list(item) then
        all_tables = false
      end
    end
    if all_tables then
      local cols = columns(v)
      local rows = { cols }
      for _, item in ipairs(v) do
        local r = {}
        for i, k in ipairs(cols) do
          r[i] = cell(item[k])
        end
        rows[#rows + 1] = r
      end
      return rows, true
    end
    local rows = {}
    for i, item in ipairs(v) do
      rows[i] = { cell(item) }
    end
    return rows, false
  end
  local rows = {}
  for i, pv in ipairs(flatten(v, nil, {})) do
    rows[i] = { pv[1], cell(pv[2]) }
  end
  return rows, false
end

--- Tab-separated lines.
function M.tsv(v)
  local lines = {}
  for i, r in ipairs(grid(v)) do
    lines[i] = concat(r, "\t")
  end
  return concat(lines, "\n")
end

--- Columns aligned with spaces; a list of objects gets a header line.
function M.table(v)
  local rows = grid(v)
  local widths = {}
  for _, r in ipairs(rows) do
    for i, c in ipairs(r) do
      widths[i] = math.max(widths[i] or 0, width(c))
    end
  end
  local lines = {}
  for n, r in ipairs(rows) do
    local parts = {}
    for i, c in ipairs(r) do
      parts[i] = i < #r and (c .. (" "):rep(widths[i] - width(c))) or c
    end
    lines[n] = concat(parts, "  ")
  end
  return concat(lines, "\n")
end

--- Text of `v` in `fmt` ("json", "table" or "tsv"), without a final newline;
-- an empty list gives "" in table and tsv.
function M.render(v, fmt)
  if fmt == "table" or fmt == "tsv" then
    if type(v) == "table" and next(v) == nil then
      return ""
    end
    return fmt == "table" and M.table(v) or M.tsv(v)
  end
  return M.json(v, "  ")
end

---------------------------------------------------------------------------
-- --query

--- The value at a dotted path: keys, or numbers indexing lists from 1
-- (`Data.QrdlCode`, `1.QrdlCode`). Returns the value, or nil and a message.
function M.query(v, path)
  if path == "" then
    return v
  end
  local walked = {}
  for seg in (path .. "."):gmatch("([^.]*)%.") do
    if seg == "" then
      return nil, format("empty segment in query '%s'", path)
    end
    if type(v) ~= "table" then
      return nil, format("no field '%s' in the result: '%s' is not an object or a list",
        seg, concat(walked, "."))
    end
    local key = seg
    if is_list(v) and tonumber(seg) then
      key = tonumber(seg)
    end
    local nv = v[key]
    if is_null(nv) then
      return nil, format("no field '%s' in the result%s", seg,
        #walked > 0 and (" at '" .. concat(walked, ".") .. "'") or "")
    end
    walked[#walked + 1] = seg
    v = nv
  end
  return v
end

return M

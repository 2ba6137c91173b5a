--- Argument checking: snake_case arguments of the typed helpers become the
-- PascalCase parameters the API expects, and generic call parameters are
-- checked and converted to strings. Failures are InvalidParameter errors
-- naming the parameter; values are never echoed except short enum values.

local errors = require "cams.errors"

local M = {}

local byte, find, format, sub = string.byte, string.find, string.format, string.sub
local floor, huge = math.floor, math.huge
local concat, sort = table.concat, table.sort

---------------------------------------------------------------------------
-- UTF-8

--- True when `s` is valid UTF-8 (the C core's strict check: no overlongs,
-- surrogates or code points above U+10FFFF).
function M.utf8_valid(s)
  return require("cams.core").utf8_valid(s)
end

---------------------------------------------------------------------------
-- Suggestions

-- Optimal string alignment distance (Levenshtein plus adjacent swaps).
local function distance(a, b)
  local la, lb = #a, #b
  local prev2, prev = {}, {}
  for j = 0, lb do
    prev[j] = j
  end
  for i = 1, la do
    local cur = { [0] = i }
    local ca = byte(a, i)
    for j = 1, lb do
      local cb = byte(b, j)
      local cost = (ca == cb) and 0 or 1
      local d = prev[j] + 1
      if cur[j - 1] + 1 < d then
        d = cur[j - 1] + 1
      end
      if prev[j - 1] + cost < d then
        d = prev[j - 1] + cost
      end
      if i > 1 and j > 1 and ca == byte(b, j - 1) and byte(a, i - 1) == cb
        and prev2[j - 2] + 1 < d then
        d = prev2[j - 2] + 1
      end
      cur[j] = d
    end
    prev2, prev = prev, cur
  end
  return prev[lb]
end
M._distance = distance

--- The candidate closest to `name` by edit distance, or nil when none is
-- close enough to be a plausible typo. Ties go to the alphabetically first.
function M.closest(name, candidates)
  if type(name) ~= "string" then
    return nil
  end
  local lname = name:lower()
  local limit = #name >= 6 and floor(#name / 3) or 2
  local best, best_d
  for _, c in ipairs(candidates) do
    local d = distance(lname, c:lower())
    if d <= limit and (not best_d or d < best_d or (d == best_d and c < best)) then
      best, best_d = c, d
    end
  end
  return best
end

--- "; did you mean 'x'?" or "; known <what>: a, b, c".
function M.suggestion(name, candidates, what)
  local best = M.closest(name, candidates)
  if best then
    return format("; did you mean '%s'?", best)
  end
  return format("; known %s: %s", what, concat(candidates, ", "))
end

--- Printable, bounded rendering of a key or short value for messages.
function M.show(v, max)
  max = max or 40
  local s = tostring(v)
  local cut = #s > max
  s = sub(s, 1, max):gsub("[%c\127\128-\255'\\]", function(c)
    return format("\\x%02X", byte(c))
  end)
  return s .. (cut and "..." or "")
end
local show = M.show

---------------------------------------------------------------------------
-- Numbers

local function is_integral(n)
  return n == n and n ~= huge and n ~= -huge and floor(n) == n
end

--- Decimal digits of an integral number, never in exponent form; nil and a
-- reason when the number is not integral or not exactly representable.
function M.integer_string(n)
  if type(n) ~= "number" then
    return nil, "not a number"
  end
  if math.type and math.type(n) == "integer" then
    return format("%d", n)
  end
  if not is_integral(n) then
    return nil, "not an integral number"
  end
  if n >= 2 ^ 53 or n <= -(2 ^ 53) then
    return nil, "too large to be exact as a number; pass a string"
  end
  if n == 0 then
    return "0"
  end
  return format("%.0f", n)
end

--- Any finite number as a string: integral values as plain digits, others
-- with the fewest digits that read back to the same value.
function M.number_string(n)
  local s = M.integer_string(n)
  if s then
    return s
  end
  if n ~= n or n == huge or n == -huge then
    return nil, "not a finite number"
  end
  for digits = 14, 17 do
    s = format("%." .. digits .. "g", n)
    if tonumber(s) == n then
      break
    end
  end
  return s
end

---------------------------------------------------------------------------
-- Operation entries

local function invalid(action, message)
  return nil, errors.new{ code = "InvalidParameter", message = message, action = action }
end

--- Check an operations.lua entry and index it. Raises on a malformed entry.
function M.compile(name, entry)
  assert(type(name) == "string" and name:match("^[%l_][%l%d_]*$"),
    "operation names are snake_case strings")
  assert(type(entry) == "table", name .. ": entry must be a table")
  assert(type(entry.action) == "string" and entry.action:match("^%u%w*$"),
    name .. ": action must be a PascalCase string")
  assert(type(entry.version) == "string", name .. ": version must be a string")
  assert(entry.qps == nil or (type(entry.qps) == "number" and entry.qps > 0),
    name .. ": qps must be a positive number")
  assert(entry.result == nil or (type(entry.result) == "string" and entry.result ~= ""),
    name .. ": result must be the name of a body field")
  assert(type(entry.params) == "table", name .. ": params must be a list")
  local op = {
    name = name, action = entry.action, version = entry.version, qps = entry.qps,
    result = entry.result, params = {}, by_name = {}, names = {},
  }
  for i, p in ipairs(entry.params) do
    local lua_name, api_name = p[1], p[2]
    assert(type(lua_name) == "string" and lua_name:match("^[%l_][%l%d_]*$"),
      format("%s: parameter #%d needs a snake_case name", name, i))
    assert(type(api_name) == "string" and api_name:match("^%u[%w.]*$"),
      format("%s: parameter %s needs a PascalCase API name", name, lua_name))
    assert(not op.by_name[lua_name], name .. ": duplicate parameter " .. lua_name)
    local enum_set
    if p.enum ~= nil then
      assert(type(p.enum) == "table" and #p.enum > 0,
        format("%s: enum of %s must be a non-empty list", name, lua_name))
      enum_set = {}
      for _, v in ipairs(p.enum) do
        enum_set[v] = true
      end
    end
    local spec = {
      name = lua_name, api = api_name, required = p.required and true or false,
      enum = p.enum, enum_set = enum_set, integer = p.integer and true or false,
      multiline = p.multiline and true or false,
    }
    op.params[#op.params + 1] = spec
    op.by_name[lua_name] = spec
    op.names[#op.names + 1] = lua_name
  end
  sort(op.names)
  return op
end

-- Checks shared by typed and generic parameters; returns what is wrong
-- (to follow the parameter's label) or nil.
local function check_text(s, multiline)
  if find(s, "\0", 1, true) then
    return "must not contain NUL bytes"
  end
  if not M.utf8_valid(s) then
    return "is not valid UTF-8"
  end
  -- plain searches: far cheaper than a character-class pattern
  if not multiline and (find(s, "\r", 1, true) or find(s, "\n", 1, true)) then
    return "must not contain line breaks (CR or LF)"
  end
  return nil
end

-- Labels are made only for error messages: formatting one per parameter on
-- every call would cost more than the checks.
local function label_of(p, op)
  return format("parameter '%s' of %s", p.name, op.name)
end

--- Turn the snake_case arguments of a typed helper into API parameters.
-- `op` comes from M.compile. Returns params (PascalCase keys, string
-- values) or nil, err. A non-table argument raises (programming error).
function M.operation(op, args)
  if type(args) ~= "table" then
    error(format("cams: %s expects a table of named arguments, got %s", op.name, type(args)), 3)
  end
  local action = op.action

  local unknown -- made only when needed: most calls have none
  for k in pairs(args) do
    if type(k) ~= "string" then
      if type(k) == "number" then
        return invalid(action, format(
          "unexpected positional argument #%s for %s; pass named arguments such as {%s = ...}",
          show(k), op.name, op.params[1] and op.params[1].name or "name"))
      end
      return invalid(action, format("unexpected %s key in the arguments of %s", type(k), op.name))
    elseif not op.by_name[k] then
      unknown = unknown or {}
      unknown[#unknown + 1] = k
    end
  end
  if unknown then
    sort(unknown)
    return invalid(action, format("unknown parameter '%s' for %s%s", show(unknown[1]), op.name,
      M.suggestion(unknown[1], op.names, "parameters")))
  end

  local out = {}
  for _, p in ipairs(op.params) do
    local v = args[p.name]
    if v == nil then
      if p.required then
        return invalid(action, format("missing required parameter '%s' for %s", p.name, op.name))
      end
    else
      local t = type(v)
      if t == "number" and p.integer then
        local s, why = M.integer_string(v)
        if not s then
          return invalid(action, format("%s must be a string or an integer: %s",
            label_of(p, op), why))
        end
        v = s
      elseif t ~= "string" then
        return invalid(action, format("%s must be a string%s, got %s", label_of(p, op),
          p.integer and " or an integer" or "", t))
      end
      if v == "" then
        if p.required then
          return invalid(action, label_of(p, op) .. " must not be empty")
        end
        v = nil -- an empty optional parameter is not sent
      else
        local msg = check_text(v, p.multiline)
        if msg then
          return invalid(action, label_of(p, op) .. " " .. msg)
        end
        if p.enum_set and not p.enum_set[v] then
          local hint = ""
          if p.enum_set[v:upper()] then
            hint = format(" (values are case-sensitive: '%s')", v:upper())
          end
          return invalid(action, format("invalid value '%s' for %s; expected one of: %s%s",
            show(v, 20), label_of(p, op), concat(p.enum, ", "), hint))
        end
      end
      out[p.api] = v
    end
  end
  return out
end

---------------------------------------------------------------------------
-- Generic calls

-- Parameters the signer sets itself (RPC common parameters).
local RESERVED = {
  Action = true, Version = true, Format = true, AccessKeyId = true,
  Signature = true, SignatureMethod = true, SignatureVersion = true,
  SignatureNonce = true, SignatureType = true, Timestamp = true,
  SecurityToken = true,
}

--- Check the parameters of a generic call: PascalCase string keys, string
-- or finite number values (numbers converted). Returns a new table of
-- strings or nil, err.
function M.params(action, params)
  local out = {}
  for k, v in pairs(params) do
    if type(k) ~= "string" then
      return invalid(action, format("parameter names must be strings, got %s key", type(k)))
    end
    if not k:match("^%a[%w._]*$") then
      return invalid(action, format("invalid parameter name '%s'", show(k)))
    end
    if RESERVED[k] then
      return invalid(action, format("parameter '%s' is set by the library and cannot be passed", k))
    end
    local t = type(v)
    if t == "number" then
      local s, why = M.number_string(v)
      if not s then
        return invalid(action, format("parameter '%s' must be a string or a finite number: %s",
          k, why))
      end
      v = s
    elseif t ~= "string" then
      return invalid(action, format("parameter '%s' must be a string or a number, got %s", k, t))
    end
    local msg = check_text(v, true)
    if msg then
      return invalid(action, format("parameter '%s' %s", k, msg))
    end
    out[k] = v
  end
  return out
end

return M

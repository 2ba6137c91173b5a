--- Argument checking: snake_case arguments of the typed helpers become the
-- PascalCase parameters the API expects, and generic call parameters are
-- checked and converted to strings. Failures are InvalidParameter errors
-- naming the parameter; values are never echoed except short enum values.

local errors = require "cams.errors"

local M = {}

local byte, format, sub = string.byte, string.format, string.sub
local next, pairs, type = next, pairs, type
local floor, huge = math.floor, math.huge
local concat, sort = table.concat, table.sort

-- The C core, loaded on first use: without it require "cams" still works, and cams.new
-- reports Core.Unavailable.
local core
local function core_module()
  core = core or require "cams.core"
  return core
end

---------------------------------------------------------------------------
-- UTF-8

--- True when `s` is valid UTF-8 (the C core's strict check: no overlongs,
-- surrogates or code points above U+10FFFF).
function M.utf8_valid(s)
  return core_module().utf8_valid(s)
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

--- What is wrong with `v` as a field of text (words to follow the field's name), or nil
-- for a non-empty string of UTF-8 without NUL, and without line breaks unless `multiline`.
function M.bad_text(v, multiline)
  if type(v) ~= "string" then
    return "must be a string, got " .. type(v)
  elseif v == "" then
    return "must not be empty"
  elseif v:find("\0", 1, true) then
    return "must not contain NUL bytes"
  elseif not M.utf8_valid(v) then
    return "is not valid UTF-8"
  elseif not multiline and v:find("[\r\n]") then
    return "must not contain line breaks (CR or LF)"
  end
  return nil
end

--- Whether `v` is a list: a table whose keys are 1..n and nothing else (the empty table
-- counts), as lua-cjson and lua-yaml decode an array.
function M.is_list(v)
  if type(v) ~= "table" then
    return false
  end
  local n = #v
  for k in pairs(v) do
    if type(k) ~= "number" or k < 1 or k > n or k % 1 ~= 0 then
      return false
    end
  end
  return true
end

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
  return nil, errors.invalid(message, action)
end

-- Labels are made only for error messages: formatting one per parameter on
-- every call would cost more than the checks.
local function label_of(p, op_name)
  return format("parameter '%s' of %s", p.name, op_name)
end

-- The conversion of a value given for parameter `p` of operation `op_name`: the string to
-- send, nil for an empty optional one (not sent), or false and the error message.
local function converter(p, op_name)
  local integer, required = p.integer, p.required
  return function(v)
    local t = type(v)
    if t == "number" and integer then
      local s, why = M.integer_string(v)
      if not s then
        return false, label_of(p, op_name) .. " must be a string or an integer: " .. why
      end
      v = s
    elseif t ~= "string" then
      return false, format("%s must be a string%s, got %s", label_of(p, op_name),
        integer and " or an integer" or "", t)
    end
    if v == "" then
      if required then
        return false, label_of(p, op_name) .. " must not be empty"
      end
      return nil
    end
    return v
  end
end

-- The check of an enum parameter's value (after the text checks): nil, or the message.
local function enum_check(p, op_name)
  local enum_set, enum = p.enum_set, p.enum
  return function(v)
    if enum_set[v] then
      return nil
    end
    local hint = ""
    if enum_set[v:upper()] then
      hint = format(" (values are case-sensitive: '%s')", v:upper())
    end
    return format("invalid value '%s' for %s; expected one of: %s%s", show(v, 20),
      label_of(p, op_name), concat(enum, ", "), hint)
  end
end

--- Check an operations.lua entry and compile its parameter checks, once, at load time.
-- Raises on a malformed entry.
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
  assert(type(entry.repeatable) == "boolean", name .. ": repeatable must be true or false")
  assert(entry.repeatable or entry.reconcile == "create" or entry.reconcile == "update",
    name .. ": an operation that is not repeatable needs reconcile = 'create' or 'update'")
  assert(entry.gone == nil or type(entry.gone) == "string", name .. ": gone must be a string")
  assert(entry.data == nil or entry.data == "list" or entry.data == "object",
    name .. ": data must be 'list' or 'object'")
  local op = {
    name = name, action = entry.action, version = entry.version, qps = entry.qps,
    result = entry.result, repeatable = entry.repeatable, reconcile = entry.reconcile,
    gone = entry.gone, data = entry.data, params = {}, by_name = {}, by_api = {}, names = {}, multiline = {},
    enums = {},
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
    spec.convert = converter(spec, name)
    if enum_set then
      op.enums[#op.enums + 1] = { api = api_name, check = enum_check(spec, name) }
    end
    op.params[#op.params + 1] = spec
    op.by_name[lua_name] = spec
    op.by_api[api_name] = spec
    op.names[#op.names + 1] = lua_name
    if spec.multiline then
      op.multiline[api_name] = true
    end
  end
  sort(op.names)
  return op
end

-- What is wrong with the keys of `args`: a positional or unknown one; nil when all are known.
local function key_problem(op, args)
  local unknown -- the first in order, made only when needed: most calls have none
  for k in pairs(args) do
    if type(k) ~= "string" then
      if type(k) == "number" then
        return format("unexpected positional argument #%s for %s; pass named arguments such "
          .. "as {%s = ...}", show(k), op.name, op.params[1] and op.params[1].name or "name")
      end
      return format("unexpected %s key in the arguments of %s", type(k), op.name)
    elseif not op.by_name[k] and (unknown == nil or k < unknown) then
      unknown = k
    end
  end
  if unknown then
    return format("unknown parameter '%s' for %s%s", show(unknown), op.name,
      M.suggestion(unknown, op.names, "parameters"))
  end
  return nil
end

--- Turn the snake_case arguments of a typed helper into API parameters.
-- `op` comes from M.compile. Returns params (PascalCase keys, string
-- values) or nil, err. A non-table argument raises (programming error).
function M.operation(op, args)
  if type(args) ~= "table" then
    error(format("cams: %s expects a table of named arguments, got %s", op.name, type(args)), 3)
  end
  local action, by_name = op.action, op.by_name
  for k in next, args do
    if not by_name[k] then -- a positional, non-string or unknown key: say which
      return invalid(action, key_problem(op, args))
    end
  end
  local out = {}
  local params = op.params
  for i = 1, #params do
    local p = params[i]
    local v = args[p.name]
    if type(v) == "string" and v ~= "" then -- the common case, checked below with the rest
      out[p.api] = v
    elseif v == nil then
      if p.required then
        return invalid(action, format("missing required parameter '%s' for %s", p.name, op.name))
      end
    else
      local s, why = p.convert(v)
      if s == false then
        return invalid(action, why)
      end
      out[p.api] = s
    end
  end
  local bad, why = core_module().check_texts(out, op.multiline)
  if bad then
    return invalid(action, label_of(op.by_api[bad], op.name) .. " " .. why)
  end
  for _, e in ipairs(op.enums) do
    local v = out[e.api]
    if v ~= nil then
      local problem = e.check(v)
      if problem then
        return invalid(action, problem)
      end
    end
  end
  return out
end

---------------------------------------------------------------------------
-- Sizes

-- Limits checked before anything is signed (a larger request would be cut off by a
-- gateway, or carried out and answered with an echo too large to read back).
M.MAX_VALUE = 32 * 1024   -- bytes of one parameter value
M.MAX_PARAMS = 256 * 1024 -- bytes of all values of one call
M.MAX_QUERY = 2048        -- bytes of all values when they go in the URL (up to 3 times as
                          -- many once percent-encoded; gateways refuse request lines > 8 KiB)

--- What is wrong with the sizes of `params` (API names -> strings), or nil; `in_query`
-- when they go in the query string.
function M.sizes(params, in_query)
  local total, largest, largest_name = 0, 0, nil
  for k, v in pairs(params) do
    total = total + #k + #v
    if #v > largest then
      largest, largest_name = #v, k
    end
  end
  if largest > M.MAX_VALUE then
    return format("parameter '%s' is %d bytes; at most %d", largest_name, largest, M.MAX_VALUE)
  elseif total > M.MAX_PARAMS then
    return format("the parameters are %d bytes together; at most %d", total, M.MAX_PARAMS)
  elseif in_query and total > M.MAX_QUERY then
    return format("the parameters are %d bytes together; at most %d when they go in the "
      .. "query string (params_in = 'body' sends more)", total, M.MAX_QUERY)
  end
  return nil
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
    out[k] = v
  end
  local bad, why = core_module().check_texts(out, true)
  if bad then
    return invalid(action, format("parameter '%s' %s", bad, why))
  end
  return out
end

return M

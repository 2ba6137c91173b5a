--- Checks of option tables (cams.new, per-call options): every key must be known, and each
-- value passes the rule of its name. A rule is `function(value, name)` returning a message
-- when the value is wrong, nil when it is fine.
local validate = require "cams.validate"

local format = string.format
local show = validate.show

local M = {}

function M.finite(v)
  return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge
end

---------------------------------------------------------------------------
-- Rules

--- A rule for seconds from `lo` to `hi`: below a millisecond libcurl would read the
-- timeout as "no limit", and a day or more is no timeout anyone means.
function M.seconds(lo, hi)
  return function(v, name)
    if not M.finite(v) or v <= 0 or v < lo or v > hi then
      return format("%s must be a positive number of seconds, from %g to %g", name, lo, hi)
    end
  end
end

M.TIMEOUT = M.seconds(0.001, 3600) -- one attempt, a connection, a backoff delay
M.DEADLINE = M.seconds(0.001, 86400) -- a whole call

function M.count(v, name)
  if not M.finite(v) or v < 0 or math.floor(v) ~= v then
    return format("%s must be a non-negative integer", name)
  end
end

function M.boolean(v, name)
  if type(v) ~= "boolean" then
    return format("%s must be a boolean, got %s", name, type(v))
  end
end

function M.string(v, name)
  if type(v) ~= "string" then
    return format("%s must be a string, got %s", name, type(v))
  end
end

function M.func(v, name)
  if type(v) ~= "function" then
    return format("%s must be a function, got %s", name, type(v))
  end
end

--- A rule accepting only these strings.
function M.one_of(allowed)
  return function(v, name)
    if type(v) ~= "string" then
      return format("%s must be a string, got %s", name, type(v))
    end
    for _, a in ipairs(allowed) do
      if v == a then
        return nil
      end
    end
    return format("invalid value '%s' for %s; expected one of: %s", show(v, 20), name,
      table.concat(allowed, ", "))
  end
end

---------------------------------------------------------------------------
-- Tables

--- A schema: rules by name, and the names in order (for messages and checks).
function M.schema(rules)
  local names = {}
  for name in pairs(rules) do
    names[#names + 1] = name
  end
  table.sort(names)
  return { rules = rules, names = names }
end

--- The message for the first unknown key of `t` (in byte order, so that it does not depend
-- on table order), with the closest known one, or nil. `names`: the known keys (sorted);
-- `accepted` (optional): a set of further keys that are fine. `what` names the table.
-- With `noun` "key" the message reads "unknown key 'x' in <what>", else "unknown option 'x'
-- for <what>".
function M.unknown_key(t, names, what, noun, accepted)
  local known = {}
  for _, k in ipairs(names) do
    known[k] = true
  end
  local unknown
  for k in pairs(t) do
    if type(k) ~= "string" then
      return noun == "key" and format("unexpected %s key in %s", type(k), what)
        or format("unexpected %s key in the options of %s", type(k), what)
    elseif not known[k] and not (accepted and accepted[k] ~= nil)
        and (unknown == nil or k < unknown) then
      unknown = k
    end
  end
  if unknown == nil then
    return nil
  end
  if noun == "key" then
    return format("unknown key '%s' in %s%s", show(unknown), what,
      validate.suggestion(unknown, names, "keys"))
  end
  return format("unknown option '%s' for %s%s", show(unknown), what,
    validate.suggestion(unknown, names, "options"))
end

--- What is wrong with the table `t` of options of `what`, or nil: an unknown key is named
-- with the closest known one; then each value is checked in name order.
function M.check(t, schema, what)
  local msg = M.unknown_key(t, schema.names, what)
  if msg then
    return msg
  end
  local rules = schema.rules
  for _, name in ipairs(schema.names) do
    local v = t[name]
    if v ~= nil then
      msg = rules[name](v, name)
      if msg then
        return msg
      end
    end
  end
  return nil
end

return M

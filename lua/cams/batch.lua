--- Many calls of one operation from a list of rows: `client:update_many(rows, opts)`.
--
-- Rows are the named arguments of the typed helper, with snake_case keys
-- (`qrdl_code`) or the API's PascalCase ones (`QrdlCode`). Calls go one after the
-- other through the client, so they are paced by its rate limiter and retried by
-- its retry policy; a failed row never stops the others.
--
-- opts:
--   on_start(i)                     before row i is sent (a journal notes it in flight)
--   on_result(i, res, err)          after each row; returning false stops the batch
--   on_progress(done, total, failures)  after each row (counts of this run)
--   skip(i)                         true leaves row i out (done in an earlier run)
--   resend(i)                       true when row i was in flight when an earlier run
--                                   stopped: its codes are listed first, and it is sent
--                                   only if that update was not made (cams.reconcile)
--
-- Returns `results, summary`: results[i] is `{ row = i, res = body }`,
-- `{ row = i, err = err }` or `{ row = i, skipped = true }` (rows never reached after
-- a stop have no entry); summary is `{ total =, done =, succeeded =, failed =,
-- skipped =, stopped = }`.

local errors = require "cams.errors"
local operations = require "cams.operations"

local M = {}

local function callable(v)
  if type(v) == "function" then
    return true
  end
  local mt = getmetatable(v)
  return type(mt) == "table" and type(mt.__call) == "function"
end

--- A copy of `row` with PascalCase keys of operation `name` renamed to snake_case;
-- nil and a message when a parameter is given under both names.
function M.normalize(name, row)
  local entry = assert(operations[name], "unknown operation " .. tostring(name))
  local out = {}
  for k, v in pairs(row) do
    out[k] = v
  end
  for _, p in ipairs(entry.params) do
    local snake, pascal = p[1], p[2]
    if out[pascal] ~= nil then
      if out[snake] ~= nil then
        return nil, string.format("parameter '%s' is given twice (as %s and %s)",
          snake, snake, pascal)
      end
      out[snake], out[pascal] = out[pascal], nil
    end
  end
  return out
end

local OPTIONS = { on_start = true, on_result = true, on_progress = true, skip = true,
  resend = true }

local RESEND = { resend = true } -- the call options of a row that was in flight

local function check(rows, opts)
  if type(rows) ~= "table" then
    error("cams: update_many expects a list of rows, got " .. type(rows), 4)
  end
  for i = 1, #rows do
    if type(rows[i]) ~= "table" then
      error(string.format("cams: row %d of update_many is a %s, not a table", i,
        type(rows[i])), 4)
    end
  end
  if opts == nil then
    return {}
  end
  if type(opts) ~= "table" then
    error("cams: the options of update_many must be a table, got " .. type(opts), 4)
  end
  for k, v in pairs(opts) do
    if not OPTIONS[k] then
      error("cams: unknown option '" .. tostring(k)
        .. "' for update_many (on_start, on_result, on_progress, skip, resend)", 4)
    end
    if not callable(v) then
      error("cams: option " .. k .. " of update_many must be a function", 4)
    end
  end
  return opts
end

--- Runs operation `name` of `client` once per row; see the top of this file.
function M.run(client, name, rows, opts)
  opts = check(rows, opts)
  local method = client[name]
  local action = operations[name].action
  return M.each(#rows, opts, function(i) return { row = i, skipped = true } end, function(i)
    local args, msg = M.normalize(name, rows[i])
    local res, err
    if args then
      if opts.on_start then
        opts.on_start(i)
      end
      res, err = method(client, args, opts.resend and opts.resend(i) and RESEND or nil)
    else
      err = errors.new{ code = "InvalidParameter", message = msg, action = action }
    end
    local go_on = not opts.on_result or opts.on_result(i, res, err) ~= false
    return res ~= nil and { row = i, res = res } or { row = i, err = err }, res ~= nil, go_on
  end)
end

--- The loop of a run of many changes (update_many, cams.apply): `step(i)` for each of
-- the items 1..n that opts.skip(i) does not leave out, in order, returning the item's
-- result, whether it succeeded and whether to go on. Items left out get `skipped(i)`,
-- items never reached after a stop no result; opts.on_progress(done, total, failures)
-- follows each step. Returns `results, summary` as M.run does.
function M.each(n, opts, skipped, step)
  local todo = {}
  for i = 1, n do
    if not (opts.skip and opts.skip(i)) then
      todo[#todo + 1] = i
    end
  end
  local results = {}
  for i = 1, n do
    results[i] = skipped(i)
  end
  local summary = { total = n, done = 0, succeeded = 0, failed = 0, skipped = n - #todo,
    stopped = false }
  for k, i in ipairs(todo) do
    local r, ok, go_on = step(i)
    results[i] = r
    if ok then
      summary.succeeded = summary.succeeded + 1
    else
      summary.failed = summary.failed + 1
    end
    summary.done = k
    if opts.on_progress then
      opts.on_progress(k, #todo, summary.failed)
    end
    if not go_on then
      summary.stopped = true
      for j = k + 1, #todo do
        results[todo[j]] = nil
      end
      break
    end
  end
  return results, summary
end

return M

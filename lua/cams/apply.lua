--- Applying a plan (cams.plan): `client:apply(plan, opts)`.
--
-- Each change goes through the client's typed helpers one after the other: paced by its
-- rate limiter, retried by its retry policy, and exactly once: a create or an update whose
-- answer is lost is reconciled by listing the codes before anything is sent again.
-- The state (cams.state) is kept current as the changes are made: an update that answers
-- with a new code moves the entry's name to it, a delete drops it.
--
-- opts:
--   state                    the state to keep current (changed in place; default empty)
--   on_start(i, change)      before change i is sent (a journal notes it in flight)
--   on_change(i, change, res, err)  after each change; returning false stops
--   on_state(state)          once before the first change and after each one (write it)
--   on_progress(done, total, failures)
--   skip(i)                  true leaves change i out (made in an earlier run; the state
--                            given already holds it)
--   resend(i)                true when change i was in flight when an earlier run stopped:
--                            the codes are listed first and it is sent only if not made
--
-- Returns `results, summary, state`: results[i] is { change =, res =, err =, qrdl_code =,
-- deep_link = } (the live code after the change; nil for a delete), or { change =,
-- skipped = true }; summary { total =, done =, succeeded =, failed =, skipped =, stopped = }.
local batch = require "cams.batch"
local state_mod = require "cams.state"

local M = {}

local OPTIONS = { state = "table", on_start = "function", on_change = "function",
  on_state = "function", on_progress = "function", skip = "function", resend = "function" }

local function check(plan, opts)
  if type(plan) ~= "table" or type(plan.changes) ~= "table" then
    error("cams: apply expects a plan (client:plan(...)), got " .. type(plan), 4)
  end
  opts = opts or {}
  if type(opts) ~= "table" then
    error("cams: the options of apply must be a table, got " .. type(opts), 4)
  end
  for k, v in pairs(opts) do
    if not OPTIONS[k] then
      error("cams: unknown option '" .. tostring(k) .. "' for apply (state, on_start, "
        .. "on_change, on_state, on_progress, skip, resend)", 4)
    elseif type(v) ~= OPTIONS[k] then
      error("cams: option " .. k .. " of apply must be a " .. OPTIONS[k], 4)
    end
  end
  return opts
end

-- The entry of a live code of the plan's listing.
local function live_entry(plan, phone, code)
  for _, n in ipairs(plan.numbers or {}) do
    if n.phone_number == phone then
      for _, c in ipairs(n.live or {}) do
        if c.qrdl_code == code then
          return { qrdl_code = c.qrdl_code, message = c.message, image = c.image,
            deep_link = c.deep_link }
        end
      end
    end
  end
  return { qrdl_code = code }
end

-- The state of the planned numbers before the changes: the entries in sync, and those
-- about to change as they are now; names the plan no longer manages are dropped. Entries
-- of skipped changes (made in an earlier run) are kept as the state holds them.
local function prepare(plan, state, skip)
  local keep = {}
  for i, c in ipairs(plan.changes) do
    if c.name and (skip and skip(i)) then
      keep[c.phone_number .. "\0" .. c.name] = true
    end
  end
  local fresh = {}
  for _, n in ipairs(plan.numbers or {}) do
    local old = state.numbers[n.phone_number] or {}
    local new = {}
    for handle, e in pairs(old) do
      if keep[n.phone_number .. "\0" .. handle] then
        new[handle] = e
      end
    end
    fresh[n.phone_number] = new
  end
  for _, b in ipairs(plan.bindings or {}) do
    fresh[b.phone_number][b.name] = live_entry(plan, b.phone_number, b.qrdl_code)
  end
  for i, c in ipairs(plan.changes) do
    if c.qrdl_code and c.name and not (skip and skip(i)) then
      fresh[c.phone_number][c.name] = live_entry(plan, c.phone_number, c.qrdl_code)
    end
  end
  for phone, entries in pairs(fresh) do
    state.numbers[phone] = entries
  end
end

local function call_of(client, c, resend)
  local opts = resend and { resend = true } or nil
  if c.action == "create" then
    return client:create_qrdl({ phone_number = c.phone_number, cust_space_id = c.cust_space_id,
      prefilled_message = c.after.message, generate_qr_image = c.after.image }, opts)
  elseif c.action == "update" then
    return client:update_qrdl({ phone_number = c.phone_number, cust_space_id = c.cust_space_id,
      qrdl_code = c.qrdl_code, prefilled_message = c.after.message,
      generate_qr_image = c.after.image }, opts)
  end
  local res, err = client:delete_qrdl({ phone_number = c.phone_number,
    cust_space_id = c.cust_space_id, qrdl_code = c.qrdl_code })
  if not res and resend and err.code == "QrdlCode.NotFound" then
    -- the delete in flight when the earlier run stopped was made
    return { Code = "OK", RequestId = err.request_id, reconciled = { after = "Resend",
      message = "the code is gone: the earlier attempt deleted it" } }
  end
  return res, err
end

--- Applies `plan` through `client`; see the top of this file.
function M.run(client, plan, opts)
  opts = check(plan, opts)
  local state = opts.state or state_mod.new()
  state.numbers = state.numbers or {}
  prepare(plan, state, opts.skip)
  if opts.on_state then
    opts.on_state(state)
  end
  local results, summary = batch.each(#plan.changes, opts, function(i)
    return { change = plan.changes[i], skipped = true }
  end, function(i)
    local c = plan.changes[i]
    if opts.on_start then
      opts.on_start(i, c)
    end
    local res, err = call_of(client, c, opts.resend and opts.resend(i))
    local r = { change = c, res = res, err = err }
    if res ~= nil then
      local entries = state.numbers[c.phone_number]
      if c.action == "delete" then
        if c.name then
          entries[c.name] = nil
        end
      else
        local e = state_mod.entry(type(res.Data) == "table" and res.Data or {})
        e.qrdl_code = e.qrdl_code or c.qrdl_code
        e.message, e.image = c.after.message, c.after.image
        r.qrdl_code, r.deep_link = e.qrdl_code, e.deep_link
        entries[c.name] = e
      end
      if opts.on_state then
        opts.on_state(state)
      end
    end
    local go_on = not opts.on_change or opts.on_change(i, c, res, err) ~= false
    return r, res ~= nil, go_on
  end)
  return results, summary, state
end

return M

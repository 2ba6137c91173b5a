--- The plan: what it takes to bring the live QR codes of some phone numbers to a desired
-- state (cams.desired), given the state of the last apply (cams.state).
--
-- Per phone number of the desired state, each entry is matched with a live code:
--   1. the code its state entry names, when that code is still live (else drift: "gone");
--   2. else an unclaimed live code with the entry's message and image (adopted);
--   3. else none: the entry is created.
-- A matched code whose message or image differs is updated. A live code no entry claims is
-- drift ("unclaimed"): kept, or deleted when the number says prune. Every update and delete
-- retires the code it names: its printed copies stop opening the chat (an API that keeps
-- codes on update keeps them working, which the plan cannot know beforehand).
--
-- The plan table:
--   { kind = "cams qrdl plan",
--     numbers = { { phone_number =, cust_space_id =, prune =, live = { { qrdl_code =,
--                   message =, image = }, ... } } },   -- what the plan was made against
--     changes = { { action = "create" | "update" | "delete", phone_number =, cust_space_id =,
--                   name = (nil for a delete of a code no entry names), qrdl_code = (nil
--                   for a create), before = { message =, image = } | nil,
--                   after = { message =, image = } | nil, retires = code | nil } },
--     bindings = { { phone_number =, name =, qrdl_code =, adopted = boolean } },  -- in sync
--     drift = { { kind = "gone", phone_number =, name =, qrdl_code = },
--               { kind = "unclaimed", phone_number =, qrdl_code =, message =, image =,
--                 deleted = boolean } },
--     warnings = { "..." },
--     summary = { create =, update =, delete =, retired = } }
local desired_mod = require "cams.desired"

local M = {}

M.KIND = "cams qrdl plan"

local format = string.format

local function text(v)
  return type(v) == "string" and v or nil
end

-- The live codes of a listing as { qrdl_code =, message =, image =, deep_link = }, sorted
-- by code.
local function live_of(list)
  local out = {}
  for _, c in ipairs(list or {}) do
    if type(c) == "table" and text(c.QrdlCode) then
      out[#out + 1] = { qrdl_code = c.QrdlCode, message = text(c.PrefilledMessage),
        image = text(c.GenerateQrImage), deep_link = text(c.DeepLinkUrl) }
    end
  end
  table.sort(out, function(a, b) return a.qrdl_code < b.qrdl_code end)
  return out
end
M.live_of = live_of

--- Lists the live codes of every number of `desired` through `client` (paced and retried
-- like any call): a table phone number -> listing, or nil and an error.
function M.list(client, numbers)
  local live = {}
  for _, n in ipairs(numbers) do
    local codes, err = client:list_qrdl{ phone_number = n.phone_number,
      cust_space_id = n.cust_space_id }
    if not codes then
      return nil, err
    end
    live[n.phone_number] = codes
  end
  return live
end

--- The plan of `desired` (checked, as cams.desired.check returns it) against `state`
-- (cams.state; nil for none) and `live` (phone number -> list_qrdl result).
function M.diff(desired, state, live)
  local numbers = state and state.numbers or {}
  local plan = { kind = M.KIND, numbers = {}, changes = {}, bindings = {}, drift = {},
    warnings = {}, summary = { create = 0, update = 0, delete = 0, retired = 0 } }
  local changes, s = plan.changes, plan.summary
  for _, n in ipairs(desired.numbers) do
    local phone = n.phone_number
    local codes = live_of(live[phone])
    plan.numbers[#plan.numbers + 1] = { phone_number = phone, cust_space_id = n.cust_space_id,
      prune = n.prune, live = codes }
    local by_code, claimed = {}, {}
    for _, c in ipairs(codes) do
      by_code[c.qrdl_code] = c
    end
    local known = numbers[phone] or {}
    local match = {}
    -- 1. what the state says
    for _, e in ipairs(n.codes) do
      local st = known[e.name]
      if st then
        if by_code[st.qrdl_code] and not claimed[st.qrdl_code] then
          match[e.name] = by_code[st.qrdl_code]
          claimed[st.qrdl_code] = true
        elseif not by_code[st.qrdl_code] then
          plan.drift[#plan.drift + 1] = { kind = "gone", phone_number = phone, name = e.name,
            qrdl_code = st.qrdl_code }
        end
      end
    end
    -- 2. adoption of an unclaimed code with the same message and image
    for _, e in ipairs(n.codes) do
      if not match[e.name] then
        for _, c in ipairs(codes) do
          if not claimed[c.qrdl_code] and c.message == e.message and c.image == e.image then
            match[e.name], claimed[c.qrdl_code] = c, true
            e.adopted = true
            break
          end
        end
      end
    end
    for _, e in ipairs(n.codes) do
      local c = match[e.name]
      local after = { message = e.message, image = e.image }
      if not c then
        changes[#changes + 1] = { action = "create", phone_number = phone,
          cust_space_id = n.cust_space_id, name = e.name, after = after }
        s.create = s.create + 1
      elseif c.message ~= e.message or c.image ~= e.image then
        changes[#changes + 1] = { action = "update", phone_number = phone,
          cust_space_id = n.cust_space_id, name = e.name, qrdl_code = c.qrdl_code,
          before = { message = c.message, image = c.image }, after = after,
          retires = c.qrdl_code }
        s.update, s.retired = s.update + 1, s.retired + 1
      else
        plan.bindings[#plan.bindings + 1] = { phone_number = phone, name = e.name,
          qrdl_code = c.qrdl_code, adopted = e.adopted == true }
      end
      e.adopted = nil
      if #e.message > desired_mod.LONG_MESSAGE then
        plan.warnings[#plan.warnings + 1] = format("%s %s: the message has %d bytes; WhatsApp "
          .. "prefills at most %d characters", phone, e.name, #e.message,
          desired_mod.LONG_MESSAGE)
      end
    end
    -- 3. live codes no entry claims
    local by_state_code = {}
    for handle, st in pairs(known) do
      by_state_code[st.qrdl_code] = handle
    end
    for _, c in ipairs(codes) do
      if not claimed[c.qrdl_code] then
        plan.drift[#plan.drift + 1] = { kind = "unclaimed", phone_number = phone,
          qrdl_code = c.qrdl_code, message = c.message, image = c.image, deleted = n.prune }
        if n.prune then
          changes[#changes + 1] = { action = "delete", phone_number = phone,
            cust_space_id = n.cust_space_id, name = by_state_code[c.qrdl_code],
            qrdl_code = c.qrdl_code, before = { message = c.message, image = c.image },
            retires = c.qrdl_code }
          s.delete, s.retired = s.delete + 1, s.retired + 1
        end
      end
    end
  end
  return plan
end

--- The plan of `desired` against `state` and the codes `client` lists now; or nil and an
-- error. `desired` may be a raw table (checked with cams.desired.check first).
function M.make(client, desired, state)
  if type(desired) ~= "table" then
    error("cams: plan expects a desired state (a table), got " .. type(desired), 3)
  end
  if not desired.checked then
    local checked, err = desired_mod.check(desired)
    if not checked then
      return nil, err
    end
    desired = checked
  end
  local live, err = M.list(client, desired.numbers)
  if not live then
    return nil, err
  end
  return M.diff(desired, state, live)
end

--- Whether the server still holds what `plan` was made against (`live`: phone number ->
-- list_qrdl result): true, or false and what changed.
function M.matches(plan, live)
  for _, n in ipairs(plan.numbers or {}) do
    local now = live_of(live[n.phone_number])
    local was = n.live or {}
    local why
    if #now ~= #was then
      why = format("%s holds %d codes, the plan was made with %d", n.phone_number, #now, #was)
    else
      for i, c in ipairs(now) do
        local w = was[i]
        if c.qrdl_code ~= w.qrdl_code then
          why = format("%s: code %s is not the one the plan was made with", n.phone_number,
            c.qrdl_code)
        elseif c.message ~= w.message or c.image ~= w.image then
          why = format("%s: code %s changed since the plan was made", n.phone_number,
            c.qrdl_code)
        end
        if why then
          break
        end
      end
    end
    if why then
      return false, why
    end
  end
  return true
end

--- True when the plan changes nothing.
function M.in_sync(plan)
  return #plan.changes == 0
end

return M

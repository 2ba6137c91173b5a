--- What a lost answer hides. Create and Update are not repeatable: a repeated create makes
-- a second code, and a repeated update names a code the first one may have retired. So
-- after an attempt whose outcome is uncertain (the request went out, no whole answer came
-- back), the phone number's codes are listed (through the same client: paced and retried
-- like any call) and compared with what the call asked for; nothing is sent again unless
-- that shows the change was not made.
--
--   update: the named code still there with the requested message and image -> done (the
--           API kept the code, or it carried them already); still there with other
--           content -> not made, safe to send again; gone, and exactly one code carries
--           the requested message and image -> done, that is the new code; anything else
--           -> Reconcile.Ambiguous, with the candidates
--   create: compared with the codes listed before the first attempt: exactly one new code
--           with the requested message and image -> done; none -> not made; several ->
--           Reconcile.Ambiguous
-- The same rules serve an API that keeps codes on update and one that replaces them.
local errors = require "cams.errors"

local format = string.format

local M = {}

-- The codes of the call's phone number (a list of Data objects), or nil and an error.
function M.codes(p, call, deadline)
  local params = call.params
  local codes, body = p.owner[1]:list_qrdl({ phone_number = params.PhoneNumber,
    cust_space_id = params.CustSpaceId }, { deadline = deadline })
  if not codes then
    return nil, body
  end
  return codes, body
end

local function carries(code, params)
  return type(code) == "table" and code.PrefilledMessage == params.PrefilledMessage
    and code.GenerateQrImage == params.GenerateQrImage
end

local function candidates_text(list)
  local out = {}
  for i, c in ipairs(list) do
    out[i] = tostring(c.QrdlCode)
  end
  return #out > 0 and table.concat(out, ", ") or "none"
end

-- The body a typed helper returns for a change found made: the listed code as Data.
local function done(list_body, code, err)
  return { RequestId = list_body.RequestId, Code = "OK", Message = "None", Data = code,
    reconciled = { after = err.code, message = err.message } }
end

--- Decides after the uncertain failure `err` of `call`: returns the body of the change
-- when it was made; nothing when it was not (safe to send again); or nil and an error
-- (Reconcile.Ambiguous, or Reconcile.Failed when the codes could not be listed).
function M.after(p, call, err, deadline)
  local codes, list_body = M.codes(p, call, deadline)
  if not codes then
    return nil, errors.unreconciled("Reconcile.Failed", format("the codes of %s could not be "
      .. "listed to tell whether the change was made (%s): list them before trying again",
      tostring(call.params.PhoneNumber), tostring(list_body)), err, { cause = list_body })
  end
  local params = call.params
  local named = call.op.reconcile == "update" and params.QrdlCode or nil
  local matching = {}
  for _, c in ipairs(codes) do
    if named and c.QrdlCode == named then
      if carries(c, params) then
        return done(list_body, c, err)
      end
      return nil -- the named code is there with its old content: not made
    end
    if carries(c, params) and not (call.before and call.before[c.QrdlCode]) then
      matching[#matching + 1] = c
    end
  end
  if #matching == 1 then
    return done(list_body, matching[1], err)
  end
  if not named and #matching == 0 then
    return nil -- no new code: the create was not made
  end
  local what = named and format("code %s is gone, and %d codes carry the requested message "
    .. "and image (%s)", named, #matching, candidates_text(matching))
    or format("%d new codes carry the requested message and image (%s)", #matching,
      candidates_text(matching))
  return nil, errors.unreconciled("Reconcile.Ambiguous", what, err, { candidates = matching })
end

--- The codes a create compares with after a lost answer, listed before its first attempt:
-- a set of QrdlCode, or nil and an error.
function M.before(p, call, deadline)
  local codes, err = M.codes(p, call, deadline)
  if not codes then
    return nil, err
  end
  local set = {}
  for _, c in ipairs(codes) do
    if type(c) == "table" and c.QrdlCode ~= nil then
      set[c.QrdlCode] = true
    end
  end
  return set
end

return M

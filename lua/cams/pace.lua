--- The pace stage of a call: waits for the call's rate-limit slot (cams.ratelimit, or the
-- nginx-wide cams.ratelimit.shdict), unless the slot would come after the deadline.
local errors = require "cams.errors"

local M = {}

--- Waits for the next slot of `call.action` on the client `p`; returns the seconds left
-- before the deadline, or nil and DeadlineExceeded (nothing sent, the slot given back).
function M.wait(p, call, left)
  local qps = call.qps
  if not qps then
    return left
  end
  local wait = p.limiter:reserve(call.action, qps, p.clock.now())
  if wait >= left then
    p.limiter:release(call.action, qps)
    return nil, errors.deadline_exceeded(string.format(
      "no rate-limit slot (%g calls/s) before the deadline of %gs", qps, call.deadline),
      call.action)
  end
  p.clock.sleep(wait)
  return left - wait
end

return M

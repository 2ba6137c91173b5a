--- The pace stage of a call: waits for the call's rate-limit slot (cams.ratelimit per
-- client, cams.ratelimit.shdict per nginx node, cams.ratelimit.redis across machines),
-- unless the slot would come after the deadline; and tells the limiter when the API
-- throttled a call, so that a schedule shared with other machines slows down for all.
local errors = require "cams.errors"

local M = {}

--- Waits for the next slot of `call.action` on the client `p`; returns the seconds left
-- before the deadline, or nil and an error (nothing sent): DeadlineExceeded (the slot given
-- back), or the limiter's own (RateLimit.Unavailable).
function M.wait(p, call, left)
  local qps = call.qps
  if not qps then
    return left
  end
  local clock, limiter = p.clock, p.limiter
  local started = clock.now()
  call.ends_at = started + left -- this attempt's deadline on the client's clock
  local wait, token = limiter:reserve(call.action, qps, started, left)
  if not wait then
    token.action = call.action
    return nil, token
  end
  left = left - (clock.now() - started) -- the reservation's own round trip, if any
  if wait >= left then
    limiter:release(call.action, qps, token, left)
    return nil, errors.deadline_exceeded(string.format(
      "no rate-limit slot (%g calls/s) before the deadline of %gs", qps, call.deadline),
      call.action)
  end
  clock.sleep(wait)
  return left - wait
end

-- Codes of an API that has had enough calls for now.
local function throttling(code)
  return code == "System.LimitControl" or (type(code) == "string"
    and code:sub(1, 10) == "Throttling")
end

--- After an answer of the API: a throttling error pushes back the schedule of limiters
-- that share it (those with a `pause`), within the attempt's deadline.
function M.answered(p, call, err)
  if err and call.ends_at and p.limiter.pause and throttling(err.code) then
    p.limiter:pause(call.action, call.ends_at - p.clock.now())
  end
end

return M

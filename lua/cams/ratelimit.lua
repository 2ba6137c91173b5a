--- Client-side pacing: one slot every 1/qps seconds per key (a token bucket one token
-- deep), so calls wait their turn instead of being throttled by the server.
local Limiter = {}
Limiter.__index = Limiter

local M = {}

-- Slots are 5% longer than 1/qps: at the exact spacing qps + 1 calls span exactly one
-- second, and a few milliseconds of jitter put them all into one second of the server's
-- count.
M.MARGIN = 1.05

function M.new()
  return setmetatable({ next_at = {} }, Limiter)
end

--- Reserves the next slot for `key`; returns the seconds to wait before sending.
function Limiter:reserve(key, qps, now)
  local at = self.next_at[key]
  if not at or at < now then
    at = now
  end
  self.next_at[key] = at + M.MARGIN / qps
  return at - now
end

--- Gives back a reservation that will not be used (the caller gave up waiting).
function Limiter:release(key, qps)
  local at = self.next_at[key]
  if at then
    self.next_at[key] = at - M.MARGIN / qps
  end
end

return M

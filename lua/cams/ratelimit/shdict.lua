--- Client-side pacing shared by all nginx workers through a lua_shared_dict: the slots of
-- cams.ratelimit (one call every 1/qps seconds per key), but the next free slot of each
-- key lives in the dict, so the workers of a node together stay under the limit. Slots
-- are spaced like cams.ratelimit's (1/qps plus its MARGIN): calls from several worker
-- processes reach the server with a few milliseconds of jitter, and a server that counts
-- calls per second would now and then see one too many at exactly 1/qps.
--
-- Reading and advancing a slot must be one atomic step across worker processes. A
-- shared dict has no compare-and-set, so a short lock made with dict:add (which fails
-- when the key exists) guards it; the lock expires by itself should a worker die
-- holding it. The guarded section never yields, so only other processes can contend.
-- luacheck: globals ngx
local clock = require "cams.clock"
local ratelimit = require "cams.ratelimit"

local Limiter = {}
Limiter.__index = Limiter

local M = {}

M.PREFIX = "cams:slot:"
M.LOCK_TTL = 1 -- seconds a dead worker's lock could hold the others up
M.MAX_SPINS = 100000

-- Seconds between two slots.
function M.interval(qps)
  return ratelimit.MARGIN / qps
end

-- Waits for another worker's lock: yields in phases that may, else spins.
local function pause()
  if clock.yieldable() then
    ngx.sleep(0.001)
  end
end

--- `dict`: an ngx.shared.DICT (or anything with add, get, set and delete). `wait`:
-- called while another worker holds the lock (default: ngx.sleep(0.001) where
-- possible).
function M.new(dict, wait)
  return setmetatable({ dict = dict, wait = wait or pause, mine = {} }, Limiter)
end

-- Runs fn(slot_key) under the lock of `key`; returns what fn returns.
function Limiter:locked(key, fn)
  local dict, lock = self.dict, M.PREFIX .. key .. ":lock"
  local held, err = dict:add(lock, true, M.LOCK_TTL)
  local spins = 1
  -- not held otherwise: the dict is full or broken; pace without the lock rather than stop
  while not held and err == "exists" and spins <= M.MAX_SPINS do
    self.wait()
    held, err = dict:add(lock, true, M.LOCK_TTL)
    spins = spins + 1
  end
  local a, b = fn(M.PREFIX .. key)
  if held then
    dict:delete(lock)
  end
  return a, b
end

--- Reserves the next slot for `key`; returns the seconds to wait before sending.
function Limiter:reserve(key, qps, now)
  local interval = M.interval(qps)
  return self:locked(key, function(slot)
    local at = self.dict:get(slot)
    if type(at) ~= "number" or at < now then
      at = now
    end
    local nxt = at + interval
    self.dict:set(slot, nxt)
    self.mine[key] = nxt
    return at - now
  end)
end

--- Gives back the reservation just made by this process, unless another worker has
-- reserved after it (then the slot stays taken: pacing errs on the slow side).
function Limiter:release(key, qps)
  local mine = self.mine[key]
  self.mine[key] = nil
  if not mine then
    return
  end
  self:locked(key, function(slot)
    local at = self.dict:get(slot)
    if at == mine then
      self.dict:set(slot, at - M.interval(qps))
    end
  end)
end

return M

--- Pacing shared by every client of an account on every machine, through Redis: the slots
-- of cams.ratelimit (one call every 1/qps seconds plus its MARGIN per key), but the next
-- free slot of each key lives in Redis, read and advanced by one script that runs
-- atomically there on Redis's own clock (TIME), so the machines' clocks need not agree.
-- The script answers how long the caller must wait; nobody is ever refused a slot.
--
-- When Redis fails (down, slow, restarted, answering an error) the limiter either paces
-- with `fallback` (this process's or this nginx node's own limiter, at the full limit) or
-- refuses the call (RateLimit.Unavailable), says so once through `log`, and tries Redis
-- again at most once every RETRY_AFTER seconds, going back to shared pacing as soon as it
-- answers. Redis's time is bounded by `timeout` and by the call's deadline.
local clock = require "cams.clock"
local errors = require "cams.errors"
local ratelimit = require "cams.ratelimit"
local resp = require "cams.ratelimit.resp"
local scrub = require "cams.scrub"

local format = string.format

local M = {}

M.PREFIX = "cams:rate:"
M.RETRY_AFTER = 1 -- seconds between two tries of a Redis that failed
M.PAUSE = 1 -- seconds without a new slot after a throttling answer: the API counts per second

-- KEYS[1]: one key's schedule, the next free slot in microseconds of Redis's clock.
-- ARGV[1]: "reserve" (take the next slot; ARGV[2] the spacing), "release" (give back the
-- slot whose reserve stored ARGV[3], unless someone reserved after it; ARGV[2] the spacing)
-- or "pause" (no slot before now + ARGV[2]). Returns { microseconds to wait, value stored }.
-- The key expires a second after its last slot. Written for Redis's Lua 5.1.
M.SCRIPT = [[
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local stored = tonumber(redis.call("GET", KEYS[1]))
local mode, step = ARGV[1], tonumber(ARGV[2])
local at, wait = stored or now, 0
if at < now then at = now end
if mode == "reserve" then
  wait = at - now
  at = at + step
elseif mode == "release" then
  if stored == nil or stored ~= tonumber(ARGV[3]) then return { 0, stored or 0 } end
  at = stored - step
elseif mode == "pause" then
  if at < now + step then at = now + step end
else
  return redis.error_reply("unknown mode")
end
if at > now then
  redis.call("SET", KEYS[1], string.format("%d", at), "PX",
    math.floor((at - now) / 1000) + 1000)
else
  redis.call("DEL", KEYS[1])
end
return { wait, at }
]]

--- The default `rate_limit_key`: one per API endpoint host, shared by every client of it.
function M.default_prefix(host)
  return M.PREFIX .. host
end

--- Microseconds between two slots at `qps` (with cams.ratelimit's margin).
function M.step(qps)
  return math.floor(ratelimit.MARGIN / qps * 1e6 + 0.5)
end

local sha -- of M.SCRIPT, from SCRIPT LOAD: once per process

-- A name for nginx's connection pool: connections to the same Redis with the same user,
-- password and database, and no password or anything made from it in the name.
local pools, pool_count = {}, 0
local function pool_name(t)
  local id = table.concat({ t.host, t.port, t.db, t.user or "", t.password or "" }, "\0")
  if not pools[id] then
    pool_count = pool_count + 1
    pools[id] = format("cams:redis:%s:%d:%d:%d", t.host, t.port, t.db, pool_count)
  end
  return pools[id]
end

local Limiter = {}
Limiter.__index = Limiter

--- `opts`: target (cams.ratelimit.redis_url), prefix (keys are prefix:<action>), timeout
-- (seconds), on_error ("local" or "fail"), fallback (a limiter) and fallback_name (what
-- it paces, for messages), clock (now, sleep), log (function(message)), encode (the core's
-- percent-encoder, to keep the password out of messages in every form), socket (outside
-- nginx: LuaSocket's module, the default; nil and NotSupported without it).
function M.new(opts)
  local t = opts.target
  local self = setmetatable({
    target = { host = t.host, port = t.port, db = t.db, user = t.user, password = t.password,
      pool = pool_name(t) },
    label = t.label, prefix = opts.prefix, timeout = opts.timeout, on_error = opts.on_error,
    fallback = opts.fallback, fallback_name = opts.fallback_name, clock = opts.clock,
    log = opts.log or function() end,
    clean = scrub.new({ t.password }, opts.encode),
    retry_at = nil, -- set while Redis is failing: when to try it again
  }, Limiter)
  if not clock.nginx() then
    local ok, socket = true, opts.socket
    if not socket then
      ok, socket = pcall(require, "socket")
    end
    if not ok or type(socket) ~= "table" or not socket.tcp then
      return nil, errors.not_supported("the redis option needs LuaSocket outside nginx "
        .. "(Debian: lua-socket; LuaRocks: luasocket)")
    end
    self.socket = socket
  end
  return self
end

-- A connection for one use that must end by `deadline`, or nil and why not.
function Limiter:connection(deadline)
  if self.socket then
    local c = self.conn
    if c and c:usable() then
      c.deadline = deadline
      return c
    end
    local err
    self.conn, err = resp.connect(self.target, deadline, self.clock, self.socket)
    return self.conn, err
  end
  if not clock.yieldable() then
    return nil, format("cosockets are not available in the %s phase", tostring(clock.phase()))
  end
  return resp.connect(self.target, deadline, self.clock)
end

-- Runs the script on connection `c` (loading it first, and again after NOSCRIPT: a
-- restarted or flushed Redis).
local function run(c, key, ...)
  if not sha then
    local v, err = c:call("SCRIPT", "LOAD", M.SCRIPT)
    if type(v) ~= "string" then
      return nil, err or "unexpected reply to SCRIPT LOAD"
    end
    sha = v
  end
  local v, err, server = c:call("EVALSHA", sha, 1, key, ...)
  if v == nil and server and err:find("^NOSCRIPT") then
    v, err = c:call("EVAL", M.SCRIPT, 1, key, ...)
  end
  return v, err
end

M.KEPT_TRIES = 4 -- uses of kept connections that Redis closed (a restart) before giving up

-- The script's answer { wait, stored } before `deadline`, or nil and why not.
function Limiter:eval(deadline, key, ...)
  for _ = 1, M.KEPT_TRIES do
    local c, err = self:connection(deadline)
    if not c then
      return nil, err
    end
    local reused = c.reused
    local v
    v, err = run(c, key, ...)
    c:done()
    if v ~= nil then
      if type(v) ~= "table" or type(v[1]) ~= "number" or type(v[2]) ~= "number" then
        return nil, "unexpected reply to the script"
      end
      return v
    end
    if not (reused and c.broken) then
      return nil, err
    end
    -- a kept connection that Redis had closed: once more, on the next one
  end
  return nil, "closed"
end

-- The script's answer for `mode` on `key`, or nil and why not; keeps track of whether
-- Redis is failing, and says when that changes.
function Limiter:shared(mode, key, step, value, left)
  local now = self.clock.now()
  if self.retry_at and now < self.retry_at then
    return nil, self.why
  end
  if self.retry_at then
    self.retry_at = now + M.RETRY_AFTER -- one try at a time: the others pace without it
  end
  local budget = math.min(self.timeout, left)
  local v, err = self:eval(now + budget, self.prefix .. ":" .. key, mode, step, value)
  if v then
    if self.retry_at then
      self.retry_at = nil
      self.log(format("rate limit: Redis at %s answers again; calls are paced across "
        .. "machines (keys %s:<action>)", self.label, self.prefix))
    end
    return v
  end
  err = self.clean(err)
  if budget < self.timeout and err == "timeout" then
    return nil, "timeout (the call's deadline came first)" -- not Redis's fault
  end
  if not self.retry_at then
    self.log(format("rate limit: Redis at %s failed (%s); %s until it answers again "
      .. "(tried again at most once every %g s)", self.label, err, self.on_error == "fail"
        and "calls fail with RateLimit.Unavailable"
        or ("pacing " .. self.fallback_name .. " at the full limit"), M.RETRY_AFTER))
  end
  self.why = err
  self.retry_at = self.clock.now() + M.RETRY_AFTER
  return nil, err
end

--- Reserves the next slot for `key` within `left` seconds (the call's deadline): the
-- seconds to wait and a token for release; or nil and RateLimit.Unavailable (on_error
-- "fail" while Redis fails).
function Limiter:reserve(key, qps, _, left)
  local v, why = self:shared("reserve", key, M.step(qps), 0, left or self.timeout)
  if v then
    return v[1] / 1e6, v[2]
  end
  if self.on_error == "fail" then
    return nil, errors.new{ code = "RateLimit.Unavailable", retryable = false,
      message = format("no shared rate-limit slot: Redis at %s failed (%s); nothing was "
        .. "sent (on_redis_error = \"fail\")", self.label, tostring(why)) }
  end
  return self.fallback:reserve(key, qps, self.clock.now(), left)
end

--- Gives back a reservation that will not be used, unless someone reserved after it;
-- `token` says which limiter made it, `left` bounds the time it may take.
function Limiter:release(key, qps, token, left)
  if type(token) ~= "number" then
    return self.fallback:release(key, qps)
  end
  if left and left > 0 then
    self:shared("release", key, M.step(qps), token, left)
  end
end

--- The API throttled a call of `key`: no new slot for anyone in the next PAUSE seconds.
function Limiter:pause(key, left)
  if left and left > 0 then
    self:shared("pause", key, M.PAUSE * 1000000, 0, left)
  end
end

return M

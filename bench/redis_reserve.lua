--- Cost of one reservation through Redis (cams.ratelimit.redis: one EVALSHA round trip on a
-- kept connection; inside nginx a cosocket taken from and given back to nginx's pool), next
-- to a bare PING over the same kind of connection and to the per-client limiter
-- (cams.ratelimit), which does no I/O. At 10^6 calls/s the slots are 1 µs apart, so no
-- reservation ever has to wait: what is measured is the reservation itself.
--
--   LUA_PATH='lua/?.lua;./?.lua;;' LUA_CPATH='build/5.4/?.so;;' \
--     lua5.4 bench/redis_reserve.lua redis://127.0.0.1:6379 20000
-- prints "reserve_us N", "ping_us N", "local_us N"; inside nginx:
--   content_by_lua_block { require("bench.redis_reserve").nginx() }   -- ?url=&n=
-- luacheck: globals ngx
local clock = require "cams.clock"
local core = require "cams.core"
local ratelimit = require "cams.ratelimit"
local redis = require "cams.ratelimit.redis"
local redis_url = require "cams.ratelimit.redis_url"

local M = {}

local QPS = 1e6
local WARMUP = 200

local function per_call_us(n, fn)
  for _ = 1, WARMUP do fn() end
  local t0 = core.monotonic()
  for _ = 1, n do fn() end
  return (core.monotonic() - t0) / n * 1e6
end

--- Microseconds per reservation, per PING and per local reservation, `n` of each.
function M.measure(url, n)
  local limiter = assert(redis.new{ target = assert(redis_url.parse(url, "url")),
    prefix = "bench:rate", timeout = 1, on_error = "fail", fallback = ratelimit.new(),
    fallback_name = "-", clock = clock.new(core) })
  local t = {}
  t.reserve_us = per_call_us(n, function()
    assert(limiter:reserve("A", QPS, 0, 10))
  end)
  t.ping_us = per_call_us(n, function()
    local c = assert(limiter:connection(limiter.clock.now() + 1))
    assert(c:call("PING") == "PONG")
    c:done()
  end)
  local own = ratelimit.new()
  t.local_us = per_call_us(n * 10, function()
    own:reserve("A", QPS, core.monotonic())
  end)
  return t
end

local function lines(t)
  local out = {}
  for _, k in ipairs{ "reserve_us", "ping_us", "local_us" } do
    out[#out + 1] = string.format("%s %.3f\n", k, t[k])
  end
  return table.concat(out)
end

--- The measurement inside nginx, for a request ?url=<redis URL>&n=<count>.
function M.nginx()
  ngx.print(lines(M.measure(ngx.var.arg_url, tonumber(ngx.var.arg_n))))
end

if not rawget(_G, "ngx") and arg and arg[0] and arg[0]:find("redis_reserve%.lua$") then
  io.write(lines(M.measure(arg[1], tonumber(arg[2]) or 20000)))
end

return M

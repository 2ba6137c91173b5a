-- Soak: many sequential update_qrdl calls on one client against the mock server, with the
-- resident memory and the open file descriptors of this process reported at the start,
-- every tenth of the run and at the end. Both should stay flat. Not a test: run by hand.
--
--   make soak                       (100,000 calls)
--   LUA_PATH='lua/?.lua;./?.lua;;' LUA_CPATH='build/5.4/?.so;;' lua5.4 bench/soak.lua [CALLS]
local cams = require "cams"
local core = require "cams.core"
local mock = require "spec.support.mock"

local calls = math.floor(tonumber(arg and arg[1]) or 100000)
local every = math.max(1, math.floor(calls / 10))

local function pid()
  local f = assert(io.open("/proc/self/stat", "rb"))
  local s = f:read("*a")
  f:close()
  return s:match("^(%d+)")
end
local PID = pid()

local function rss_kb()
  local f = assert(io.open("/proc/self/status", "rb"))
  local s = f:read("*a")
  f:close()
  return tonumber(s:match("VmRSS:%s*(%d+)"))
end

-- Descriptors of this process; the pipe of the listing itself is left out.
local function open_fds()
  local p = assert(io.popen("ls /proc/" .. PID .. "/fd | wc -l"))
  local n = tonumber(p:read("*a"))
  p:close()
  return n - 1
end

local m = mock.start{ qps = 0 }
local client = assert(cams.new{ access_key_id = "testid", access_key_secret = "testsecret",
                                endpoint = m.endpoint, ca_file = m.ca_file, qps = false })
local args = { phone_number = "8615800000000", qrdl_code = "D9II3SOAK",
               prefilled_message = "Soak test 你好 😀 *~+&=%", generate_qr_image = "SVG" }

local rows = {}
local function sample(done, t0)
  collectgarbage()
  rows[#rows + 1] = { calls = done, rss = rss_kb(), fds = open_fds(), lua_kb = collectgarbage("count"),
                      seconds = core.monotonic() - t0 }
  local r = rows[#rows]
  print(("%8d calls  %7.1f s  RSS %6d kB  Lua heap %7.0f kB  fds %3d"):format(r.calls,
    r.seconds, r.rss, r.lua_kb, r.fds))
end

print(("soak: %d calls of update_qrdl on one client, mock at %s"):format(calls, m.endpoint))
local t0 = core.monotonic()
sample(0, t0)
local failures = 0
for i = 1, calls do
  local res, err = client:update_qrdl(args)
  if not res then
    failures = failures + 1
    if failures <= 5 then io.stderr:write("call ", i, ": ", tostring(err), "\n") end
  end
  if i % every == 0 then sample(i, t0) end
end
client:close()
local requests = m:request_count()
m:stop()

local first, last = rows[2] or rows[1], rows[#rows]
local seconds = last.seconds
print(("%d calls in %.1f s (%.0f calls/s), %d failures, %d requests seen by the mock"):format(
  calls, seconds, calls / seconds, failures, requests))
print(("from the first sample after start to the end: RSS %+d kB, fds %+d"):format(
  last.rss - first.rss, last.fds - first.fds))
if failures > 0 or last.fds > first.fds then os.exit(1) end

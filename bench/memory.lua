--- Resident size of a Lua process using lua-cams: after loading, after creating a client,
-- after the first call (connection and TLS session up) and after CALLS more calls.
--
--   lua5.4 bench/memory.lua ENDPOINT CA_FILE|- [CALLS]
-- prints "name value" lines (KiB).
local lib = require "lib"
local request = require "request"

local endpoint, ca_file = arg[1], arg[2]
local calls = tonumber(arg[3]) or 10000

local function settle()
  collectgarbage("collect")
  collectgarbage("collect")
end

settle()
local out = { rss_start_kib = lib.rss_kib() }

local cams = require "cams"
require "cams.core"
settle()
out.rss_loaded_kib = lib.rss_kib()

local client = assert(cams.new{
  access_key_id = request.ACCESS_KEY_ID, access_key_secret = request.ACCESS_KEY_SECRET,
  endpoint = endpoint, allow_http = endpoint:match("^http://") ~= nil,
  ca_file = ca_file ~= "-" and ca_file or nil, qps = false, retries = 0,
})
settle()
out.rss_client_kib = lib.rss_kib()

local function call()
  local res, err = client:update_qrdl(request.ARGS)
  if not res then error("call failed: " .. tostring(err)) end
end

call()
settle()
out.rss_first_call_kib = lib.rss_kib()

for _ = 1, calls do call() end
out.rss_after_calls_kib = lib.rss_kib()
out.lua_heap_after_calls_kib = collectgarbage("count")
settle()
out.rss_after_calls_gc_kib = lib.rss_kib()
out.lua_heap_after_gc_kib = collectgarbage("count")
out.calls = calls
client:close()
lib.report(out)

--- End to end: sequential client:update_qrdl calls on one kept-alive connection.
--
--   lua5.4 bench/e2e.lua ENDPOINT CA_FILE|- CALLS WARMUP [SERVER_PIDS] [v3|v2|transport]
--
-- "transport" sends requests signed before the timed loop through the cams.core.http handle
-- alone (no validation, signing or JSON decoding): the transport's share of the cost.
-- Prints "name value" lines: calls_per_s, p50_us, p99_us, client_cpu_us (CPU time of this
-- process per call, from os.clock) and server_cpu_pct (CPU of SERVER_PIDS, comma-separated,
-- over the timed calls, in percent of one core).
local lib = require "lib"
local request = require "request"
local cams = require "cams"

local endpoint, ca_file = arg[1], arg[2]
local calls, warmup = tonumber(arg[3]) or 2000, tonumber(arg[4]) or 200
local server_pids = lib.pids(arg[5])
local signature = arg[6] or "v3"

local client = assert(cams.new{
  access_key_id = request.ACCESS_KEY_ID, access_key_secret = request.ACCESS_KEY_SECRET,
  endpoint = endpoint, allow_http = endpoint:match("^http://") ~= nil,
  ca_file = ca_file ~= "-" and ca_file or nil,
  signature = signature ~= "transport" and signature or nil,
  qps = false, retries = 0,
})
local args = request.ARGS

local call
if signature == "transport" then
  local core = require "cams.core"
  local input = {
    algorithm = "ACS3-HMAC-SHA256", host = assert(endpoint:match("^%a+://([^/]+)")),
    endpoint = endpoint, action = "UpdatePhoneMessageQrdl", version = "2020-06-06",
    params = request.PARAMS, access_key_id = request.ACCESS_KEY_ID,
    access_key_secret = request.ACCESS_KEY_SECRET, user_agent = "lua-cams/0.1.0 (bench)",
  }
  -- the requests are signed before the timed loop: a request object is sent once
  local pending, next_one = {}, 0
  for i = 1, calls + warmup do pending[i] = core.sign(input) end
  local handle = core.http{ ca_file = ca_file ~= "-" and ca_file or nil, timeout = 10,
    connect_timeout = 5 }
  call = function()
    next_one = next_one + 1
    local status, _, body = handle:request(pending[next_one])
    if status ~= 200 or not body:find('"Code":"OK"', 1, true) then
      error("call failed: " .. tostring(status) .. " " .. tostring(body))
    end
  end
else
  call = function()
    local res, err = client:update_qrdl(args)
    if not res or res.Code ~= "OK" then error("call failed: " .. tostring(err)) end
  end
end

for _ = 1, warmup do call() end

local now = lib.now
local latencies = {}
local server0, client0 = lib.cpu_of(server_pids), os.clock()
local t0 = now()
for i = 1, calls do
  local t = now()
  call()
  latencies[i] = (now() - t) * 1e6
end
local elapsed = now() - t0
local server1, client1 = lib.cpu_of(server_pids), os.clock()
client:close()

lib.report{
  calls_per_s = calls / elapsed,
  p50_us = lib.quantile(latencies, 0.5),
  p99_us = lib.quantile(latencies, 0.99),
  client_cpu_us = (client1 - client0) * 1e6 / calls,
  server_cpu_pct = (server1 - server0) * 100 / elapsed,
}

--- Signing cost seen from Lua: cams.core.sign called exactly as lua/cams.lua calls it, and
-- the whole client path (validation, signing, headers, JSON decoding) with the network
-- replaced by a canned response.
--
--   lua5.4 bench/sign.lua [repetitions]   (LUA_PATH/LUA_CPATH as for the tests)
-- prints "name value" lines: medians in microseconds per call.
local lib = require "lib"
local request = require "request"

require "canned" -- before cams is loaded

local core = require "cams.core"
local cams = require "cams"

local reps = tonumber(arg[1]) or 5
local SAMPLE_SECONDS = 0.08

local ALGORITHMS = { v3 = "ACS3-HMAC-SHA256", v2 = "HMAC-SHA1" }

-- One core.sign call as cams.sign makes it: the client's input table reused (only what a
-- call changes is set), a request object out.
local function signer(sig)
  local input = { algorithm = ALGORITHMS[sig], host = request.HOST, path = "/",
    endpoint = "https://" .. request.HOST, user_agent = "lua-cams/0.1.0 (bench)" }
  return function()
    input.method = "POST"
    input.action = "UpdatePhoneMessageQrdl"
    input.version = "2020-06-06"
    input.params = request.PARAMS
    input.params_in = "body"
    input.headers = nil
    input.access_key_id = request.ACCESS_KEY_ID
    input.access_key_secret = request.ACCESS_KEY_SECRET
    input.security_token = nil
    return core.sign(input)
  end
end

local function client_call(sig)
  local client = assert(cams.new{
    access_key_id = request.ACCESS_KEY_ID, access_key_secret = request.ACCESS_KEY_SECRET,
    endpoint = request.HOST, signature = sig, qps = false, retries = 0,
  })
  local args = request.ARGS
  return function()
    local res, err = client:update_qrdl(args)
    if not res then error(tostring(err)) end
    return res
  end
end

local function per_call_us(fn, n)
  local t0 = lib.now()
  for _ = 1, n do fn() end
  return (lib.now() - t0) * 1e6 / n
end

local benches = {
  { name = "sign_v3_us", fn = signer("v3") },
  { name = "sign_v2_us", fn = signer("v2") },
  { name = "client_v3_us", fn = client_call("v3") },
  { name = "client_v2_us", fn = client_call("v2") },
}

for _, b in ipairs(benches) do
  per_call_us(b.fn, 500) -- warm up (and let LuaJIT compile)
  local us = per_call_us(b.fn, 2000)
  b.n = math.max(1000, math.floor(SAMPLE_SECONDS * 1e6 / us))
  b.samples = {}
end

-- Interleaved, so that a noisy moment hits every measurement of one repetition.
for r = 1, reps do
  for _, b in ipairs(benches) do b.samples[r] = per_call_us(b.fn, b.n) end
end

local out = { body_bytes = #signer("v3")():body() }
for _, b in ipairs(benches) do out[b.name] = lib.median(b.samples) end
lib.report(out)

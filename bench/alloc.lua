--- A fixed number of calls for counting heap allocations under valgrind (bench/run.lua
-- runs it twice with different counts; the difference divided by the extra calls is the
-- number of allocations per call).
--
--   valgrind lua5.4 bench/alloc.lua sign|client|http COUNT [ENDPOINT]
--     sign    cams.core.sign as lua/cams.lua calls it
--     client  client:update_qrdl with the transport replaced by a canned response
--     http    client:update_qrdl against ENDPOINT (plain HTTP)
local request = require "request"

local mode, count, endpoint = arg[1], tonumber(arg[2]) or 100, arg[3]

if mode == "client" then
  require "canned" -- before cams is loaded
end

local cams = require "cams"
local core = require "cams.core"

local call
if mode == "sign" then
  local input = { algorithm = "ACS3-HMAC-SHA256", host = request.HOST, path = "/",
    endpoint = "https://" .. request.HOST, user_agent = "lua-cams/0.1.0 (bench)" }
  call = function()
    -- as bench/sign.lua: a reused input table, a request object out
    input.method, input.action, input.version = "POST", "UpdatePhoneMessageQrdl", "2020-06-06"
    input.params, input.params_in = request.PARAMS, "body"
    input.access_key_id = request.ACCESS_KEY_ID
    input.access_key_secret = request.ACCESS_KEY_SECRET
    local signed = core.sign(input)
    signed:wipe()
    return signed
  end
else
  local client = assert(cams.new{
    access_key_id = request.ACCESS_KEY_ID, access_key_secret = request.ACCESS_KEY_SECRET,
    endpoint = endpoint or request.HOST, allow_http = true, qps = false, retries = 0,
  })
  call = function() assert(client:update_qrdl(request.ARGS)) end
end

for _ = 1, count do call() end

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
  package.loaded["cams.transport.curl"] = {
    proxy_settings = require("cams.transport.curl").proxy_settings,
    new = function()
      return {
        takes_header_lines = true, -- as the libcurl transport: the fast path is counted
        request = function() return 200, {}, request.RESPONSE end,
        close = function() end,
      }
    end,
  }
end

local cams = require "cams"
local core = require "cams.core"

local call
if mode == "sign" then
  local sign_input = { algorithm = "ACS3-HMAC-SHA256", host = request.HOST, path = "/" }
  call = function()
    -- as bench/sign.lua: a reused input table, the headers as one string
    local input = sign_input
    input.method, input.action, input.version = "POST", "UpdatePhoneMessageQrdl", "2020-06-06"
    input.params, input.params_in, input.header_lines = request.PARAMS, "body", true
    input.access_key_id = request.ACCESS_KEY_ID
    input.access_key_secret = request.ACCESS_KEY_SECRET
    local signed = core.sign(input)
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

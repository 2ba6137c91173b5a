-- Callers inside an nginx for spec/e2e/nginx_redis_spec.lua: each worker makes one client
-- and starts `callers` timers that update QR codes one after the other while the node's
-- state (lua_shared_dict `load`) is "run". The dict counts what happened:
--   active         callers running          calls, ok, failed   calls started and ended
--   fallback:<id>, back:<id>   the debug messages of worker <id>: Redis failed, answers again
--
--   init_worker_by_lua_block { require("spec.support.pace_load_nginx").start(opts, 2) }
--   location = /state  { content_by_lua_block { require("spec.support.pace_load_nginx").state() } }
--   location = /status { content_by_lua_block { require("spec.support.pace_load_nginx").status() } }
-- luacheck: globals ngx
local cjson = require "cjson.safe"

local M = {}

local function dict() return ngx.shared.load end

local function caller(premature, client, code)
  if premature then return end
  local d = dict()
  d:incr("active", 1, 0)
  while d:get("state") == nil and not ngx.worker.exiting() do ngx.sleep(0.02) end
  while d:get("state") == "run" and not ngx.worker.exiting() do
    d:incr("calls", 1, 0)
    local res, err = client:update_qrdl{ phone_number = "8615800000088", qrdl_code = code,
      prefilled_message = "Hello from " .. code, generate_qr_image = "SVG" }
    if res then
      d:incr("ok", 1, 0)
    else
      d:incr("failed", 1, 0)
      d:set("last_error", tostring(err))
    end
  end
  d:incr("active", -1, 0)
end

--- In init_worker: this worker's client (cams.new options `opts`) and its callers.
function M.start(opts, callers)
  local id = ngx.worker.id()
  opts.debug = function(msg)
    if msg:find("Redis at [^ ]+ failed") then
      dict():incr("fallback:" .. id, 1, 0)
    elseif msg:find("answers again", 1, true) then
      dict():incr("back:" .. id, 1, 0)
    end
  end
  local client = assert(require("cams").new(opts))
  for i = 1, callers do
    assert(ngx.timer.at(0, caller, client, string.format("D9NGX%d%d%d", ngx.worker.pid() % 1000, id, i)))
  end
end

--- /state?set=run|stop
function M.state()
  dict():set("state", ngx.var.arg_set)
  ngx.say(cjson.encode{ state = dict():get("state") })
end

--- /status: the counters, as JSON.
function M.status()
  local t = {}
  for _, k in ipairs(dict():get_keys(0)) do t[k] = dict():get(k) end
  ngx.header["Content-Type"] = "application/json"
  ngx.say(cjson.encode(t))
end

return M

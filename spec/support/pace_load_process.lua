-- A plain-Lua caller for spec/e2e/nginx_redis_spec.lua: one client that updates a QR code
-- again and again from the moment the file DIR/run exists until DIR/stop does (or its
-- parent process is gone, or MAX_SECONDS have passed), noting each event in DIR/NAME.log:
-- "call", "ok", "failed <error>", "fallback" / "back" (the client's debug messages about
-- Redis) and "done".
--
--   lua5.4 spec/support/pace_load_process.lua DIR NAME PARENT_PID '<cams.new options, JSON>'
local cjson = require "cjson"
local core = require "cams.core"

local MAX_SECONDS = 300

local dir, name, parent, opts = arg[1], arg[2], arg[3], cjson.decode(arg[4])
local log = assert(io.open(dir .. "/" .. name .. ".log", "a"))

local function note(line)
  log:write(line, "\n")
  log:flush()
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local started = core.monotonic()
local function go_on(file)
  return not exists(dir .. "/" .. file) and exists("/proc/" .. parent)
    and core.monotonic() - started < MAX_SECONDS
end

opts.debug = function(msg)
  if msg:find("Redis at [^ ]+ failed") then
    note("fallback")
  elseif msg:find("answers again", 1, true) then
    note("back")
  end
end
local client = assert(require("cams").new(opts))
note("ready")
while go_on("run") do core.sleep(0.02) end
while go_on("stop") do
  note("call")
  local res, err = client:update_qrdl{ phone_number = "8615800000088", qrdl_code = "D9LUA" .. name,
    prefilled_message = "Hello from " .. name, generate_qr_image = "SVG" }
  note(res and "ok" or ("failed " .. tostring(err):gsub("\n", " ")))
end
note("done")

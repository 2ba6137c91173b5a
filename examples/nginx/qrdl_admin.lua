--- lua-cams in nginx: an internal endpoint that updates a WhatsApp QR code's prefilled
-- message, and a periodic update driven by a timer. Wired up in nginx.conf beside this file:
--
--   init_by_lua_block        { require("qrdl_admin").configure{ ... } }
--   init_worker_by_lua_block { require("qrdl_admin").start() }
--   location = /admin/qrdl   { content_by_lua_block { require("qrdl_admin").update() } }
--
-- One client per worker, made once: cams.new does no I/O, and the client keeps the rate
-- limiter (shared by all workers through a lua_shared_dict) and nginx keeps the
-- connections to CAMS alive between calls.
-- luacheck: globals ngx
local cams = require "cams"
local cjson = require "cjson.safe"

local M = {}

local settings = {}
local client

--- From init_by_lua: `client` (options of cams.new; credentials come from the
-- environment unless given), `periodic` (nil, or every =, phone_number =, qrdl_code =,
-- generate_qr_image =, message = a string or a function returning one).
function M.configure(s)
  settings = s or {}
end

local function get_client()
  if client then
    return client
  end
  local c, err = cams.new(settings.client or {})
  if not c then
    return nil, err
  end
  client = c
  return c
end

local function reply(status, t)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.say(cjson.encode(t))
  return ngx.exit(ngx.HTTP_OK)
end

local function failure_status(err)
  if err.code == "InvalidParameter" then
    return 400
  elseif err.code == "MissingCredentials" or err.code == "Core.Unavailable" then
    return 500
  end
  return 502 -- CAMS refused, or could not be reached
end

--- POST /admin/qrdl {"phone_number": ..., "qrdl_code": ..., "prefilled_message": ...,
-- "generate_qr_image": "PNG" | "SVG"}
function M.update()
  if ngx.req.get_method() ~= "POST" then
    ngx.header["Allow"] = "POST"
    return reply(405, { ok = false, message = "use POST with a JSON body" })
  end
  ngx.req.read_body()
  local args = cjson.decode(ngx.req.get_body_data() or "")
  if type(args) ~= "table" then
    return reply(400, { ok = false, message = "the body must be a JSON object" })
  end
  local c, err = get_client()
  local res
  if c then
    -- passed on whole: lua-cams names unknown or missing fields and checks the values
    res, err = c:update_qrdl(args)
  end
  if not res then
    return reply(failure_status(err), { ok = false, code = err.code, message = err.message,
      request_id = err.request_id })
  end
  return reply(200, { ok = true, request_id = res.RequestId, qr_image_url = res.Data.QrImageUrl,
    deep_link_url = res.Data.DeepLinkUrl })
end

local running = false

local function periodic_update(premature)
  local p = settings.periodic
  if premature or running then
    return -- nginx is exiting, or the previous run is still waiting on CAMS
  end
  running = true
  local message = p.message
  if type(message) == "function" then
    message = message()
  end
  local c, err = get_client()
  local res
  if c then
    res, err = c:update_qrdl{ phone_number = p.phone_number, qrdl_code = p.qrdl_code,
      prefilled_message = message, generate_qr_image = p.generate_qr_image or "PNG" }
  end
  running = false
  if res then
    ngx.log(ngx.NOTICE, "lua-cams: QR code ", p.qrdl_code, " updated, RequestId ",
      res.RequestId)
  else
    ngx.log(ngx.ERR, "lua-cams: periodic update failed: ", tostring(err))
  end
end

--- From init_worker_by_lua: makes this worker's client and, in worker 0 only, starts the
-- periodic update (a timer: the init_worker phase itself cannot make the call).
function M.start()
  local c, err = get_client()
  if not c then
    ngx.log(ngx.ERR, "lua-cams: ", tostring(err))
    return
  end
  local p = settings.periodic
  if not (p and p.phone_number and p.qrdl_code) or ngx.worker.id() ~= 0 then
    return
  end
  local ok, terr = ngx.timer.every(p.every or 3600, periodic_update)
  if not ok then
    ngx.log(ngx.ERR, "lua-cams: cannot start the periodic update: ", terr)
  end
end

return M

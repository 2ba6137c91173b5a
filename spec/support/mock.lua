-- Launcher of the mock CAMS server (nginx + Lua module, see spec/support/mock/).
-- Plain Lua for Lua 5.4 and LuaJIT; needs luasocket, lua-cjson, the openssl CLI and nginx
-- with the Lua module.
--
--   local mock = require "spec.support.mock"
--   local m = mock.start{ workers = 1 }
--   -- m.endpoint, m.http_endpoint, m.https_port, m.http_port, m.ca_file, m.prefix, m.pid
--   m:fail("System.LimitControl", 2)  -- the next 2 verified API requests get that error
--   m:credentials{ duration = 1200 }   -- STS and ECS metadata settings; m:fail_sts(), m:fail_metadata()
--   m:request_count(); m:last_request(); m:requests(); m:reset(); m:stop()
local socket = require "socket"
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson.safe"
local util = require "spec.support.util"

local mock = {}

local Mock = {}
Mock.__index = Mock

---------------------------------------------------------------------------------------
-- Small helpers

-- nginx is not built with the sanitizers and runs LuaJIT: it must not inherit the
-- sanitizer runtime or options, nor the test interpreter's module paths.
local NGINX_ENV = "env -u LD_PRELOAD -u ASAN_OPTIONS -u UBSAN_OPTIONS -u LUA_PATH -u LUA_CPATH"
  .. " -u LUA_PATH_5_4 -u LUA_CPATH_5_4"

local q, run, capture = util.q, util.run, util.capture
local read_file, write_file, exists = util.read_file, util.write_file, util.exists

-- Absolute directory holding this file (spec/support).
local function support_dir()
  local src = debug.getinfo(1, "S").source:gsub("^@", "")
  local dir = src:match("^(.*)/[^/]*$") or "."
  if dir:sub(1, 1) ~= "/" then
    local cwd = os.getenv("PWD")
    if not cwd or not exists(cwd .. "/" .. src) then cwd = capture("pwd") end
    dir = cwd .. "/" .. dir
  end
  return (dir:gsub("/%./", "/"):gsub("/%.$", ""))
end

local function free_ports(n)
  local socks, ports = {}, {}
  for i = 1, n do
    socks[i] = assert(socket.bind("127.0.0.1", 0))
    local _, port = socks[i]:getsockname()
    ports[i] = tonumber(port)
  end
  for _, s in ipairs(socks) do s:close() end
  return ports
end

-- Whether a process is alive (a zombie counts as gone: nobody may reap a daemon here).
local function alive(pid)
  local stat = read_file("/proc/" .. pid .. "/stat")
  if stat then
    local state = stat:match("%)%s+(%a)")
    return state ~= "Z" and state ~= "X"
  end
  if exists("/proc/self/stat") then return false end
  return run("kill -0 " .. pid .. " 2>/dev/null")
end

local function wait_gone(pid, seconds)
  local deadline = socket.gettime() + seconds
  while alive(pid) do
    if socket.gettime() > deadline then return false end
    socket.sleep(0.01)
  end
  return true
end

-- Stops an nginx master (QUIT, then KILL of its process group) and waits until it is gone.
local function stop_pid(pid)
  if not pid or not alive(pid) then return true end
  run("kill -QUIT " .. pid .. " 2>/dev/null")
  if wait_gone(pid, 3) then return true end
  run("kill -KILL -- -" .. pid .. " 2>/dev/null; kill -KILL " .. pid .. " 2>/dev/null")
  return wait_gone(pid, 3)
end

local function remove_prefix(prefix)
  -- only a directory that this launcher made (it holds nginx.conf.tmpl's output)
  if prefix and prefix:match("/cams%-mock%.[%w]+$") then run("rm -rf " .. q(prefix)) end
end

local function nginx_binary(opts)
  if opts.nginx then return opts.nginx end
  local env = os.getenv("CAMS_MOCK_NGINX")
  if env and env ~= "" then return env end
  if exists("/usr/sbin/nginx") then return "/usr/sbin/nginx" end
  return "nginx"
end

local function load_modules(opts)
  local dir = opts.modules_dir or os.getenv("CAMS_MOCK_NGINX_MODULES") or "/usr/lib/nginx/modules"
  local lines = {}
  -- nginx builds with the Lua module compiled in (OpenResty) need no load_module
  if exists(dir .. "/ngx_http_lua_module.so") then
    if exists(dir .. "/ndk_http_module.so") then
      lines[#lines + 1] = "load_module " .. dir .. "/ndk_http_module.so;"
    end
    lines[#lines + 1] = "load_module " .. dir .. "/ngx_http_lua_module.so;"
  end
  return table.concat(lines, "\n")
end

local function fill(template, vars)
  return (template:gsub("%${([%w_]+)}", function(name)
    return assert(vars[name], "no value for ${" .. name .. "}")
  end))
end

-- Test CA and server certificate (EC P-256, SAN IP:127.0.0.1 and DNS:localhost).
local function make_certs(prefix)
  local cmd = table.concat({
    "cd " .. q(prefix),
    "printf '%s\\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'basicConstraints=CA:FALSE'"
      .. " 'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' > server.ext",
    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key"
      .. " -out ca.pem -days 3 -subj '/CN=lua-cams mock CA'"
      .. " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
    "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key"
      .. " -out server.csr -subj /CN=localhost",
    "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2"
      .. " -extfile server.ext -out server.pem",
  }, " && ")
  if not run("(" .. cmd .. ") > " .. q(prefix .. "/logs/openssl.log") .. " 2>&1") then
    error("mock: certificate generation failed:\n"
      .. (read_file(prefix .. "/logs/openssl.log") or ""), 0)
  end
end

local function self_pid()
  local stat = read_file("/proc/self/stat")
  return stat and tonumber(stat:match("^(%d+)"))
end

-- Background guard: stops nginx and removes the prefix when the Lua process that started
-- the mock exits without calling stop (a crashed or interrupted test run).
local function start_watchdog(lua_pid, ngx_pid, prefix)
  if not lua_pid then return nil end
  local script = table.concat({
    "trap '' INT HUP QUIT",
    "while grep -q . /proc/" .. lua_pid .. "/cmdline 2>/dev/null; do",
    "  grep -q nginx /proc/" .. ngx_pid .. "/cmdline 2>/dev/null || exit 0",
    "  sleep 1",
    "done",
    "kill -QUIT " .. ngx_pid .. " 2>/dev/null; sleep 2",
    "kill -KILL -- -" .. ngx_pid .. " 2>/dev/null",
    "rm -rf " .. q(prefix),
  }, "\n")
  return tonumber(capture("sh -c " .. q(script) .. " </dev/null >/dev/null 2>&1 & echo $!"))
end

---------------------------------------------------------------------------------------
-- Control channel (plain HTTP, /__mock/*)

local function query_string(args)
  local keys = {}
  for k in pairs(args or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  local out = {}
  for _, k in ipairs(keys) do
    out[#out + 1] = k .. "=" .. tostring(args[k]):gsub("[^%w%-_%.~]", function(c)
      return string.format("%%%02X", c:byte())
    end)
  end
  return #out > 0 and ("?" .. table.concat(out, "&")) or ""
end

local function get(port, path, timeout)
  local chunks = {}
  local ok, code = http.request {
    url = "http://127.0.0.1:" .. port .. path,
    sink = ltn12.sink.table(chunks),
    create = function()
      local s = socket.tcp()
      s:settimeout(timeout or 5)
      return s
    end,
  }
  if not ok then return nil, code end
  return code, table.concat(chunks)
end

function Mock:control(name, args)
  local code, body = get(self.http_port, "/__mock/" .. name .. query_string(args))
  if not code then error("mock: control request " .. name .. " failed: " .. tostring(body), 2) end
  if code ~= 200 then
    error("mock: control request " .. name .. " answered " .. code .. ": " .. body, 2)
  end
  return cjson.decode(body)
end

-- The next `times` (default 1) API requests that pass signature checks answer with `code`:
-- Product.Unsubscript, Ram.PermissionDeny, System.LimitControl, Unknown.ResourceOwnerId
-- (HTTP 400), Throttling.User (400), InternalError (500), ServiceUnavailable (503), or a
-- fault: "close", "truncated", "reset", "malformed", "bad_gateway" (see mock/handler.lua).
-- `status` sends an error code with another HTTP status (200: Code not OK in a 200).
function Mock:fail(code, times, status)
  return self:control("fail", { code = code, times = times or 1, status = status }).queued
end

-- The next `times` (default 1) STS calls (AssumeRole, AssumeRoleWithOIDC) answer with `code`
-- (default "InternalError"; any code or fault that m:fail takes), or with an answer that
-- quotes what it should not: "cut" (HTTP 200, the JSON cut off after `credentials`,
-- {access_key_secret =, security_token =}), "echo" (400 whose Message quotes the request and
-- the OIDC token in several encodings) or "echo_page" (a proxy's 502 page quoting them).
-- CAMS calls are not affected.
function Mock:fail_sts(code, times, credentials)
  credentials = credentials or {}
  return self:control("fail_sts", { code = code or "InternalError", times = times or 1,
    secret = credentials.access_key_secret, token = credentials.security_token }).queued
end

-- The next `times` (default 1) metadata requests fail the way `fault` says: "500" (default:
-- GET requests answer HTTP 500), "cut" (a GET answers 200 with JSON cut off after
-- `credentials`, {access_key_secret =, security_token =}), "token_reset" (a token request's
-- connection closes without an answer) or "token_hang" (a token request gets no answer).
function Mock:fail_metadata(times, fault, credentials)
  credentials = credentials or {}
  return self:control("fail_metadata", { times = times or 1, fault = fault,
    secret = credentials.access_key_secret, token = credentials.security_token }).queued
end

-- Settings of the temporary credentials the mock issues (reset restores the defaults):
--   duration        lifetime in seconds (0: DurationSeconds of the request, 6 h for metadata)
--   clock           the time (epoch seconds) used when issuing and checking expiry, 0 for
--                   the real time: a test with a fake clock gives the mock the same one
--   metadata_role   the RAM role of the "instance" ("" for none)
--   metadata_token  "optional", "required" (GET without a valid token: 401),
--                   "unsupported" (PUT /latest/api/token: 404) or "rejected" (a token is
--                   given, GET with a token: 401, GET without one answered)
--   oidc_token      the token AssumeRoleWithOIDC accepts
-- Returns the settings in force. Issued credentials: AccessKeyId "STS.<n><hex>" with a
-- counter n, so that tests can tell a refresh from a reuse; requests signed with them are
-- verified like those of the fixed keys and refused once expired
-- (InvalidSecurityToken.Expired).
function Mock:credentials(settings)
  return self:control("settings", settings)
end

-- Whether an update keeps the code it names (true, as WhatsApp's own API does) or, the
-- default and what the CAMS document shows, retires it and answers with a new one.
function Mock:keep_codes(on)
  return self:control("settings", { keep_codes = on and 1 or 0 })
end

-- Stores `codes` (a list of QrdlCode) as codes of `phone` made before the test, with
-- `message` and `image` (default "seeded", "PNG"): what List shows from the start.
function Mock:seed(phone, codes, message, image)
  return self:control("seed", { phone = phone, codes = table.concat(codes, ","),
    message = message, image = image }).count
end

-- The account's phone numbers (a list), as QueryChatappPhoneNumbers lists them first;
-- numbers holding codes follow.
function Mock:phone_numbers(phones)
  return self:control("phone_numbers", { phones = table.concat(phones, ",") })
end

-- Changes (create, update, delete) are applied and then their answer is lost: `how` is
-- "close", "timeout" (no answer for `seconds`, default 2, then a close) or "bad_gateway";
-- `every` N-th applied change, or those numbered in `at` (a list, counted from this call).
-- lose_answers{ how = "off" } stops. Returns { how =, lost =, applied = }.
function Mock:lose_answers(t)
  local args = { how = t.how, every = t.every, seconds = t.seconds }
  if t.at then args.at = table.concat(t.at, ",") end
  local r = self:control("lose_answers", args)
  r.lost, r.applied = math.floor(r.lost), math.floor(r.applied)
  return r
end

-- The next `times` (default 1) verified API requests wait `seconds` before answering.
function Mock:delay(seconds, times)
  return self:control("delay", { seconds = seconds, times = times or 1 }).queued
end

-- Number of QR images served (counted since the last reset).
function Mock:image_count()
  return math.floor(self:control("images").count)
end

function Mock:request_count()
  return math.floor(self:control("count").count)
end

-- Waits until every request that reached the mock has been answered (a delayed one is
-- answered when its delay is over), so that none is recorded during a later test; raises
-- after `seconds` (default 20).
function Mock:await_answers(seconds)
  local deadline = socket.gettime() + (seconds or 20)
  while true do
    local c = self:control("count")
    if c.answered >= c.count then return end
    if socket.gettime() > deadline then
      error(string.format("the mock answered %d of %d requests", c.answered, c.count), 2)
    end
    socket.sleep(0.01)
  end
end

local function decode_record(r)
  if type(r) ~= "table" then return nil end
  for k, v in pairs(r) do
    if v == cjson.null then r[k] = nil end
  end
  if r.status then r.status = math.floor(r.status) end
  return r
end

-- {method=, uri=, headers= (lowercase names), body=, action=, params=, signature_version=,
--  access_key_id=, request_id=, status=, code=, time=} of the last API request, or nil.
-- STS calls are recorded with their action; metadata requests with action "Metadata".
function Mock:last_request()
  return decode_record(self:control("last"))
end

-- The recorded API requests (at most the last 200), oldest first.
function Mock:requests()
  local list = self:control("requests") or {}
  for i, r in ipairs(list) do list[i] = decode_record(r) end
  return list
end

-- The QR codes the mock holds for a phone number: list of {QrdlCode=, GenerateQrImage=,
-- PrefilledMessage=}.
function Mock:codes(phone)
  return self:control("codes", { phone = phone })
end

-- Settings kept across reset: qps (per access key and action, 0 = no limit), max_skew,
-- serve_images (1: QrImageUrl points at this server's /qr/<code>.png|svg, served there).
function Mock:config(settings)
  return self:control("config", settings)
end

-- Clears the fault and delay queues, the request counter and records, the nonce memory
-- and the stored codes.
function Mock:reset()
  self:control("reset")
end

function Mock:error_log()
  return read_file(self.prefix .. "/logs/error.log") or ""
end

function Mock:stop()
  if self.stopped then return end
  self.stopped = true
  local ok = stop_pid(self.pid)
  if self.watchdog_pid then run("kill " .. self.watchdog_pid .. " 2>/dev/null") end
  remove_prefix(self.prefix)
  if not ok then error("mock: nginx " .. self.pid .. " did not stop", 2) end
end

---------------------------------------------------------------------------------------
-- Start

local function start_once(opts, prefix, support)
  local ports = free_ports(2)
  local https_port, http_port = ports[1], ports[2]
  local uid = capture("id -u")
  local template = assert(read_file(support .. "/mock/nginx.conf.tmpl"))
  -- the extra snippets go in first so that they may use the placeholders too
  template = template:gsub("%${(HTTP_CONFIG)}", function() return opts.http_config or "" end)
    :gsub("%${(SERVER_CONFIG)}", function() return opts.server_config or "" end)
  local conf = fill(template, {
    LOAD_MODULES = load_modules(opts),
    USER = uid == "0" and "user root root;" or "",
    WORKERS = tostring(math.floor(tonumber(opts.workers) or 1)),
    PREFIX = prefix,
    LOG_LEVEL = opts.log_level or "warn",
    LUA_PATH = (opts.lua_path and (opts.lua_path .. ";") or "") .. support .. "/?.lua;;",
    QPS = tostring(tonumber(opts.qps) or 0),
    MAX_SKEW = tostring(tonumber(opts.max_skew) or 900),
    HTTPS_PORT = tostring(https_port),
    HTTP_PORT = tostring(http_port),
  })
  write_file(prefix .. "/nginx.conf", conf)
  os.remove(prefix .. "/logs/error.log")

  local cmd = string.format("%s %s -p %s -c %s -e %s > %s 2>&1", NGINX_ENV, q(nginx_binary(opts)),
    q(prefix .. "/"), q(prefix .. "/nginx.conf"), q(prefix .. "/logs/error.log"),
    q(prefix .. "/logs/start.log"))
  local started = run(cmd)
  local log = (read_file(prefix .. "/logs/start.log") or "") .. (read_file(prefix .. "/logs/error.log") or "")
  if not started then return nil, log end

  -- the daemon writes its pid file after the starting process has returned
  local deadline = socket.gettime() + (opts.timeout or 30)
  local pid
  while true do
    pid = pid or tonumber(read_file(prefix .. "/logs/nginx.pid") or "")
    if pid and get(http_port, "/__mock/health", 1) == 200 then break end
    if (pid and not alive(pid)) or socket.gettime() > deadline then
      stop_pid(pid)
      return nil, "nginx did not answer\n" .. (read_file(prefix .. "/logs/error.log") or "")
    end
    socket.sleep(0.005)
  end

  return setmetatable({
    pid = pid,
    prefix = prefix,
    https_port = https_port,
    http_port = http_port,
    endpoint = "https://127.0.0.1:" .. https_port,
    http_endpoint = "http://127.0.0.1:" .. http_port,
    ca_file = prefix .. "/ca.pem",
    conf = prefix .. "/nginx.conf",
  }, Mock)
end

-- Starts nginx on free loopback ports and waits until it answers. Options: workers (1),
-- qps (0: no limit), max_skew (900 s), log_level ("warn"), timeout (30 s), nginx (binary;
-- default $CAMS_MOCK_NGINX or /usr/sbin/nginx), modules_dir (default
-- $CAMS_MOCK_NGINX_MODULES or /usr/lib/nginx/modules), watchdog (true: stop nginx when
-- this Lua process exits without m:stop()), lua_path (prepended to lua_package_path),
-- http_config and server_config (nginx directives added to the http block and to both
-- server blocks; they may use ${PREFIX}, ${HTTPS_PORT} and ${HTTP_PORT}).
-- Raises with nginx's error log on failure.
function mock.start(opts)
  opts = opts or {}
  local support = support_dir()
  local prefix = util.tmpdir("mock")
  run("mkdir -p " .. q(prefix .. "/logs") .. " " .. q(prefix .. "/tmp")
    .. " && chmod 755 " .. q(prefix))
  local ok, err = pcall(make_certs, prefix)
  if not ok then
    remove_prefix(prefix)
    error(err, 2)
  end

  local m, log
  for _ = 1, 3 do -- a free port can be taken between the probe and nginx's bind
    ok, m, log = pcall(start_once, opts, prefix, support)
    if not ok then m, log = nil, m end
    if m or not tostring(log):find("Address already in use", 1, true) then break end
  end
  if not m then
    remove_prefix(prefix)
    error("mock: nginx failed to start:\n" .. tostring(log), 2)
  end
  if opts.watchdog ~= false then
    m.watchdog_pid = start_watchdog(self_pid(), m.pid, prefix)
  end
  return m
end

-- Stops a mock started elsewhere (e.g. by run.lua) from its prefix directory.
function mock.stop_prefix(prefix)
  local pid = tonumber(read_file(prefix .. "/logs/nginx.pid") or "")
  local ok = stop_pid(pid)
  remove_prefix(prefix)
  return ok
end

-- Process and file helpers, shared with the other nginx launcher (spec/support/nginx.lua):
-- those of spec.support.util and the launcher's own.
mock.util = util.merge(util, {
  NGINX_ENV = NGINX_ENV,
  free_ports = free_ports, alive = alive, stop_pid = stop_pid, nginx_binary = nginx_binary,
  load_modules = load_modules, fill = fill, self_pid = self_pid,
  start_watchdog = start_watchdog, support_dir = support_dir, get = get,
})

return mock

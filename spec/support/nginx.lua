-- Launcher of an nginx that runs lua-cams itself, for the OpenResty integration specs and
-- bench/: -p on a temporary prefix, one free loopback port, lua-cams from lua/ and the
-- LuaJIT build of cams.core (build/luajit). Uses the mock launcher's process helpers.
--
--   local nginx = require "spec.support.nginx"
--   local app = nginx.start{ workers = 2, trusted_certificate = m.ca_file,
--     main_config = "env X=1;", http_config = "...", server_config = "location ... {}" }
--   app.url, app.port, app.prefix, app.pid; app:error_log(); app:stop()
local socket = require "socket"
local mock = require "spec.support.mock"

local util = mock.util
local q = util.q

local nginx = {}

local App = {}
App.__index = App

local TEMPLATE = [[
# written by spec/support/nginx.lua
${LOAD_MODULES}
${USER}
daemon on;
master_process on;
worker_processes ${WORKERS};
pid ${PREFIX}/logs/nginx.pid;
error_log ${PREFIX}/logs/error.log ${LOG_LEVEL};
worker_shutdown_timeout 1s;
${MAIN_CONFIG}

events {
  worker_connections 1024;
}

http {
  access_log off;
  client_body_temp_path ${PREFIX}/tmp/body;
  proxy_temp_path ${PREFIX}/tmp/proxy;
  fastcgi_temp_path ${PREFIX}/tmp/fastcgi;
  uwsgi_temp_path ${PREFIX}/tmp/uwsgi;
  scgi_temp_path ${PREFIX}/tmp/scgi;

  lua_package_path "${ROOT}/lua/?.lua;${ROOT}/?.lua;;";
  lua_package_cpath "${CPATH};;";
  lua_socket_log_errors off;
  lua_ssl_trusted_certificate ${TRUSTED_CERTIFICATE};
  lua_ssl_verify_depth 2;

${HTTP_CONFIG}

  server {
    listen 127.0.0.1:${PORT} reuseport;
    location = /__health {
      return 200 "ok";
    }
${SERVER_CONFIG}
  }
}
]]

-- Absolute path of the repository (two levels above spec/support).
local function root_dir()
  return (util.support_dir():gsub("/spec/support$", ""))
end

function App:error_log()
  return util.read_file(self.prefix .. "/logs/error.log") or ""
end

function App:stop()
  if self.stopped then return end
  self.stopped = true
  local ok = util.stop_pid(self.pid)
  if self.watchdog_pid then util.run("kill " .. self.watchdog_pid .. " 2>/dev/null") end
  util.remove_tmpdir(self.prefix)
  if not ok then error("nginx " .. tostring(self.pid) .. " did not stop", 2) end
end

local function start_once(opts, prefix)
  local port = util.free_ports(1)[1]
  local root = root_dir()
  local vars = {
    LOAD_MODULES = util.load_modules(opts),
    USER = util.capture("id -u") == "0" and "user root root;" or "",
    WORKERS = tostring(math.floor(tonumber(opts.workers) or 1)),
    PREFIX = prefix,
    LOG_LEVEL = opts.log_level or "warn",
    ROOT = root,
    CPATH = opts.cpath or (root .. "/build/luajit/?.so"),
    TRUSTED_CERTIFICATE = opts.trusted_certificate or "/etc/ssl/certs/ca-certificates.crt",
    PORT = tostring(port),
  }
  local conf
  if opts.conf then
    conf = vars.USER .. "\n" .. opts.conf
  else
    -- the snippets go in first so that they may use the placeholders too
    conf = TEMPLATE:gsub("%${(%u+_CONFIG)}", function(name)
      return opts[name:lower()] or ""
    end)
  end
  util.write_file(prefix .. "/nginx.conf", util.fill(conf, vars))
  os.remove(prefix .. "/logs/error.log")
  local env = {}
  for k, v in pairs(opts.env or {}) do env[#env + 1] = k .. "=" .. q(v) end
  local started = util.run(string.format("%s %s %s -p %s -c %s -e %s > %s 2>&1",
    util.NGINX_ENV, table.concat(env, " "), q(util.nginx_binary(opts)), q(prefix .. "/"), q(prefix .. "/nginx.conf"),
    q(prefix .. "/logs/error.log"), q(prefix .. "/logs/start.log")))
  if not started then
    return nil, (util.read_file(prefix .. "/logs/start.log") or "")
      .. (util.read_file(prefix .. "/logs/error.log") or "")
  end
  local deadline, pid = socket.gettime() + (opts.timeout or 30), nil
  while true do
    pid = pid or tonumber(util.read_file(prefix .. "/logs/nginx.pid") or "")
    if pid and util.get(port, "/__health", 1) then break end -- any answer will do
    if (pid and not util.alive(pid)) or socket.gettime() > deadline then
      util.stop_pid(pid)
      return nil, "nginx did not answer\n" .. (util.read_file(prefix .. "/logs/error.log") or "")
    end
    socket.sleep(0.005)
  end
  return setmetatable({
    pid = pid, prefix = prefix, port = port, url = "http://127.0.0.1:" .. port,
    conf = prefix .. "/nginx.conf",
  }, App)
end

-- Options: workers (1), trusted_certificate (lua_ssl_trusted_certificate), main_config,
-- http_config, server_config (nginx directives for the main context, the http block and
-- the server; they may use ${PREFIX}, ${PORT} and ${ROOT}), cpath (where cams/core.so
-- is; default build/luajit), log_level, timeout, nginx, modules_dir; or conf: a whole
-- nginx.conf instead of the built-in one (with ${PORT} in its listen directive, and
-- pid logs/nginx.pid). env: variables for the nginx process.
-- Raises with nginx's error log when nginx does not start.
function nginx.start(opts)
  opts = opts or {}
  local prefix = util.tmpdir("nginx")
  util.run("mkdir -p " .. q(prefix .. "/logs") .. " " .. q(prefix .. "/tmp")
    .. " && chmod 755 " .. q(prefix))
  local app, log
  for _ = 1, 3 do -- a free port can be taken between the probe and nginx's bind
    local ok
    ok, app, log = pcall(start_once, opts, prefix)
    if not ok then app, log = nil, app end
    if app or not tostring(log):find("Address already in use", 1, true) then break end
  end
  if not app then
    util.remove_tmpdir(prefix)
    error("nginx failed to start:\n" .. tostring(log), 2)
  end
  app.watchdog_pid = util.start_watchdog(util.self_pid(), app.pid, prefix)
  return app
end

return nginx

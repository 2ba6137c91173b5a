-- Launcher of a redis-server for the specs (Debian's redis-server): a free loopback port,
-- its own config and directory under $TMPDIR, no persistence, never the system service;
-- a watchdog stops it when the Lua process that started it exits without r:stop().
--
--   local redis = require "spec.support.redis"
--   local r = redis.start{ password = "pw", user = "cams", user_password = "pw2" }
--   r.url ("redis://127.0.0.1:P"), r:url_for(user, password, db), r.port, r.pid
--   r:cli("GET", key)   redis-cli's answer (as the default user, or r.password)
--   r:kill()            SIGKILL, as a crash; r:restart() on the same port, empty
--   r:freeze(); r:thaw() SIGSTOP / SIGCONT: a Redis that accepts and never answers
--   r:stop()
local socket = require "socket"
local mock = require "spec.support.mock"

local util = mock.util
local q = util.q

local redis = {}

local Redis = {}
Redis.__index = Redis

redis.SERVER = os.getenv("CAMS_REDIS_SERVER") or "/usr/bin/redis-server"
redis.CLI = os.getenv("CAMS_REDIS_CLI") or "/usr/bin/redis-cli"

function redis.available()
  return util.exists(redis.SERVER) and util.exists(redis.CLI)
end

local function config(self)
  local lines = {
    "port " .. self.port,
    "bind 127.0.0.1",
    'save ""',
    "appendonly no",
    "daemonize yes",
    "protected-mode yes",
    "dir " .. self.dir,
    "pidfile " .. self.dir .. "/redis.pid",
    "logfile " .. self.dir .. "/redis.log",
  }
  if self.password then
    lines[#lines + 1] = "requirepass " .. self.password
  end
  if self.user then
    lines[#lines + 1] = "user " .. self.user .. " on >" .. self.user_password .. " ~* &* +@all"
  end
  return table.concat(lines, "\n") .. "\n"
end

-- Answers PING within `seconds`.
local function answers(port, seconds)
  local deadline = socket.gettime() + seconds
  repeat
    local s = socket.tcp()
    s:settimeout(0.5)
    if s:connect("127.0.0.1", port) then
      s:send("PING\r\n")
      local line = s:receive("*l")
      s:close()
      -- +PONG, or -NOAUTH when a password is required: either way it is up
      if line and (line == "+PONG" or line:find("^%-NOAUTH")) then return true end
    end
    s:close()
    socket.sleep(0.01)
  until socket.gettime() > deadline
  return false
end

local function watchdog(lua_pid, dir)
  local script = table.concat({
    "trap '' INT HUP QUIT",
    "while grep -q . /proc/" .. lua_pid .. "/cmdline 2>/dev/null; do",
    "  [ -e " .. q(dir) .. " ] || exit 0",
    "  sleep 1",
    "done",
    "p=$(cat " .. q(dir .. "/redis.pid") .. " 2>/dev/null)",
    "[ -n \"$p\" ] && grep -q redis-server /proc/$p/cmdline 2>/dev/null && kill -KILL $p",
    "rm -rf " .. q(dir),
  }, "\n")
  return tonumber(util.capture("sh -c " .. q(script) .. " </dev/null >/dev/null 2>&1 & echo $!"))
end

function Redis:launch()
  util.write_file(self.dir .. "/redis.conf", config(self))
  os.remove(self.dir .. "/redis.pid")
  if not util.run(q(redis.SERVER) .. " " .. q(self.dir .. "/redis.conf") .. " >"
      .. q(self.dir .. "/start.log") .. " 2>&1") then
    return nil, util.read_file(self.dir .. "/start.log") or ""
  end
  local deadline = socket.gettime() + 10
  while true do
    self.pid = tonumber(util.read_file(self.dir .. "/redis.pid") or "")
    if self.pid and answers(self.port, 0.2) then return true end
    if socket.gettime() > deadline then
      return nil, "redis-server did not answer\n" .. (util.read_file(self.dir .. "/redis.log") or "")
    end
  end
end

--- redis-cli's answer to one command (its words as arguments), without trailing space.
function Redis:cli(...)
  local words = {}
  for i, w in ipairs{ ... } do words[i] = q(w) end
  local auth = self.password and ("REDISCLI_AUTH=" .. q(self.password) .. " ") or ""
  return util.capture(auth .. q(redis.CLI) .. " -h 127.0.0.1 -p " .. self.port .. " "
    .. table.concat(words, " ") .. " 2>&1")
end

--- A URL of this Redis with these credentials (percent-encoded) and database.
function Redis:url_for(user, password, db)
  local function enc(s)
    return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
  end
  local info = ""
  if password then info = enc(user or "") .. ":" .. enc(password) .. "@" end
  return "redis://" .. info .. "127.0.0.1:" .. self.port .. (db and ("/" .. db) or "")
end

function Redis:alive()
  return self.pid ~= nil and util.alive(self.pid)
end

-- Whether something accepts connections on the port.
local function listening(port)
  local s = socket.tcp()
  s:settimeout(1)
  local ok = s:connect("127.0.0.1", port)
  s:close()
  return ok ~= nil
end

-- Waits until the process is gone and its port refuses connections: the main thread of a
-- killed redis-server is a zombie while its other threads still hold the listening socket.
local function wait_gone(pid, port)
  local deadline = socket.gettime() + 5
  while util.alive(pid) or listening(port) do
    assert(socket.gettime() < deadline, "redis-server " .. pid .. " does not go away")
    socket.sleep(0.01)
  end
end

function Redis:kill()
  if not self:alive() then return end
  util.run("kill -CONT " .. self.pid .. "; kill -KILL " .. self.pid)
  wait_gone(self.pid, self.port)
end

function Redis:restart()
  self:kill()
  local ok, err
  for _ = 1, 50 do -- the port is free as soon as the killed one is gone; a moment at worst
    ok, err = self:launch()
    if ok then return end
    socket.sleep(0.1)
  end
  error("redis-server did not start again: " .. tostring(err), 2)
end

function Redis:freeze() util.run("kill -STOP " .. self.pid) end
function Redis:thaw() util.run("kill -CONT " .. self.pid) end

function Redis:stop()
  if self.stopped then return end
  self.stopped = true
  self:kill()
  if self.watchdog_pid then util.run("kill " .. self.watchdog_pid .. " 2>/dev/null") end
  util.remove_tmpdir(self.dir)
end

--- Starts a redis-server; `opts`: password (requirepass), user and user_password (an ACL
-- user with every right). Raises when it does not start.
function redis.start(opts)
  opts = opts or {}
  local self = setmetatable({ dir = util.tmpdir("redis"), password = opts.password,
    user = opts.user, user_password = opts.user_password }, Redis)
  local ok, err
  for _ = 1, 3 do -- a free port can be taken between the probe and redis-server's bind
    self.port = util.free_ports(1)[1]
    ok, err = self:launch()
    if ok then break end
  end
  if not ok then
    util.remove_tmpdir(self.dir)
    error("redis-server failed to start:\n" .. tostring(err), 2)
  end
  self.url = "redis://127.0.0.1:" .. self.port
  self.watchdog_pid = watchdog(util.self_pid(), self.dir)
  return self
end

return redis

-- An in-process stand-in for Redis and LuaSocket, for the unit specs of the Redis rate
-- limiter: the limiter's own script runs here as Redis runs it (its TIME from a fake clock,
-- GET, SET ... PX, DEL on a table), behind a `socket` module whose connections speak RESP2.
--
--   local fake_redis = require "spec.support.fake_redis"
--   local clock = fake_redis.clock(1000)          -- clock.now(), clock.t (seconds)
--   local server = fake_redis.server(clock)       -- server.data, server.log (commands)
--   local socket = server:socket()                -- for cams.ratelimit.redis.new{socket=}
--   server.refuse = true     connections refused     server.silent = true   never answers
--   server:restart()         every connection closed, scripts and data gone
--   fake_redis.run_script(server, src, keys, argv)  one script run, its reply as Redis gives it
local M = {}

function M.clock(t)
  local c = { t = t or 0 }
  function c.now() return c.t end
  function c.sleep(s) c.t = c.t + s end
  return c
end

local unpack = table.unpack or unpack

local function micros(clock)
  return math.floor(clock.t * 1000000 + 0.5)
end

-- Commands a script may call.
local function script_call(server, cmd, ...)
  local args = { ... }
  cmd = cmd:upper()
  server.log[#server.log + 1] = "script:" .. cmd
  if cmd == "TIME" then
    local us = micros(server.clock)
    return { tostring(math.floor(us / 1000000)), tostring(us % 1000000) }
  elseif cmd == "GET" then
    local v = server.data[args[1]]
    local exp = server.expiry[args[1]]
    if v ~= nil and exp and micros(server.clock) >= exp then
      server.data[args[1]], server.expiry[args[1]] = nil, nil
      v = nil
    end
    return v == nil and false or v
  elseif cmd == "SET" then
    assert(type(args[2]) == "string" and args[2]:match("^%-?%d+$"),
      "the script stores whole numbers, written out: " .. tostring(args[2]))
    assert(args[3] == "PX", "the script's keys expire")
    server.data[args[1]] = args[2]
    server.expiry[args[1]] = micros(server.clock) + args[4] * 1000
    server.ttl = args[4]
    return { ok = "OK" }
  elseif cmd == "DEL" then
    server.data[args[1]] = nil
    return 1
  end
  error("the script calls " .. cmd)
end

-- A script's return value as Redis turns it into a reply: numbers truncated to integers.
local function reply_of(v)
  if type(v) == "number" then
    return v >= 0 and math.floor(v) or -math.floor(-v)
  elseif type(v) == "table" and v.err then
    return { err = v.err }
  elseif type(v) == "table" then
    local out = {}
    for i, x in ipairs(v) do out[i] = reply_of(x) end
    return out
  end
  return v
end

function M.run_script(server, src, keys, argv)
  local env = { tonumber = tonumber, tostring = tostring, string = string, math = math,
    type = type, KEYS = keys, ARGV = argv }
  env.redis = {
    call = function(...) return script_call(server, ...) end,
    error_reply = function(msg) return { err = msg } end,
    replicate_commands = function() return true end,
  }
  local chunk
  if rawget(_G, "setfenv") then
    chunk = assert(loadstring(src, "=script"))
    setfenv(chunk, env)
  else
    chunk = assert(load(src, "=script", "t", env))
  end
  return reply_of(chunk())
end

---------------------------------------------------------------------------------------
-- The server: RESP2 commands

local Server = {}
Server.__index = Server

M.SHA = "0123456789abcdef0123456789abcdef01234567"

function M.server(clock)
  return setmetatable({ clock = clock, data = {}, expiry = {}, scripts = {}, log = {},
    conns = {}, connects = 0, generation = 1 }, Server)
end

function Server:restart()
  self.generation = self.generation + 1
  self.data, self.expiry, self.scripts = {}, {}, {}
end

function Server:count(name)
  local n = 0
  for _, c in ipairs(self.log) do if c == name then n = n + 1 end end
  return n
end

local function encode(v)
  if v == false or v == nil then return "$-1\r\n" end
  if type(v) == "number" then return ":" .. string.format("%d", v) .. "\r\n" end
  if type(v) == "string" then return "$" .. #v .. "\r\n" .. v .. "\r\n" end
  if v.err then return "-" .. v.err .. "\r\n" end
  if v.ok then return "+" .. v.ok .. "\r\n" end
  local out = { "*" .. #v .. "\r\n" }
  for _, x in ipairs(v) do out[#out + 1] = encode(x) end
  return table.concat(out)
end

function Server:execute(conn, args)
  local cmd = args[1]:upper()
  self.log[#self.log + 1] = cmd
  if self.fail_with then return { err = self.fail_with } end
  if cmd == "AUTH" then
    local user, pass = args[2], args[3]
    if not pass then user, pass = "default", args[2] end
    conn.auth = { user = user, password = pass }
    if self.password and (pass ~= self.password or user ~= (self.user or "default")) then
      return { err = self.auth_error or "WRONGPASS invalid username-password pair" }
    end
    return { ok = "OK" }
  elseif self.password and not (conn.auth and conn.auth.password == self.password) then
    return { err = "NOAUTH Authentication required." }
  elseif cmd == "SELECT" then
    conn.db = tonumber(args[2])
    return { ok = "OK" }
  elseif cmd == "SCRIPT" and args[2]:upper() == "LOAD" then
    self.scripts[M.SHA] = args[3]
    return M.SHA
  elseif cmd == "EVALSHA" or cmd == "EVAL" then
    local src = args[2]
    if cmd == "EVALSHA" then
      src = self.scripts[args[2]]
      if not src then return { err = "NOSCRIPT No matching script. Please use EVAL." } end
    else
      self.scripts[M.SHA] = src
    end
    local n = tonumber(args[3])
    return M.run_script(self, src, { unpack(args, 4, 3 + n) }, { unpack(args, 4 + n) })
  end
  return { err = "ERR unknown command '" .. cmd .. "'" }
end

-- Complete commands at the front of `buf`: list of arguments and the rest, or nil.
local function parse(buf)
  local n, at = buf:match("^%*(%d+)\r\n()")
  if not n then return nil end
  local args = {}
  for i = 1, tonumber(n) do
    local len, from = buf:match("^%$(%d+)\r\n()", at)
    if not len then return nil end
    len = tonumber(len)
    if #buf < from + len + 1 then return nil end
    args[i] = buf:sub(from, from + len - 1)
    at = from + len + 2
  end
  return args, buf:sub(at)
end

---------------------------------------------------------------------------------------
-- The socket module

local Conn = {}
Conn.__index = Conn

function Conn:settimeout(t, mode)
  self.timeout = t
  self.server.timeouts[#self.server.timeouts + 1] = t
  assert(mode == "t", "one timeout for each whole operation")
end

function Conn.setoption() return true end

function Conn:connect(host, port)
  local s = self.server
  s.connects = s.connects + 1
  s.last_target = host .. ":" .. port
  if s.silent then
    s.clock.sleep(self.timeout)
    return nil, "timeout"
  end
  if s.refuse then return nil, "connection refused" end
  self.generation = s.generation
  self.open = true
  return 1
end

function Conn:alive()
  return self.open and self.generation == self.server.generation
end

function Conn:send(bytes)
  if not self:alive() then return nil, "closed" end
  self.inbox = self.inbox .. bytes
  while true do
    local args, rest = parse(self.inbox)
    if not args then break end
    self.inbox = rest
    if not self.server.silent then
      self.outbox = self.outbox .. encode(self.server:execute(self, args))
    end
  end
  return #bytes
end

function Conn:receive(pattern)
  if self.server.silent then
    self.server.clock.sleep(self.timeout)
    return nil, "timeout"
  end
  if not self:alive() then return nil, "closed" end
  if pattern == "*l" then
    local line, rest = self.outbox:match("^(.-)\r?\n(.*)$")
    if not line then return nil, "closed" end
    self.outbox = rest
    return line
  end
  if #self.outbox < pattern then return nil, "closed" end
  local data = self.outbox:sub(1, pattern)
  self.outbox = self.outbox:sub(pattern + 1)
  return data
end

function Conn:close()
  self.open = false
  return 1
end

function Server:socket()
  self.timeouts = {}
  local server = self
  return {
    tcp = function()
      local c = setmetatable({ server = server, inbox = "", outbox = "" }, Conn)
      server.conns[#server.conns + 1] = c
      return c
    end,
  }
end

return M

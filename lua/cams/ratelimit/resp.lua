--- A connection to Redis speaking the few RESP2 commands the shared rate limiter needs
-- (AUTH, SELECT, SCRIPT LOAD, EVALSHA, EVAL), over nginx cosockets inside nginx (kept in
-- nginx's connection pool between calls) or LuaSocket elsewhere (kept by the caller).
--
-- Every socket operation is bounded by one absolute deadline on the caller's clock. A
-- connection that failed in the middle of a reply is closed, never reused.
-- luacheck: globals ngx
local M = {}

M.MAX_BULK = 1024 * 1024 -- longest string reply accepted (the replies here are tiny)

local concat, format, tostring = table.concat, string.format, tostring

--- One command as RESP2 bytes: an array of bulk strings. Whole numbers are written out in
-- full (tostring would give Lua 5.1's 14 digits: 1.7e+15 for a time in microseconds).
function M.encode(args)
  local out = { "*" .. #args .. "\r\n" }
  for i = 1, #args do
    local a = args[i]
    if type(a) == "number" and a % 1 == 0 then
      a = format("%d", a)
    else
      a = tostring(a)
    end
    out[#out + 1] = "$" .. #a .. "\r\n" .. a .. "\r\n"
  end
  return concat(out)
end

local Conn = {}
Conn.__index = Conn

-- Sets the socket's timeout to what is left before the deadline; false when nothing is.
function Conn:budget()
  local left = self.deadline - self.clock.now()
  if left <= 0 then
    return false
  end
  if self.cosocket then
    self.sock:settimeout(math.max(1, math.ceil(left * 1000)))
  else
    self.sock:settimeout(left, "t")
  end
  return true
end

function Conn:receive(pattern)
  if not self:budget() then
    return nil, "timeout"
  end
  return self.sock:receive(pattern)
end

--- Reads one reply: the value (string, number, false for a nil reply, or a list), or nil,
-- the message and true when Redis answered with an error (the connection stays usable),
-- or nil and the socket's message.
function Conn:read()
  local line, err = self:receive("*l")
  if not line then
    return nil, err
  end
  local kind, rest = line:sub(1, 1), line:sub(2)
  if kind == "+" then
    return rest
  elseif kind == "-" then
    return nil, rest, true
  elseif kind == ":" then
    return tonumber(rest)
  elseif kind == "$" then
    local n = tonumber(rest)
    if not n or n > M.MAX_BULK then
      return nil, "bad bulk length from Redis"
    elseif n < 0 then
      return false
    end
    local data
    data, err = self:receive(n + 2)
    if not data then
      return nil, err
    end
    return data:sub(1, n)
  elseif kind == "*" then
    local n = tonumber(rest)
    if not n or n > 64 then
      return nil, "bad array length from Redis"
    elseif n < 0 then
      return false
    end
    local list = {}
    for i = 1, n do
      local v, e = self:read()
      if v == nil then
        return nil, e -- the rest of the array is unread: the connection is out of step
      end
      list[i] = v
    end
    return list
  end
  return nil, "unexpected reply from Redis"
end

-- Sends `bytes`; true or nil and the socket's message.
function Conn:send(bytes)
  if not self:budget() then
    return nil, "timeout"
  end
  local ok, err = self.sock:send(bytes)
  if not ok then
    return nil, err
  end
  return true
end

--- Runs one command (its words as arguments): the reply, or nil, the message and whether
-- Redis itself answered with that error (then the connection is still in step).
function Conn:call(...)
  local ok, err = self:send(M.encode{ ... })
  if not ok then
    self.broken = true
    return nil, err
  end
  local v, e, server = self:read()
  if v == nil and server ~= true then
    self.broken = true
  end
  return v, e, server == true
end

--- Ends a use of the connection: a sound one goes back to nginx's pool (cosockets) or
-- stays open for the next use (LuaSocket); a broken one is closed.
function Conn:done()
  if self.broken then
    return self:close()
  end
  self.reused = true
  if self.cosocket then
    self.sock:setkeepalive()
    self.sock = nil
  end
end

function Conn:close()
  if self.sock then
    self.sock:close()
    self.sock = nil
  end
  self.broken = true
end

--- True when the connection can carry another command.
function Conn:usable()
  return self.sock ~= nil and not self.broken
end

-- The first commands of a fresh connection: AUTH and SELECT, sent together.
local function handshake(c, target)
  local words = {}
  if target.password then
    words[#words + 1] = target.user and { "AUTH", target.user, target.password }
      or { "AUTH", target.password }
  end
  if target.db ~= 0 then
    words[#words + 1] = { "SELECT", target.db }
  end
  if #words == 0 then
    return true
  end
  local bytes = {}
  for i, w in ipairs(words) do
    bytes[i] = M.encode(w)
  end
  local ok, err = c:send(concat(bytes))
  if not ok then
    return nil, err
  end
  for i = 1, #words do
    local v, e, server = c:read()
    if v == nil then
      return nil, (server and (words[i][1] .. ": ") or "") .. tostring(e)
    end
  end
  return true
end

--- A connection to `target` (cams.ratelimit.redis_url, with `pool`, a name for nginx's
-- pool), authenticated and on its database, or nil and a message. `deadline` bounds
-- connecting and every later operation (`conn.deadline` may be moved for a new use);
-- `clock.now()` tells the time. `socket`: LuaSocket's module outside nginx, nil inside.
function M.connect(target, deadline, clock, socket)
  local c = setmetatable({ deadline = deadline, clock = clock, cosocket = socket == nil },
    Conn)
  local sock, err
  if c.cosocket then
    sock, err = ngx.socket.tcp()
  else
    sock, err = socket.tcp()
  end
  if not sock then
    return nil, err
  end
  c.sock = sock
  if not c:budget() then
    return nil, "timeout"
  end
  local ok
  if c.cosocket then
    ok, err = sock:connect(target.host, target.port, { pool = target.pool })
  else
    ok, err = sock:connect(target.host, target.port)
  end
  if not ok then
    c:close()
    return nil, err
  end
  if c.cosocket then
    c.reused = (sock:getreusedtimes() or 0) > 0
  else
    sock:setoption("tcp-nodelay", true)
  end
  if not c.reused then
    ok, err = handshake(c, target)
    if not ok then
      c:close()
      return nil, err
    end
  end
  return c
end

return M

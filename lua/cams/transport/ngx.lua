--- Cosocket transport for nginx's Lua module (OpenResty, libnginx-mod-http-lua): HTTP/1.1
-- over ngx.socket.tcp, so a call waits without blocking the worker. Usable in the phases
-- where cosockets are (rewrite, access, content, timer, ssl_cert, ...); elsewhere ready()
-- says why not.
--
-- nginx settings that apply:
--   lua_ssl_trusted_certificate, lua_ssl_verify_depth  certificates to trust (always verified)
--   resolver                                           needed for host names (not IP literals)
--   lua_socket_keepalive_timeout, lua_socket_pool_size kept-alive connections
--
-- Same shape as every transport (see cams.transport.curl); the request object gives the
-- bytes to send (req:http1()).
-- luacheck: globals ngx
local clock = require "cams.clock"

local M = {}

-- CAMS answers are a few KiB: anything larger is refused, as by the libcurl transport
M.MAX_BODY = 8 * 1024 * 1024
M.MAX_HEADER_BYTES = 64 * 1024 -- status, header and trailer lines of one response
M.MAX_HEADER_LINES = 200
M.MAX_CHUNK_LINE = 1024 -- a chunk's size line, extensions included

local Transport = {}
Transport.__index = Transport

--- `settings`: connect_timeout and timeout in seconds.
function M.new(settings)
  return setmetatable({ settings = settings, url = nil, parsed = nil }, Transport)
end

local function phase_message(phase)
  return string.format("lua-cams cannot run in nginx's %s phase: cosockets are not available "
    .. "there and libcurl would block the worker; call it from a rewrite, access or content "
    .. "handler, or defer it with ngx.timer.at(0, function() ... end)", phase)
end

--- Whether a request may be made here and now (cosockets exist in this phase).
function Transport.ready()
  local phase = clock.phase()
  if not phase then
    return nil, "transport 'ngx' needs nginx with the Lua module"
  end
  if not clock.YIELDING_PHASES[phase] then
    return nil, phase_message(phase)
  end
  return true
end

local function now()
  ngx.update_time()
  return ngx.now()
end

-- scheme, connect host, port, authority (Host header), SNI name or nil, request target.
local function parse_url(url)
  local scheme, authority, target = url:match("^(https?)://([^/?#]+)(.*)$")
  if not scheme then
    return nil
  end
  local host, port = authority:match("^(%[[%x:.]+%])(.*)$")
  if not host then
    host, port = authority:match("^([^:%[%]]+)(.*)$")
  end
  if not host then
    return nil
  end
  if port ~= "" then
    port = tonumber(port:match("^:(%d+)$"))
    if not port or port < 1 or port > 65535 then
      return nil
    end
  else
    port = scheme == "https" and 443 or 80
  end
  if target == "" then
    target = "/"
  elseif target:sub(1, 1) ~= "/" then
    target = "/" .. target
  end
  -- SNI and the certificate's name check need a DNS name; IP literals get neither
  -- (RFC 6066 forbids them in SNI, and nginx checks only DNS names)
  local ip = host:sub(1, 1) == "[" or host:match("^%d+%.%d+%.%d+%.%d+$") ~= nil
  return {
    tls = scheme == "https",
    host = host,
    port = port,
    authority = authority,
    server_name = not ip and host or nil,
    target = target,
  }
end

---------------------------------------------------------------------------
-- One exchange. Failures return nil, code, message.

local Exchange = {}
Exchange.__index = Exchange

-- Milliseconds left before the deadline, at least 1 (0 would mean "nginx's default").
function Exchange:left()
  local ms = math.floor((self.deadline - now()) * 1000)
  return ms > 0 and ms or nil
end

function Exchange:timeout(what, seconds)
  return nil, "Transport.Timeout", string.format("timed out after %d ms %s %s",
    math.floor((seconds or self.budget) * 1000 + 0.5), what, self.where)
end

-- Maps a cosocket error of sending or receiving.
function Exchange:io_error(err, what)
  if err == "timeout" then
    return self:timeout(what)
  end
  return nil, "Transport.Reset", string.format("connection %s while %s %s",
    err == "closed" and "closed by the server" or tostring(err), what, self.where)
end

local function shown(s, n)
  return (s:sub(1, n):gsub("[%c\127]", "?"))
end

function Exchange:malformed(msg)
  return nil, "Response.Malformed", "broken HTTP response from " .. self.where .. ": " .. msg
end

function Exchange.too_large()
  return nil, "Response.TooLarge", string.format("the response is larger than %d bytes of "
    .. "headers or %d of body", M.MAX_HEADER_BYTES, M.MAX_BODY)
end

-- One socket operation (`op`: "send" or "receive") with the time left before the deadline;
-- what it returns, or nil, code, message (`what` names it in messages).
function Exchange:io(op, arg, what)
  local ms = self:left()
  if not ms then
    return self:timeout(what)
  end
  self.sock:settimeout(ms)
  local data, err = self.sock[op](self.sock, arg)
  if data then
    return data
  end
  return self:io_error(err, what)
end

function Exchange:receive(pattern)
  return self:io("receive", pattern, "reading the response from")
end

-- One line without its line end, or nil, code, message; read in pieces so that no more
-- than `limit` bytes are ever held (a longer line gives Response.TooLarge).
function Exchange:read_line(limit)
  local parts, size = {}, 0
  while true do
    local ms = self:left()
    if not ms then
      return self:timeout("reading the response from")
    end
    self.sock:settimeout(ms)
    local data, err = self.next_line(limit - size + 1)
    if not data then
      if err then
        return self:io_error(err, "reading the response from")
      end
      return (table.concat(parts):gsub("\r$", "")) -- the end of the line
    end
    size = size + #data
    if size > limit then
      return self:too_large()
    end
    parts[#parts + 1] = data
  end
end

-- A line of the head (status, header and trailer lines), within the head's limits.
function Exchange:line()
  self.lines = self.lines + 1
  local room = M.MAX_HEADER_BYTES - self.header_bytes
  if self.lines > M.MAX_HEADER_LINES or room <= 0 then
    return self:too_large()
  end
  local line, code, msg = self:read_line(room)
  if line then
    self.header_bytes = self.header_bytes + #line + 2
  end
  return line, code, msg
end

-- Status line and header block; skips interim 1xx responses.
function Exchange:read_head()
  while true do
    local line, code, msg = self:line()
    if not line then
      return nil, code, msg
    end
    local major, minor, status = line:match("^HTTP/(%d)%.(%d) (%d%d%d)")
    if not major then
      return self:malformed("status line '" .. shown(line, 80) .. "'")
    end
    local headers = {}
    while true do
      line, code, msg = self:line()
      if not line then
        return nil, code, msg
      end
      if line == "" then
        break
      end
      local name, value = line:match("^([^:%s]+):[ \t]*(.-)[ \t]*$")
      if not name then
        return self:malformed("header line '" .. shown(line, 80) .. "'")
      end
      headers[name:lower()] = value -- as with libcurl: the last of repeated headers wins
    end
    status = tonumber(status)
    if status >= 200 or status == 101 then
      return status, headers, tonumber(major) * 10 + tonumber(minor)
    end
  end
end

function Exchange:read_chunked()
  local parts, total = {}, 0
  while true do
    local line, code, msg = self:read_line(M.MAX_CHUNK_LINE)
    if not line then
      return nil, code, msg
    end
    local hex = line:match("^(%x+)[ \t]*;") or line:match("^(%x+)[ \t]*$")
    if not hex or #hex > 8 then
      return self:malformed("chunk size '" .. shown(line, 20) .. "'")
    end
    local size = tonumber(hex, 16)
    if size == 0 then
      break
    end
    total = total + size
    if total > M.MAX_BODY then
      return self:too_large()
    end
    local data
    data, code, msg = self:receive(size)
    if not data then
      return nil, code, msg
    end
    parts[#parts + 1] = data
    local crlf
    crlf, code, msg = self:read_line(M.MAX_CHUNK_LINE)
    if not crlf then
      return nil, code, msg
    elseif crlf ~= "" then
      return self:malformed("chunk not followed by CRLF")
    end
  end
  while true do -- trailer fields, up to the empty line
    local line, code, msg = self:line()
    if not line then
      return nil, code, msg
    end
    if line == "" then
      break
    end
  end
  return table.concat(parts)
end

-- Body per RFC 7230 section 3.3.3: body and whether the connection may be reused, or nil,
-- code, message.
function Exchange:read_body(status, headers)
  if status < 200 or status == 204 or status == 304 or self.method == "HEAD" then
    return "", true
  end
  local body, code, msg
  local te = headers["transfer-encoding"]
  local cl = headers["content-length"]
  if te and te:lower():match("chunked%s*$") then
    body, code, msg = self:read_chunked()
  elseif cl and not te then
    local n = cl:match("^%d+$") and #cl <= 15 and tonumber(cl)
    if not n then
      return self:malformed("Content-Length '" .. shown(cl, 20) .. "'")
    elseif n > M.MAX_BODY then
      return self:too_large()
    end
    body, code, msg = "", nil, nil
    if n > 0 then
      body, code, msg = self:receive(n)
    end
  else
    -- no length: the body runs until the server closes the connection
    body, code, msg = self:receive("*a")
    if not body then
      return nil, code, msg
    elseif #body > M.MAX_BODY then
      return self:too_large()
    end
    return body, false
  end
  if not body then
    return nil, code, msg
  end
  return body, true
end

local function keep_alive(version, headers)
  local conn = (headers.connection or ""):lower()
  if version >= 11 then
    return not conn:find("close", 1, true)
  end
  return conn:find("keep-alive", 1, true) ~= nil
end

---------------------------------------------------------------------------

-- A connection is verified under the trust settings of the location that opened it
-- (lua_ssl_trusted_certificate and lua_ssl_verify_depth may differ from one location, or
-- server, to the next): it may serve only that location's requests again. nginx keeps a
-- location's configuration at one address for a worker's life, and the request object
-- (a timer's is a copy of its creator's) points to it: that address names the pool.
local trust_scope
do
  local HTTP = 0x50545448 -- ngx_http_request_t's signature, "HTTP"
  local ok, ffi = pcall(require, "ffi")
  local okb, base = pcall(require, "resty.core.base")
  if ok and okb and base.get_request then
    -- the first fields of ngx_http_request_t, unchanged since nginx 0.1
    pcall(ffi.cdef, [[
      typedef struct {
        uint32_t signature;
        void *connection;
        void **ctx;
        void **main_conf;
        void **srv_conf;
        void **loc_conf;
      } lua_cams_ngx_request_head;
    ]])
    local head_type = ffi.typeof("const lua_cams_ngx_request_head *")
    trust_scope = function()
      local r = base.get_request()
      if r == nil then
        return "-"
      end
      local head = ffi.cast(head_type, r)
      if head.signature ~= HTTP then
        return "-"
      end
      return string.format("%x", tonumber(ffi.cast("uintptr_t", head.loc_conf)))
    end
  else
    -- without resty.core (which nginx's Lua module has needed since 0.10.16): one pool
    trust_scope = function()
      return "-"
    end
  end
end

-- Connects (or takes a kept-alive connection from nginx's pool) and shakes hands.
function Exchange:open(u, connect_timeout)
  local sock, err = ngx.socket.tcp()
  if not sock then
    return nil, "Transport.Error", "no cosocket: " .. tostring(err)
  end
  local ms = self:left()
  if not ms then
    return self:timeout("connecting to")
  end
  local cms = math.floor(connect_timeout * 1000)
  sock:settimeouts(cms > 0 and cms < ms and cms or ms, ms, ms)
  local ok
  ok, err = sock:connect(u.host, u.port, { pool = self.pool })
  if not ok then
    err = tostring(err)
    if err == "timeout" then
      return self:timeout("connecting to", math.min(connect_timeout, self.budget))
    elseif err:find("resolve", 1, true) or err:find("resolver", 1, true)
      or err:find("parse host name", 1, true) then
      return nil, "Transport.Resolve", "cannot resolve " .. u.host .. ": " .. err
        .. (err:find("no resolver", 1, true) and " (add a resolver directive to nginx.conf)"
          or "")
    end
    return nil, "Transport.Connect", "cannot connect to " .. self.where .. ": " .. err
  end
  self.sock = sock
  self.next_line = sock:receiveuntil("\n")
  -- a connection from the pool has had its handshake
  if u.tls and (sock:getreusedtimes() or 0) == 0 then
    ms = self:left()
    if not ms then
      sock:close()
      return self:timeout("in the TLS handshake with")
    end
    sock:settimeout(ms)
    ok, err = sock:sslhandshake(false, u.server_name, true)
    -- A handshake that completes at once reports success even when the certificate check
    -- failed (lua-nginx-module before 0.10.32); the module has then closed the socket.
    if ok and not sock:getreusedtimes() then
      ok, err = nil, "the server's certificate could not be verified"
    end
    if not ok then
      sock:close()
      if err == "timeout" then
        return self:timeout("in the TLS handshake with")
      end
      return nil, "Transport.TLS", "TLS handshake with " .. self.where .. " failed: "
        .. tostring(err) .. " (nginx trusts the CAs in lua_ssl_trusted_certificate)"
    end
  end
  return sock
end

function Exchange:run(data)
  local sent, code, msg = self:io("send", data, "sending the request to")
  if not sent then
    return nil, code, msg
  end
  local status, headers, version = self:read_head()
  if not status then
    return nil, headers, version
  end
  local body, reusable, why = self:read_body(status, headers)
  if not body then
    return nil, reusable, why
  end
  return status, headers, body, reusable and keep_alive(version, headers)
end

function Transport:request(req, timeout)
  local url = req:url()
  if url ~= self.url then -- a client sends to one endpoint: parsed once
    self.url, self.parsed = url, parse_url(url)
  end
  local u = self.parsed
  if not u then
    req:wipe()
    return nil, "Transport.Error", "invalid URL", false
  end
  local data = req:http1()
  req:wipe() -- the Authorization and security-token lines: sent once
  local s = self.settings
  local budget = type(timeout) == "number" and timeout > 0 and timeout or s.timeout
  local ex = setmetatable({
    deadline = now() + budget,
    budget = budget,
    method = req:method(),
    where = u.authority,
    pool = string.format("cams:%s:%d:%s:%s", u.host, u.port, u.tls and "tls" or "tcp",
      trust_scope()),
    lines = 0,
    header_bytes = 0,
  }, Exchange)

  local sock, code, msg = ex:open(u, s.connect_timeout)
  if not sock then
    return nil, code, msg, false -- nothing went out
  end
  local status, headers, body, reusable = ex:run(data)
  if not status then
    -- not sent again on a new connection: the server may have acted on it
    sock:close()
    return nil, headers, body, true
  end
  if not (reusable and sock:setkeepalive()) then
    sock:close()
  end
  return status, headers, body
end

--- Nothing to release: idle connections belong to nginx's pool.
function Transport.close() end

M.Transport = Transport
M.parse_url = parse_url

return M

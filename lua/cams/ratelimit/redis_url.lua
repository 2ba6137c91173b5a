--- The `redis` option: "redis://[user:password@]host[:port][/db]" parsed into a target.
--
-- The URL may carry a password, so no message here quotes it, and the target's `label`
-- (what messages name) is only host:port/db.
local M = {}

M.DEFAULT_PORT = 6379
M.MAX_DB = 2147483647

local format = string.format

local function decode(s)
  if s:find("%%[^%x]") or s:find("%%%x?$") then
    return nil
  end
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

--- The target of `url` ({ host, port, db, user, password, label }), or nil and a message
-- that names `name` (the option or variable) and never the URL itself.
function M.parse(url, name)
  local function bad(why)
    return nil, format("%s must be a URL redis://[user:password@]host:port[/db]: %s", name, why)
  end
  if type(url) ~= "string" then
    return bad("got " .. type(url))
  end
  if url:find("[%c%s]") then
    return bad("it contains spaces or control characters")
  end
  local scheme, rest = url:match("^(%a[%w+.-]*)://(.*)$")
  if not scheme then
    return bad("it does not start with redis://")
  elseif scheme:lower() == "rediss" then
    return bad("TLS (rediss://) is not supported; reach Redis over a trusted network")
  elseif scheme:lower() ~= "redis" then
    return bad("the scheme is not redis://")
  end
  if rest:find("[?#]") then
    return bad("a query or fragment is not understood")
  end
  local authority, path = rest:match("^([^/]*)(.*)$")
  local userinfo, hostport = authority:match("^(.*)@([^@]*)$")
  hostport = hostport or authority
  local t = { db = 0 }
  if userinfo then
    local user, password = userinfo:match("^([^:]*):(.*)$")
    if not user then
      return bad("the user info must be user:password (or :password)")
    end
    t.user, t.password = decode(user), decode(password)
    if not t.user or not t.password then
      return bad("the user info has a broken percent-encoding")
    end
    if t.user == "" then
      t.user = nil
    end
    if t.password == "" then
      return bad("the password is empty")
    end
  end
  local host, port = hostport:match("^%[([%x:.]+)%]:?(%d*)$") -- [IPv6]:port
  if not host then
    host, port = hostport:match("^([%w.-]+):?(%d*)$")
  end
  if not host or host == "" then
    return bad("no host, or not host:port")
  end
  t.host = host
  t.port = port == "" and M.DEFAULT_PORT or tonumber(port)
  if t.port < 1 or t.port > 65535 then
    return bad("the port is not from 1 to 65535")
  end
  if path ~= "" and path ~= "/" then
    local db = path:match("^/(%d+)$")
    t.db = db and tonumber(db)
    if not t.db or t.db > M.MAX_DB then
      return bad("the path must be /<database number>")
    end
  end
  local shown = host:find(":", 1, true) and ("[" .. host .. "]") or host
  t.label = format("%s:%d/%d", shown, t.port, t.db)
  return t
end

return M

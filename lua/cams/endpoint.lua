--- Endpoint parsing.
--
-- Accepted forms: `host`, `host:port`, `https://host[:port]`, and
-- `http://host[:port]` when http is allowed; `host` may be an IPv6 literal
-- in brackets (`[::1]:8443`). A single trailing "/" is tolerated; any other
-- path, a query, a fragment, user information, whitespace or control
-- characters are refused.

local M = {}

local DEFAULT_PORT = { https = 443, http = 80 }

local function valid_hostname(h)
  if #h == 0 or #h > 253 then
    return false
  end
  for label in (h .. "."):gmatch("([^.]*)%.") do
    if #label == 0 or #label > 63 or not label:match("^[%w-]+$")
      or label:sub(1, 1) == "-" or label:sub(-1) == "-" then
      return false
    end
  end
  return true
end

--- Parse an endpoint string.
-- Returns { scheme, host, port, authority, url } where `host` is the bare
-- host (IPv6 in brackets), `port` the explicit port or nil, `authority`
-- host[:port] with the port only when it is not the scheme default (the
-- value signed and sent as Host), and `url` scheme://authority.
-- On failure returns nil and a message; the caller prefixes it with the
-- origin of the value (option or environment variable).
function M.parse(s, allow_http)
  if type(s) ~= "string" then
    return nil, "must be a string, got " .. type(s)
  end
  if s == "" then
    return nil, "must not be empty"
  end
  if s:find("\0", 1, true) or s:find("[%c%s]") then
    return nil, "must not contain whitespace or control characters"
  end

  local scheme, rest = s:match("^(%a[%w+.-]*)://(.*)$")
  if scheme then
    scheme = scheme:lower()
    if scheme == "http" then
      if not allow_http then
        return nil, "http:// is refused: requests and responses would travel unencrypted "
          .. "and could be read or altered on the way; use https://, or pass "
          .. "allow_http = true for a loopback test server"
      end
    elseif scheme ~= "https" then
      return nil, "unsupported scheme '" .. scheme .. "://'; use https://"
    end
  elseif s:find("://", 1, true) then
    return nil, "has a malformed scheme; use https://host[:port]"
  else
    scheme, rest = "https", s
  end

  if rest:sub(-1) == "/" then
    rest = rest:sub(1, -2)
  end
  if rest:find("@", 1, true) then
    return nil, "must not contain user information (user@host)"
  end
  if rest:find("[/?#\\]") then
    return nil, "must not contain a path, query or fragment; give only host[:port]"
  end
  if rest == "" then
    return nil, "has no host"
  end

  local host, after
  if rest:sub(1, 1) == "[" then
    local addr
    addr, after = rest:match("^%[([^%]]*)%](.*)$")
    if not addr or not addr:match("^[%x:.]+$") or not addr:find(":", 1, true) then
      return nil, "has an invalid IPv6 literal; write it as [::1] or [::1]:8443"
    end
    host = "[" .. addr:lower() .. "]"
  else
    host, after = rest:match("^([^:]*)(.*)$")
    if after:find(":", 2, true) then
      return nil, "has more than one ':'; put an IPv6 address in brackets, e.g. [::1]:8443"
    end
    if not valid_hostname(host) then
      return nil, "has an invalid host name"
    end
    host = host:lower()
  end

  local port
  if after ~= "" then
    local digits = after:match("^:(%d+)$")
    port = digits and tonumber(digits)
    if not port or port < 1 or port > 65535 then
      return nil, "has an invalid port; expected :1 to :65535"
    end
  end

  local authority = host
  if port and port ~= DEFAULT_PORT[scheme] then
    authority = host .. ":" .. port
  end
  return {
    scheme = scheme,
    host = host,
    port = port,
    authority = authority,
    url = scheme .. "://" .. authority,
  }
end

--- The endpoint of a region: cams.<region>.aliyuncs.com over https.
function M.for_region(region)
  return M.parse("cams." .. region .. ".aliyuncs.com", false)
end

return M

--- libcurl transport: one kept-alive cams.core.http handle per client, opened on first use.
--
-- Every transport has the same shape:
--   t:request{ method =, url =, headers =, body = } -> status, headers, body
--                                                    | nil, code, message
--   t:close()
-- This one also takes the signed headers as one string (req.header_lines, from
-- cams.core.sign with header_lines = true) and, with req.response_header set, returns
-- only that response header.

local Transport = {}
Transport.__index = Transport
Transport.takes_header_lines = true

--- `settings`: connect_timeout, timeout (seconds), ca_file, proxy ("" for
-- none), no_proxy.
function Transport.new(core, settings)
  return setmetatable({ core = core, settings = settings, handle = nil }, Transport)
end

function Transport:request(req)
  local h = self.handle
  if not h then
    local ok, handle = pcall(self.core.http, {
      connect_timeout = self.settings.connect_timeout,
      timeout = self.settings.timeout,
      ca_file = self.settings.ca_file,
      proxy = self.settings.proxy,
      noproxy = self.settings.no_proxy,
    })
    if not ok then
      return nil, "Transport.Error", tostring(handle)
    end
    self.handle, h = handle, handle
  end
  local ok, status, headers, body = pcall(h.request, h, req)
  if not ok then
    return nil, "Transport.Error", tostring(status)
  end
  return status, headers, body
end

--- The proxy of a client, decided here rather than by libcurl's own lookup:
-- the `proxy` option (false: none), else HTTPS_PROXY or https_proxy; the
-- hosts that bypass it: the `no_proxy` option, else NO_PROXY or no_proxy.
-- Returns proxy ("" when none, which also stops libcurl from reading the
-- environment itself) and no_proxy (or nil).
function Transport.proxy_settings(opts, getenv)
  local function env(name)
    local v = getenv(name)
    return v ~= "" and v or nil
  end
  local proxy = opts.proxy
  if proxy == nil then
    proxy = env("HTTPS_PROXY") or env("https_proxy")
  end
  return proxy or "", opts.no_proxy or env("NO_PROXY") or env("no_proxy")
end

function Transport:close()
  local h = self.handle
  self.handle = nil
  if h then
    h:close()
  end
end

return Transport

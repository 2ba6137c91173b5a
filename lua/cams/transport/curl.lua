--- libcurl transport: one kept-alive cams.core.http handle per client, opened on first use.
--
-- Every transport has the same shape:
--   t:ready()                             -> true | nil, message (may a request go now?)
--   t:request(req, timeout, all_headers)  -> status, headers, body
--                                            | nil, code, message, sent
--   t:close()
-- `req` is a request object of cams.core.sign or cams.core.request, sent once; `timeout`
-- (seconds, optional) shortens the handle's; `headers` holds only x-acs-request-id unless
-- `all_headers`. On a failure `sent` says whether the request had started to go out (the
-- server may have acted on it).

local Transport = {}
Transport.__index = Transport

--- `settings`: connect_timeout, timeout (seconds), ca_file, proxy ("" for none), no_proxy.
function Transport.new(core, settings)
  return setmetatable({ core = core, settings = settings, handle = nil }, Transport)
end

function Transport.ready()
  return true
end

function Transport:request(req, timeout, all_headers)
  local h = self.handle
  if not h then
    local s = self.settings
    local ok, handle = pcall(self.core.http, {
      connect_timeout = s.connect_timeout, timeout = s.timeout, ca_file = s.ca_file,
      proxy = s.proxy, noproxy = s.no_proxy,
    })
    if not ok then
      return nil, "Transport.Error", tostring(handle)
    end
    self.handle, h = handle, handle
  end
  local ok, status, headers, body, sent = pcall(h.request, h, req, timeout, all_headers)
  if not ok then
    return nil, "Transport.Error", tostring(status), false
  end
  return status, headers, body, sent
end

function Transport:close()
  local h = self.handle
  self.handle = nil
  if h then
    h:close()
  end
end

return Transport

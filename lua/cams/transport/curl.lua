--- libcurl transport: one kept-alive cams.core.http handle per client, opened on first use.
--
-- Every transport has the same shape:
--   t:request{ method =, url =, headers =, body = } -> status, headers, body
--                                                    | nil, code, message
--   t:close()

local Transport = {}
Transport.__index = Transport

--- `settings`: connect_timeout, timeout (seconds), ca_file.
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

function Transport:close()
  local h = self.handle
  self.handle = nil
  if h then
    h:close()
  end
end

return Transport

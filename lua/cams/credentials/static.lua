--- Fixed credentials (options, environment, a profile's AccessKey).

local Static = {}
Static.__index = Static

local M = {}

--- `creds`: { access_key_id, access_key_secret, security_token }.
function M.new(creds, name)
  return setmetatable({ creds = creds, name = name }, Static)
end

function Static:get()
  return self.creds
end

function Static:peek()
  return self.creds
end

return M

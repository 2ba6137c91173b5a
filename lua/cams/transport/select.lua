--- Chooses the transport of each request from the client's `transport` option and where
-- the code runs:
--   "auto"  cosockets (cams.transport.ngx) inside nginx, libcurl outside nginx
--   "ngx"   cosockets only
--   "curl"  libcurl everywhere (inside nginx it blocks the worker for the whole exchange)
-- Inside nginx, in a phase without cosockets (init, init_worker, set, header_filter,
-- body_filter, log, balancer, ...), "auto" and "ngx" refuse rather than block.
--
-- Same shape as every transport, plus t:ready() -> true | nil, message and
-- t:takes_header_lines().
local clock = require "cams.clock"
local curl_transport = require "cams.transport.curl"

local M = {}

local Transport = {}
Transport.__index = Transport

--- `settings`: the client table (connect_timeout, timeout, ca_file).
function M.new(core, settings, mode)
  return setmetatable({ core = core, settings = settings, mode = mode or "auto" }, Transport)
end

local function phase_message(phase)
  return string.format("lua-cams cannot run in nginx's %s phase: cosockets are not available "
    .. "there and libcurl would block the worker; call it from a rewrite, access or content "
    .. "handler, or defer it with ngx.timer.at(0, function() ... end)", phase)
end

-- The transport for the current context, or nil and a message.
function Transport:pick()
  if self.mode == "curl" or (self.mode == "auto" and not clock.nginx()) then
    self.curl = self.curl or curl_transport.new(self.core, self.settings)
    return self.curl
  end
  local phase = clock.phase()
  if not phase then
    return nil, "transport 'ngx' needs nginx with the Lua module"
  end
  if not clock.YIELDING_PHASES[phase] then
    return nil, phase_message(phase)
  end
  if not self.ngx then
    self.ngx = require("cams.transport.ngx").new(self.settings)
  end
  return self.ngx
end

--- Whether a request may be made here and now.
function Transport:ready()
  local t, msg = self:pick()
  if not t then
    return nil, msg
  end
  return true
end

--- Whether the transport picked here takes signed headers as one string (header_lines).
function Transport:takes_header_lines()
  local t = self:pick()
  return t ~= nil and t.takes_header_lines == true
end

function Transport:request(req)
  local t, msg = self:pick()
  if not t then
    return nil, "NotSupported", msg
  end
  return t:request(req)
end

function Transport:close()
  if self.curl then
    self.curl:close()
  end
  if self.ngx then
    self.ngx:close()
  end
end

M.phase_message = phase_message

return M

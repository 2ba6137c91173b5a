--- The transport of a client, chosen once from its `transport` option and where it runs:
--   "auto"  cosockets (cams.transport.ngx) inside nginx, libcurl outside nginx
--   "ngx"   cosockets only
--   "curl"  libcurl everywhere (inside nginx it blocks the worker for the whole exchange)
-- Inside nginx the cosocket transport refuses, through ready(), the phases without
-- cosockets (init, init_worker, set, header_filter, body_filter, log, balancer, ...)
-- rather than block.
local clock = require "cams.clock"

local M = {}

--- `settings`: connect_timeout, timeout, ca_file, proxy, no_proxy; `mode` as above.
function M.new(core, settings, mode)
  if mode == "curl" or (mode ~= "ngx" and not clock.nginx()) then
    return require("cams.transport.curl").new(core, settings)
  end
  return require("cams.transport.ngx").new(settings)
end

return M

-- examples/nginx/nginx.conf as shipped, made to run here: on a free port, with the DNS
-- server of /etc/resolv.conf, trusting the mock's CA, and finding lua-cams and the
-- example's handler in this checkout. Used by the nginx spec and `make demo-nginx`.
--
--   local example = require "spec.support.nginx_example"
--   local app = example.start(m, { QRDL_CODE = "..." })   -- an app of spec.support.nginx
local mock = require "spec.support.mock"
local nginx = require "spec.support.nginx"

local M = {}

M.ROOT = mock.util.support_dir():gsub("/spec/support$", "")

local function nameserver()
  local conf = mock.util.read_file("/etc/resolv.conf") or ""
  return conf:match("\nnameserver%s+([%d.]+)") or conf:match("^nameserver%s+([%d.]+)")
    or "127.0.0.1"
end

--- The example's nginx.conf with its machine-specific settings filled in; ${PORT} is left
-- for spec.support.nginx. Raises when the example no longer has one of them.
function M.conf(ca_file)
  local root = M.ROOT
  local conf = assert(mock.util.read_file(root .. "/examples/nginx/nginx.conf"))
  local function sub(pattern, replacement)
    local n
    conf, n = conf:gsub(pattern, function() return replacement end)
    assert(n > 0, "examples/nginx/nginx.conf no longer has " .. pattern)
  end
  sub("listen 127%.0%.0%.1:8080;", "listen 127.0.0.1:${PORT};")
  sub("worker_processes auto;", "worker_processes 2;")
  sub("resolver 1%.1%.1%.1 8%.8%.8%.8", "resolver " .. nameserver())
  sub("/etc/ssl/certs/ca%-certificates%.crt", ca_file)
  sub('"%$prefix/%?%.lua;', '"' .. root .. "/examples/nginx/?.lua;")
  sub("%$prefix/%.%./%.%./", root .. "/")
  return conf
end

--- Starts the example against the mock `m` with test credentials; `env` adds variables.
function M.start(m, env)
  local e = { ALIBABA_CLOUD_ACCESS_KEY_ID = "testid", ALIBABA_CLOUD_ACCESS_KEY_SECRET =
    "testsecret", ALIBABA_CLOUD_ENDPOINT = m.endpoint }
  for k, v in pairs(env or {}) do e[k] = v end
  return nginx.start{ conf = M.conf(m.ca_file), env = e }
end

return M

-- Command-line launcher of the mock CAMS server.
--
--   lua5.4 spec/support/mock/run.lua [start] [--workers N] [--qps N]
--       starts the mock, prints MOCK_ENDPOINT=, MOCK_HTTP_ENDPOINT=, MOCK_CA_FILE=,
--       MOCK_PID=, MOCK_PREFIX= lines and exits, leaving nginx running
--   lua5.4 spec/support/mock/run.lua stop <prefix>
--       stops that mock and removes its directory
local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local root = here:match("^(.*)/spec/support/mock$")
  or (here == "spec/support/mock" and ".") or (here .. "/../../..")
package.path = root .. "/?.lua;" .. package.path

local mock = require "spec.support.mock"

local function usage()
  io.stderr:write("usage: run.lua [start] [--workers N] [--qps N]\n"
    .. "       run.lua stop <prefix>\n")
  os.exit(2)
end

local cmd = arg[1] or "start"
if cmd == "stop" then
  local prefix = arg[2]
  if not prefix then usage() end
  if not mock.stop_prefix(prefix) then
    io.stderr:write("run.lua: nginx did not stop\n")
    os.exit(1)
  end
  os.exit(0)
end

local opts, i = { watchdog = false }, cmd == "start" and 2 or 1
while arg[i] do
  local name, value = arg[i], arg[i + 1]
  if name == "--workers" and tonumber(value) then
    opts.workers = tonumber(value)
  elseif name == "--qps" and tonumber(value) then
    opts.qps = tonumber(value)
  else
    usage()
  end
  i = i + 2
end

local ok, m = pcall(mock.start, opts)
if not ok then
  io.stderr:write(tostring(m), "\n")
  os.exit(1)
end
print("MOCK_ENDPOINT=" .. m.endpoint)
print("MOCK_HTTP_ENDPOINT=" .. m.http_endpoint)
print("MOCK_CA_FILE=" .. m.ca_file)
print("MOCK_PID=" .. m.pid)
print("MOCK_PREFIX=" .. m.prefix)

--- Small helpers shared by the Lua benchmark scripts.
local socket = require "socket"

local M = {}

M.now = socket.gettime -- wall clock, microsecond resolution

--- CPU seconds another process has used, from /proc/<pid>/schedstat (nanoseconds); nil
-- if it is gone. For this process os.clock() does the same.
function M.cpu_seconds(pid)
  local f = io.open("/proc/" .. tostring(pid) .. "/schedstat", "rb")
  if not f then return nil end
  local ns = tonumber(f:read("*a"):match("^(%d+)"))
  f:close()
  return ns and ns / 1e9
end

--- Total CPU seconds of a list of pids.
function M.cpu_of(pids)
  local total = 0
  for _, pid in ipairs(pids or {}) do total = total + (M.cpu_seconds(pid) or 0) end
  return total
end

--- Resident set size in KiB, from /proc/self/status.
function M.rss_kib()
  local f = assert(io.open("/proc/self/status", "rb"))
  local status = f:read("*a")
  f:close()
  return tonumber(status:match("VmRSS:%s*(%d+)"))
end

--- Nearest-rank quantile of a list of numbers (q in [0, 1]); sorts a copy.
function M.quantile(list, q)
  local v = {}
  for i, x in ipairs(list) do v[i] = x end
  table.sort(v)
  if #v == 0 then return nil end
  local i = math.floor(q * #v + 0.5)
  if i < 1 then i = 1 end
  if i > #v then i = #v end
  return v[i]
end

function M.median(list) return M.quantile(list, 0.5) end

--- Prints "name value" lines, sorted by name, for the driver to read.
function M.report(results)
  local names = {}
  for k in pairs(results) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    local v = results[k]
    if type(v) == "number" then v = string.format("%.3f", v) end
    print(k .. " " .. tostring(v))
  end
end

--- Comma-separated list of numbers from a command-line argument.
function M.pids(arg)
  local out = {}
  for x in tostring(arg or ""):gmatch("%d+") do out[#out + 1] = tonumber(x) end
  return out
end

return M

-- Small helpers shared by the specs and the launchers in spec/support: text, tables,
-- files, temporary directories and shell commands. Plain Lua (5.1 to 5.4, LuaJIT).
--
--   local util = require "spec.support.util"
--   util.contains(s, part)     true when the string s holds part (plain text, no pattern)
--   util.merge(a, b)           a new table with the fields of a, then those of b (nil: none)
--   util.lines(s)              the non-empty lines of s (CR LF or LF)
--   util.q(s)                  s quoted for sh
--   util.run(cmd)              true when the command exits with 0
--   util.output(cmd)           what the command writes to stdout, as it is
--   util.capture(cmd)          the same without the trailing white space
--   util.read_file(path)       the file's bytes, or nil when it cannot be opened
--   util.write_file(path, s)   writes s (raises on failure)
--   util.exists(path)          true when the file can be opened
--   util.tmpdir(name)          a new directory $TMPDIR/cams-<name>.XXXXXX (default /tmp)
--   util.remove_tmpdir(path)   removes such a directory, and nothing else
local M = {}

function M.contains(s, part)
  return type(s) == "string" and s:find(part, 1, true) ~= nil
end

function M.merge(a, b)
  local out = {}
  for k, v in pairs(a or {}) do out[k] = v end
  for k, v in pairs(b or {}) do out[k] = v end
  return out
end

function M.lines(s)
  local out = {}
  for l in (s or ""):gmatch("[^\r\n]+") do out[#out + 1] = l end
  return out
end

function M.q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- os.execute -> boolean under Lua 5.1/LuaJIT (number) and 5.2+ (true/nil, how, code).
function M.run(cmd)
  local a, _, c = os.execute(cmd)
  if type(a) == "number" then return a == 0 end
  return a == true and (c == nil or c == 0)
end

function M.output(cmd)
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("*a")
  p:close()
  return out
end

function M.capture(cmd)
  return (M.output(cmd):gsub("%s+$", ""))
end

function M.read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

function M.write_file(path, s)
  local f = assert(io.open(path, "wb"))
  assert(f:write(s))
  f:close()
end

function M.exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local TMPDIR_NAME = "/cams%-[%w-]+%.%w+$"

function M.tmpdir(name)
  local tmp = os.getenv("TMPDIR")
  if not tmp or tmp == "" then tmp = "/tmp" end
  local dir = M.capture("mktemp -d " .. M.q(tmp .. "/cams-" .. name .. ".XXXXXX"))
  assert(dir:match(TMPDIR_NAME), "mktemp -d failed")
  return dir
end

function M.remove_tmpdir(path)
  if path and path:match(TMPDIR_NAME) then M.run("rm -rf " .. M.q(path)) end
end

return M

-- Temporary home directories for the credential specs: config.json, credentials files and
-- token files are written there, never in the real HOME.
--
--   local home = tmphome.new()            -- once per spec file (setup)
--   home:write(".aliyun/config.json", text, "644")   -- returns the absolute path
--   home:clear()                          -- removes the files written (after_each)
--   home:remove()                         -- removes the directory (teardown)
local util = require("spec.support.mock").util
local q, run = util.q, util.run

local tmphome = {}

local Home = {}
Home.__index = Home

function tmphome.new()
  local tmp = os.getenv("TMPDIR")
  if not tmp or tmp == "" then tmp = "/tmp" end
  local p = assert(io.popen("mktemp -d " .. q(tmp .. "/cams-home.XXXXXX")))
  local path = p:read("*l")
  p:close()
  assert(path and path:match("/cams%-home%.%w+$"), "mktemp failed")
  return setmetatable({ path = path, files = {}, dirs = { [path] = true } }, Home)
end

-- Writes `text` at `rel`, making directories as needed; `mode` (e.g. "644") sets the
-- permission bits, otherwise the umask decides. Returns the absolute path.
function Home:write(rel, text, mode)
  local full = self.path .. "/" .. rel
  local dir = full:match("^(.*)/[^/]*$")
  if not self.dirs[dir] then
    assert(run("mkdir -p " .. q(dir)))
    self.dirs[dir] = true
  end
  local f = assert(io.open(full, "wb"))
  assert(f:write(text))
  f:close()
  if mode then assert(run("chmod " .. mode .. " " .. q(full))) end
  self.files[full] = true
  return full
end

function Home:clear()
  for full in pairs(self.files) do os.remove(full) end
  self.files = {}
end

function Home:remove()
  if self.path:match("/cams%-home%.%w+$") then run("rm -rf " .. q(self.path)) end
end

return tmphome

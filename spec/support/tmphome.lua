-- Temporary home directories for the credential specs: config.json, credentials files and
-- token files are written there, never in the real HOME.
--
--   local home = tmphome.new()            -- once per spec file (setup)
--   home:write(".aliyun/config.json", text, "644")   -- returns the absolute path
--   home:clear()                          -- removes the files written (after_each)
--   home:remove()                         -- removes the directory (teardown)
local util = require "spec.support.util"
local q, run = util.q, util.run

local tmphome = {}

local Home = {}
Home.__index = Home

function tmphome.new()
  local path = util.tmpdir("home")
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
  util.write_file(full, text)
  if mode then assert(run("chmod " .. mode .. " " .. q(full))) end
  self.files[full] = true
  return full
end

function Home:clear()
  for full in pairs(self.files) do os.remove(full) end
  self.files = {}
end

function Home:remove()
  util.remove_tmpdir(self.path)
end

return tmphome

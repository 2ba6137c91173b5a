-- Fresh copies of the lua-cams modules, for specs that stand something in for a piece of
-- them (a fake cams.core, a stand-in ngx): every cams.* module is loaded again, after the
-- replacements are in place, and restore() puts the originals back.
--
--   local fresh = require "spec.support.fresh"
--   local cams = fresh.load{ ["cams.core"] = fake }   -- in before_each
--   fresh.restore()                                    -- in after_each / teardown
local M = {}

local saved -- the originals, kept from the first load until restore

local function ours(name)
  return name == "cams" or name:sub(1, 5) == "cams."
end

local function unload()
  for name in pairs(package.loaded) do
    if ours(name) then package.loaded[name] = nil end
  end
end

--- Unloads every cams module, installs `replacements` (module name -> value) and returns a
-- fresh require "cams".
function M.load(replacements)
  if not saved then
    saved = {}
    for name, mod in pairs(package.loaded) do
      if ours(name) then saved[name] = mod end
    end
  end
  unload()
  for name, mod in pairs(replacements or {}) do package.loaded[name] = mod end
  return require "cams"
end

--- The original module `name` (the real C core, say) while replacements are in place.
function M.original(name)
  return (saved and saved[name]) or require(name)
end

function M.restore()
  if not saved then return end
  unload()
  for name, mod in pairs(saved) do package.loaded[name] = mod end
  saved = nil
end

return M

-- The rockspecs describe what the repository builds: every Lua module, the C sources of
-- the Makefile, the version of the library; the release and scm rockspecs differ only in
-- their version and tag.
local cams = require "cams"
local util = require "spec.support.util"

-- The bytes of a file of the repository, which must be there.
local function read(path)
  return assert(util.read_file(path), path .. " is missing")
end

local function load_rockspec(path)
  local env = {}
  local chunk
  if setfenv then -- Lua 5.1
    chunk = assert(loadstring(read(path), "=" .. path))
    setfenv(chunk, env)
  else
    chunk = assert(load(read(path), "=" .. path, "t", env))
  end
  chunk()
  return env
end

local function lines(cmd)
  return util.lines(util.output(cmd))
end

local function strip_version(t)
  local copy = {}
  for k, v in pairs(t) do copy[k] = v end
  copy.version = nil
  copy.source = { url = t.source.url }
  return copy
end

describe("rockspecs", function()
  local release_path = "rockspec/lua-cams-" .. cams.VERSION .. "-1.rockspec"
  local scm = load_rockspec("rockspec/lua-cams-scm-1.rockspec")
  local release = load_rockspec(release_path)

  it("release the library's version, from its tag", function()
    assert.equals(cams.VERSION .. "-1", release.version)
    assert.equals("v" .. cams.VERSION, release.source.tag)
    assert.truthy(read("CHANGELOG.md"):find("## [" .. cams.VERSION .. "]", 1, true))
  end)

  it("differ only in version and tag", function()
    assert.same(strip_version(scm), strip_version(release))
  end)

  it("install every Lua module of lua/ and nothing else", function()
    local expected = {}
    for _, file in ipairs(lines("find lua -name '*.lua' | sort")) do
      local name = file:gsub("^lua/", ""):gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", ".")
      expected[name] = file
    end
    local listed = {}
    for name, v in pairs(scm.build.modules) do
      if type(v) == "string" then listed[name] = v end
    end
    assert.same(expected, listed)
  end)

  it("build the core from the Makefile's C sources", function()
    local srcs = read("Makefile"):gsub("\\\n", " "):match("\nSRCS%s*:=%s*([^\n]+)")
    local make = {}
    for f in srcs:gmatch("%S+") do make[#make + 1] = f end
    local rock = {}
    for _, f in ipairs(scm.build.modules["cams.core"].sources) do rock[#rock + 1] = f end
    table.sort(make)
    table.sort(rock)
    assert.same(make, rock)
  end)
end)

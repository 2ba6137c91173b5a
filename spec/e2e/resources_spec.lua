-- File descriptors: clients dropped without close() must not exhaust a low descriptor
-- limit (each holds a libcurl handle and its connection until collected), and running
-- out must be named as such. Runs a child interpreter (the one running this suite) under
-- `ulimit -n`.
local mock_client = require "spec.support.mock_client"
local util = require "spec.support.util"

local VERSION = _VERSION:match("%d+%.%d+")
local LUA = rawget(_G, "jit") and "luajit" or ("lua" .. VERSION)
-- the child loads the plain build, as bin/cams does (not a sanitizer build of this run)
local CPATH = ((rawget(_G, "jit") or VERSION == "5.1") and "build/luajit" or ("build/" .. VERSION))
  .. "/?.so;;"

-- One client per call, never closed, `n` calls; prints "ok <n> failed <n> <first error>".
local SCRIPT = [[
local cams = require "cams"
local n, ok, failed, first = tonumber(arg[1]), 0, 0, nil
for _ = 1, n do
  local c, err = cams.new{ qps = false, retries = 0 }
  local codes
  if c then codes, err = c:list_qrdl{ phone_number = "8615800000000" } end
  if codes then ok = ok + 1 else failed = failed + 1; first = first or tostring(err) end
end
print(("ok %d failed %d %s"):format(ok, failed, first or ""))
]]

describe("file descriptors", function()
  local m, _, options = mock_client.use(nil, { keep_codes = true })

  local function run(limit, n, script)
    local dir = util.tmpdir("fds")
    util.write_file(dir .. "/calls.lua", script or SCRIPT)
    local env = { util.q("LUA_CPATH=" .. CPATH) }
    for k, v in pairs(mock_client.environment(m)) do
      env[#env + 1] = util.q(k .. "=" .. v)
    end
    local out = util.output(("ulimit -n %d && env %s %s %s %d 2>&1"):format(limit,
      table.concat(env, " "), LUA, util.q(dir .. "/calls.lua"), n))
    util.remove_tmpdir(dir)
    return out
  end

  it("of a client dropped without close() are given back once it is collected", function()
    local cams = require "cams"
    local weak = setmetatable({}, { __mode = "v" })
    weak[1] = assert(cams.new(options()))
    assert(weak[1]:list_qrdl{ phone_number = "8615800000000" })
    collectgarbage()
    collectgarbage()
    assert.is_nil(weak[1]) -- nothing of the library keeps it alive
  end)

  it("are given back by clients dropped without close(), under ulimit -n 64", function()
    local out = run(64, 200)
    assert.matches("^ok 200 failed 0", out)
  end)

  it("that run out are reported as too many open files", function()
    -- every client kept: the limit is reached for certain
    local out = run(32, 40, SCRIPT:gsub("local c, err", "KEEP = KEEP or {}\n  local c, err")
      :gsub("local codes\n", "KEEP[#KEEP + 1] = c\n  local codes\n"))
    local failed = tonumber(out:match("failed (%d+)"))
    assert.is_true(failed and failed > 0, out)
    assert.matches("Transport.Error: too many open files", out, 1, true)
  end)
end)

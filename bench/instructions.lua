--- Instructions per call, counted by callgrind (the same for the same binaries and inputs,
-- however loaded the machine is), and where they go: the bare libcurl loop against one
-- update_qrdl of lua-cams under Lua 5.4 and LuaJIT, split into the C transport
-- (cams.core.http), signing (cams.core.sign), JSON decoding (lua-cjson), the text checks
-- (cams.core.check_texts) and the rest (the Lua code of the call path and the VM).
--
--   lua5.4 bench/instructions.lua HTTP_ENDPOINT   (from the repository root)
-- prints "name value" lines. Each figure is the difference between a run of N2 and one of
-- N1 calls divided by N2 - N1, so that start-up cancels out. OpenSSL runs without its SHA
-- extensions under valgrind: the signing figure is higher than on the bare CPU.
local lib = require "lib"

local endpoint = assert(arg[1], "usage: bench/instructions.lua HTTP_ENDPOINT")
local N1, N2 = 200, 1200

local function q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function capture(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  p:close()
  return out
end

-- Inclusive and self instruction counts of a callgrind run: { total =, incl = {fn = n},
-- self_by_object = {object = n} }.
local function profile(env, cmd)
  local file = os.tmpname()
  os.execute(env .. "valgrind --tool=callgrind --callgrind-out-file=" .. q(file) .. " " .. cmd
    .. " >/dev/null 2>&1")
  local out = { incl = {}, incl_by_object = {} }
  local incl = capture("callgrind_annotate --threshold=100 --inclusive=yes " .. q(file)
    .. " 2>/dev/null")
  for n, fn, object in incl:gmatch("\n%s*([%d,]+) %([^)]*%)%s+%S-:([%w_]+)'?%d* %[([^%]]+)%]") do
    n = tonumber((n:gsub(",", "")))
    object = object:match("([^/]+)$")
    if not out.incl[fn] or n > out.incl[fn] then out.incl[fn] = n end
    -- the largest inclusive count of an object's functions: the cost of calling into it
    if not out.incl_by_object[object] or n > out.incl_by_object[object] then
      out.incl_by_object[object] = n
    end
  end
  out.total = tonumber((incl:match("([%d,]+) %([^)]*%)%s+PROGRAM TOTALS") or "0"):gsub(",", ""), 10)
  os.remove(file)
  return out
end

-- lua-cjson decoding, with the Lua API calls it makes to build the table.
local function cjson_incl(p)
  local n = 0
  for object, v in pairs(p.incl_by_object) do
    if object:find("cjson", 1, true) and v > n then n = v end
  end
  return n
end

local function per_call(env, make_cmd, parts)
  local a, b = profile(env, make_cmd(N1)), profile(env, make_cmd(N2))
  local out = { total = (b.total - a.total) / (N2 - N1) }
  for name, get in pairs(parts or {}) do
    out[name] = ((get(b) or 0) - (get(a) or 0)) / (N2 - N1)
  end
  return out
end

local report = {}
local curl = per_call("", function(n)
  return string.format("build/bench/curl_loop %s - %d 0", q(endpoint .. "/"), n)
end)
report.curl_ir = curl.total

for _, l in ipairs{ { key = "lua54", cmd = "lua5.4", cpath = "build/5.4/?.so" },
    { key = "luajit", cmd = "luajit", cpath = "build/luajit/?.so" } } do
  local env = string.format("LUA_PATH='bench/?.lua;lua/?.lua;;' LUA_CPATH=%s ", q(l.cpath .. ";;"))
  local r = per_call(env, function(n)
    return string.format("%s bench/e2e.lua %s - %d 0 '' v3", l.cmd, q(endpoint), n)
  end, {
    transport = function(p) return p.incl.l_http_request end,
    sign = function(p) return p.incl.l_sign end,
    checks = function(p) return p.incl.l_check_texts end,
    json = cjson_incl,
  })
  report[l.key .. "_ir"] = r.total
  report[l.key .. "_transport_ir"] = r.transport
  report[l.key .. "_sign_ir"] = r.sign
  report[l.key .. "_json_ir"] = r.json
  report[l.key .. "_checks_ir"] = r.checks
  report[l.key .. "_rest_ir"] = r.total - r.transport - r.sign - r.json - r.checks
end

lib.report(report)

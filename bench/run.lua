--- `make bench`: runs every benchmark in one go and prints one Markdown report (also
-- written to build/bench/report.md).
--
--   lua5.4 bench/run.lua    (from the repository root; `make bench` builds what it needs)
--
-- Each round runs every measurement once, briefly and one right after the other (in an
-- order rotated from round to round), so that a noisy moment on a shared machine tends to
-- hit all of them; the report gives medians over many rounds, and every ratio is taken
-- within a round before its median is taken.
-- Environment: BENCH_SIGN_ROUNDS (7), BENCH_ROUNDS (25 end-to-end rounds), BENCH_CALLS
-- (500 sequential calls per client, protocol and round), BENCH_NODE_CALLS (200),
-- BENCH_MEMORY_CALLS (10000), BENCH_REDIS_ROUNDS (7), BENCH_REDIS_CALLS (5000 reservations
-- per client and round), BENCH_NODE=0 or BENCH_VALGRIND=0 to leave those parts out.
package.path = "./?.lua;bench/?.lua;" .. package.path

local mock = require "spec.support.mock"
local nginx = require "spec.support.nginx"
local redis = require "spec.support.redis"
local request = require "request"
local lib = require "lib"

local function env_number(name, default)
  return tonumber(os.getenv(name) or "") or default
end

local SIGN_ROUNDS = env_number("BENCH_SIGN_ROUNDS", 7)
local ROUNDS = env_number("BENCH_ROUNDS", 25)
local CALLS = env_number("BENCH_CALLS", 500)
local NODE_CALLS = env_number("BENCH_NODE_CALLS", 200)
local MEMORY_CALLS = env_number("BENCH_MEMORY_CALLS", 10000)
local REDIS_ROUNDS = env_number("BENCH_REDIS_ROUNDS", 7)
local REDIS_CALLS = env_number("BENCH_REDIS_CALLS", 5000)
local WARMUP = 200 -- calls before the timed ones: connection, TLS session, JIT
local NODE_WARMUP = 100
local CONCURRENCY = 16
local ALLOC_CALLS = { 200, 1200 } -- two run lengths; the difference is per call

local BIN = "build/bench"
local LUAS = {
  { name = "Lua 5.4", cmd = "lua5.4", cpath = "build/5.4/?.so" },
  { name = "LuaJIT", cmd = "luajit", cpath = "build/luajit/?.so" },
}

---------------------------------------------------------------------------------------
-- Running programs

local function q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function capture(cmd)
  local p = assert(io.popen(cmd .. " 2>&1", "r"))
  local out = p:read("*a")
  local ok, _, code = p:close()
  if type(ok) == "number" then ok, code = ok == 0, ok end -- LuaJIT
  return out, ok and (code == nil or code == 0)
end

local function have(cmd)
  local _, ok = capture("command -v " .. q(cmd) .. " >/dev/null")
  return ok
end

local function lua_env(l)
  return "LUA_PATH=" .. q("lua/?.lua;lua/?/init.lua;bench/?.lua;;") .. " LUA_CPATH="
    .. q(l.cpath .. ";;") .. " "
end

-- Runs a benchmark program and returns its "name value" lines as a table.
local function measure(cmd)
  local out, ok = capture(cmd)
  if not ok then
    io.stderr:write("bench: command failed: ", cmd, "\n", out, "\n")
    os.exit(1)
  end
  local t = {}
  for name, value in out:gmatch("([%w_]+) (%-?[%d.]+)\n") do t[name] = tonumber(value) end
  return t
end

local function log(...)
  io.stderr:write(string.format(...), "\n")
end

---------------------------------------------------------------------------------------
-- Collecting results: results[key][metric] = list of values, one per round

local results = {}

local function record(key, t)
  local r = results[key] or {}
  results[key] = r
  for metric, v in pairs(t) do
    r[metric] = r[metric] or {}
    table.insert(r[metric], v)
  end
end

local function med(key, metric)
  local r = results[key]
  return r and r[metric] and lib.median(r[metric])
end

-- The highest value over the rounds: for throughput, the round least disturbed by other
-- work on the machine (which only ever slows a run down).
local function best(key, metric)
  local r = results[key]
  return r and r[metric] and math.max(table.unpack(r[metric]))
end

-- Median over rounds of f(a, b), a and b measured in the same round (ratios, differences);
-- also the smallest and largest of the rounds.
local function med_ratio(a_key, a_metric, b_key, b_metric, f)
  local a, b = results[a_key], results[b_key]
  if not (a and b and a[a_metric] and b[b_metric]) then return nil end
  local v = {}
  for i = 1, math.min(#a[a_metric], #b[b_metric]) do
    v[i] = f(a[a_metric][i], b[b_metric][i])
  end
  return lib.median(v), math.min(table.unpack(v)), math.max(table.unpack(v))
end

---------------------------------------------------------------------------------------
-- Machine and versions

local function first_line(cmd)
  local out = capture(cmd)
  return ((out:match("[^\n]*") or ""):gsub("%s+$", ""))
end

-- With two cores or more, the server gets core 0 and every single-threaded client core 1:
-- the two sides of a call never compete for a core, and nothing migrates between them.
-- Node.js is left free: its garbage collector and I/O threads would otherwise share one
-- core with its main thread (nginx needs little CPU at Node's call rate).
local PINNED = have("taskset") and (tonumber(first_line("nproc")) or 1) >= 2
local PIN = PINNED and "taskset -c 1 " or ""

local function package_version(name)
  local f = io.open("bench/node_modules/" .. name .. "/package.json", "rb")
  if not f then return nil end
  local v = f:read("*a"):match('"version"%s*:%s*"([^"]+)"')
  f:close()
  return v
end

local function machine()
  local cpu = first_line("grep -m1 'model name' /proc/cpuinfo"):gsub("^model name%s*:%s*", "")
  return {
    { "date", os.date("!%Y-%m-%d %H:%M UTC") },
    { "nproc", first_line("nproc") },
    { "CPU", cpu },
    { "kernel", first_line("uname -sr") },
    { "compiler", first_line("cc --version") },
    { "OpenSSL", first_line("openssl version") },
    { "libcurl", first_line("pkg-config --modversion libcurl") },
    { "nginx", (first_line("nginx -v"):gsub("^nginx version: ", "")) },
    { "Redis", first_line(redis.SERVER .. " --version"):match("v=(%S+)") or "?" },
    { "Lua", first_line("lua5.4 -v") },
    { "LuaJIT", first_line("luajit -v") },
    { "lua-cjson", first_line("dpkg-query -W -f='${Version}' lua-cjson") },
    { "Node.js", have("node") and first_line("node --version") or "not installed" },
    { "Node SDK", package_version("@alicloud/cams20200606") and string.format(
      "@alicloud/cams20200606 %s, @alicloud/openapi-client %s, @alicloud/openapi-util %s",
      package_version("@alicloud/cams20200606"), package_version("@alicloud/openapi-client"),
      package_version("@alicloud/openapi-util")) or "not installed" },
    { "load average at start", first_line("cat /proc/loadavg") },
    { "CPU pinning", PINNED and "nginx worker on CPU 0, the C and Lua clients on CPU 1 "
      .. "(taskset); Node.js unpinned" or "none" },
  }
end

---------------------------------------------------------------------------------------
-- Mock servers

-- The benchmark server: the mock's nginx, with POST / answered by a static location that
-- returns the documented success body, so that nginx's Lua signature check is not what
-- is measured.
local function static_server_config()
  return table.concat({
    "    keepalive_requests 1000000;",
    "    location = / {",
    "      access_log off;",
    "      return 200 '" .. request.RESPONSE .. "';",
    "    }",
  }, "\n") .. "\n"
end

-- Worker processes of an nginx master, for the server CPU column.
local function children_of(pid)
  local out = {}
  for p in capture("cd /proc && echo [0-9]*"):gmatch("%d+") do
    local f = io.open("/proc/" .. p .. "/stat", "rb")
    local stat = f and f:read("*a")
    if f then f:close() end
    local ppid = stat and stat:match("%) %S+ (%d+)")
    if ppid and tonumber(ppid) == tonumber(pid) then out[#out + 1] = p end
  end
  return table.concat(out, ",")
end

---------------------------------------------------------------------------------------
-- The benchmark commands

local node_ok, node_why = true, nil
if os.getenv("BENCH_NODE") == "0" then
  node_ok, node_why = false, "BENCH_NODE=0"
elseif not have("node") then
  node_ok, node_why = false, "node is not installed"
elseif not package_version("@alicloud/cams20200606") then
  node_ok, node_why = false, "bench/node_modules is missing (npm could not install the SDK)"
end

local valgrind_ok = os.getenv("BENCH_VALGRIND") ~= "0" and have("valgrind")


-- Runs the jobs {key, command} in an order rotated by the round number, so that no
-- client always comes first (or right after the heaviest one).
local function run_rotated(jobs, round)
  for i = 1, #jobs do
    local job = jobs[(i + round - 2) % #jobs + 1]
    record(job[1], measure(job[2]))
  end
end

local function sign_jobs()
  local jobs = { { "c_sign", PIN .. BIN .. "/sign_bench 1" } }
  for _, l in ipairs(LUAS) do
    jobs[#jobs + 1] = { "sign " .. l.name, lua_env(l) .. PIN .. l.cmd .. " bench/sign.lua 1" }
  end
  if node_ok then jobs[#jobs + 1] = { "sign node", "node bench/sdk.js sign 1" } end
  return jobs
end

local function e2e_jobs(proto, server, pids)
  local url = proto == "https" and server.endpoint or server.http_endpoint
  local ca = proto == "https" and server.ca_file or "-"
  local jobs = { { proto .. " curl", string.format("%s%s/curl_loop %s %s %d %d %s", PIN, BIN,
    q(url .. "/"), q(ca), CALLS, WARMUP, pids) } }
  local function lua_job(key, l, mode)
    jobs[#jobs + 1] = { key, string.format("%s%s%s bench/e2e.lua %s %s %d %d %s %s", lua_env(l),
      PIN, l.cmd, q(url), q(ca), CALLS, WARMUP, pids, mode) }
  end
  lua_job(proto .. " transport", LUAS[1], "transport")
  for _, l in ipairs(LUAS) do lua_job(proto .. " " .. l.name, l, "v3") end
  if node_ok then
    local extra = proto == "https" and ("NODE_EXTRA_CA_CERTS=" .. q(server.ca_file) .. " ") or ""
    for _, c in ipairs{ 1, CONCURRENCY } do
      jobs[#jobs + 1] = { proto .. " node c" .. c, string.format(
        "%snode bench/sdk.js calls %s %s %d %d %d %s", extra, q(url), proto, NODE_CALLS,
        NODE_WARMUP, c, pids) }
    end
  end
  return jobs
end

-- Every client signs a request that an independent verifier accepts: one call each
-- against the mock's real handler (signature V3 and V2 checked with luaossl).
local function verify_clients()
  -- the verifier learns the benchmark's AccessKey in each worker
  local m = mock.start{ http_config = string.format(
    "  init_worker_by_lua_block { require('mock.verify').CREDENTIALS['%s'] = { secret = '%s' } }",
    request.ACCESS_KEY_ID, request.ACCESS_KEY_SECRET) }
  local ok, err = pcall(function()
    m:keep_codes(true) -- every client updates the same code
    for _, l in ipairs(LUAS) do
      for _, sig in ipairs{ "v3", "v2" } do
        measure(string.format("%s%s bench/e2e.lua %s %s 1 0 '' %s", lua_env(l), l.cmd,
          q(m.endpoint), q(m.ca_file), sig))
      end
    end
    measure(string.format("%s/curl_loop %s %s 1 0", BIN, q(m.endpoint .. "/"), q(m.ca_file)))
    if node_ok then
      measure(string.format("NODE_EXTRA_CA_CERTS=%s node bench/sdk.js calls %s https 1 0 1",
        q(m.ca_file), q(m.endpoint)))
    end
    local expected = #LUAS * 2 + 1 + (node_ok and 1 or 0)
    local list = m:requests()
    assert(#list == expected, string.format("the verifier saw %d requests, expected %d",
      #list, expected))
    for _, r in ipairs(list) do
      assert(r.status == 200 and r.code == "OK", string.format(
        "the verifier refused a request: %s %s", tostring(r.status), tostring(r.code)))
    end
  end)
  m:stop()
  if not ok then
    io.stderr:write("bench: ", tostring(err), "\n")
    os.exit(1)
  end
end

-- env: variable assignments for the command, cmd: the program and its arguments.
local function heap_allocs(env, cmd)
  local out, ok = capture(env .. "valgrind --tool=memcheck --leak-check=no " .. cmd)
  local n = out:match("total heap usage: ([%d,]+) allocs")
  if not ok or not n then
    io.stderr:write("bench: valgrind run failed: ", cmd, "\n", out, "\n")
    os.exit(1)
  end
  return tonumber((n:gsub(",", "")))
end

local function allocs_per_call(env, make_cmd)
  local a = heap_allocs(env, make_cmd(ALLOC_CALLS[1]))
  local b = heap_allocs(env, make_cmd(ALLOC_CALLS[2]))
  return (b - a) / (ALLOC_CALLS[2] - ALLOC_CALLS[1])
end

-- Reservations through Redis (bench/redis_reserve.lua): in a Lua 5.4 and a LuaJIT process
-- (LuaSocket) and in one nginx worker (cosockets), rounds rotated like the others.
local function redis_bench()
  local r = redis.start()
  local app
  local ok, err = pcall(function()
    app = nginx.start{ server_config = "location = /reserve { content_by_lua_block { "
      .. "require('bench.redis_reserve').nginx() } }" }
    local jobs = {}
    for _, l in ipairs(LUAS) do
      jobs[#jobs + 1] = { "redis " .. l.name, string.format("%s%s%s bench/redis_reserve.lua %s %d",
        lua_env(l), PIN, l.cmd, q(r.url), REDIS_CALLS) }
    end
    jobs[#jobs + 1] = { "redis nginx", string.format("curl -sS --max-time 120 %s",
      q(app.url .. "/reserve?url=" .. r.url .. "&n=" .. REDIS_CALLS)) }
    for round = 1, REDIS_ROUNDS do
      log("bench: reservations through Redis, round %d of %d", round, REDIS_ROUNDS)
      run_rotated(jobs, round)
    end
  end)
  if app then app:stop() end
  r:stop()
  if not ok then
    io.stderr:write("bench: ", tostring(err), "\n")
    os.exit(1)
  end
end

---------------------------------------------------------------------------------------
-- Report

local function fmt(v, digits)
  if v == nil then return "–" end
  return string.format("%." .. (digits or 1) .. "f", v)
end

local function signed(v, digits)
  if v == nil then return "–" end
  return string.format("%+." .. (digits or 1) .. "f", v)
end

local function goal(v, ok)
  if v == nil then return "–" end
  return ok and "met" or "**not met**"
end

local function print_report(info)
  local out = {}
  local function say(...) out[#out + 1] = string.format(...) end

  say("## lua-cams benchmark report")
  say("")
  say("Command: `make bench`: %d signing rounds; %d end-to-end rounds of %d sequential "
    .. "calls per client and protocol (%d for the Node SDK) after %d warm-up calls (%d); "
    .. "medians over the rounds.", SIGN_ROUNDS, ROUNDS, CALLS, NODE_CALLS, WARMUP, NODE_WARMUP)
  say("")
  say("| | |")
  say("|---|---|")
  for _, kv in ipairs(info) do say("| %s | %s |", kv[1], kv[2]) end
  say("")

  local body = med("c_sign", "v3_body_bytes")
  say("### 1. Signing one UpdatePhoneMessageQrdl request (µs per request)")
  say("")
  say("Form body %s bytes, V3 canonical request %s bytes, V3 string to sign %s bytes, "
    .. "V2 string to sign %s bytes.", fmt(body, 0), fmt(med("c_sign", "v3_canonical_bytes"), 0),
    fmt(med("c_sign", "v3_string_to_sign_bytes"), 0),
    fmt(med("c_sign", "v2_string_to_sign_bytes"), 0))
  say("")
  say("| what | V3 | V2 |")
  say("|---|---:|---:|")
  say("| C API: `cams_sign` (src/sign.c), date, nonce, body, headers, signature | %s | %s |",
    fmt(med("c_sign", "c_sign_v3_us"), 2), fmt(med("c_sign", "c_sign_v2_us"), 2))
  say("| primitives only: V3 2×SHA-256 + HMAC-SHA256, V2 HMAC-SHA1 (OpenSSL, contexts reused) "
    .. "| %s | %s |", fmt(med("c_sign", "c_prim_v3_us"), 2), fmt(med("c_sign", "c_prim_v2_us"), 2))
  say("| **ratio signer / primitives** (goal for V3: ≤ 2) | **%s** | %s |",
    fmt(med("c_sign", "c_ratio_v3"), 2), fmt(med("c_sign", "c_ratio_v2"), 2))
  say("| the same primitives through OpenSSL one-shot calls (`EVP_Digest`, `HMAC`) | %s | |",
    fmt(med("c_sign", "c_oneshot_v3_us"), 2))
  for _, l in ipairs(LUAS) do
    say("| %s: `cams.core.sign{...}` as lua/cams.lua calls it | %s | %s |", l.name,
      fmt(med("sign " .. l.name, "sign_v3_us"), 2), fmt(med("sign " .. l.name, "sign_v2_us"), 2))
  end
  for _, l in ipairs(LUAS) do
    say("| %s: `client:update_qrdl{...}`, whole path, network replaced by a canned response "
      .. "| %s | %s |", l.name, fmt(med("sign " .. l.name, "client_v3_us"), 2),
      fmt(med("sign " .. l.name, "client_v2_us"), 2))
  end
  local sdk_ratio = {}
  if node_ok then
    say("| Node SDK: timestamp, nonce, `toForm`, body hash, `getAuthorization` | %s | |",
      fmt(med("sign node", "sdk_sign_us"), 2))
    sdk_ratio = { med_ratio("sign node", "sdk_sign_us", "sign Lua 5.4", "sign_v3_us",
      function(a, b) return a / b end) }
    say("| **Node SDK signing step / Lua 5.4 `cams.core.sign`** (goal: ≥ 5) | **%s** | |",
      fmt(sdk_ratio[1], 1))
  end
  say("")

  say("### 2. End to end: sequential calls on one kept-alive connection")
  say("")
  say("Server: the mock's nginx (1 worker) with a static location returning the documented "
    .. "success body. Time per call is compared with the bare libcurl loop sending the "
    .. "same pre-signed bytes (goal: < 15 %% more), as the median of the per-round ratios and "
    .. "from the best round of each (the least disturbed by other work on the machine). "
    .. "Client CPU: CPU time of the client process per call; server CPU: nginx worker, %% of "
    .. "one core.")
  say("")
  say("| protocol | client | calls/s (best round) | p50 µs | p99 µs | client CPU µs/call "
    .. "| server CPU %% | time per call vs bare libcurl | best rounds | client CPU vs bare, "
    .. "µs/call |")
  say("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
  local overhead = {}
  for _, proto in ipairs{ "http", "https" } do
    local rows = { { "bare libcurl loop (C)", proto .. " curl" },
      { "lua-cams transport alone: `cams.core.http` handle, pre-signed request (Lua 5.4)",
        proto .. " transport" } }
    for _, l in ipairs(LUAS) do rows[#rows + 1] = { "lua-cams, " .. l.name, proto .. " " .. l.name } end
    if node_ok then
      rows[#rows + 1] = { "Node SDK, sequential", proto .. " node c1" }
      rows[#rows + 1] = { "Node SDK, concurrency " .. CONCURRENCY, proto .. " node c" .. CONCURRENCY }
    end
    for _, row in ipairs(rows) do
      local key = row[2]
      local ov_all = { med_ratio(proto .. " curl", "calls_per_s", key, "calls_per_s",
        function(a, b) return (a / b - 1) * 100 end) }
      local ov = ov_all[1]
      local extra_cpu = med_ratio(proto .. " curl", "client_cpu_us", key, "client_cpu_us",
        function(a, b) return b - a end)
      local extra_us = med_ratio(proto .. " curl", "calls_per_s", key, "calls_per_s",
        function(a, b) return 1e6 / b - 1e6 / a end)
      local b_bare, b_this = best(proto .. " curl", "calls_per_s"), best(key, "calls_per_s")
      ov_all.best = b_bare and b_this and (b_bare / b_this - 1) * 100
      overhead[key] = ov_all
      local base = key == proto .. " curl"
      say("| %s | %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s |", proto:upper(), row[1],
        fmt(med(key, "calls_per_s"), 0), fmt(b_this, 0), fmt(med(key, "p50_us"), 0),
        fmt(med(key, "p99_us"), 0), fmt(med(key, "client_cpu_us"), 1),
        fmt(med(key, "server_cpu_pct"), 0),
        base and "–" or string.format("%s %% (%s µs)", signed(ov), signed(extra_us, 0)),
        base and "–" or (signed(ov_all.best) .. " %"), base and "–" or signed(extra_cpu))
    end
  end
  local node_ratio = {}
  if node_ok then
    say("")
    say("| protocol | lua-cams (Lua 5.4) calls/s ÷ Node SDK sequential calls/s (goal: ≥ 5) "
      .. "| best rounds | ÷ Node SDK with concurrency %d |", CONCURRENCY)
    say("|---|---:|---:|---:|")
    for _, proto in ipairs{ "http", "https" } do
      local function ratio(node_key)
        local r = { med_ratio(proto .. " Lua 5.4", "calls_per_s", node_key, "calls_per_s",
          function(a, b) return a / b end) }
        local b_lua, b_node = best(proto .. " Lua 5.4", "calls_per_s"), best(node_key, "calls_per_s")
        r.best = b_lua and b_node and b_lua / b_node
        return r
      end
      node_ratio[proto] = ratio(proto .. " node c1")
      say("| %s | %s | %s | %s |", proto:upper(), fmt(node_ratio[proto][1], 1),
        fmt(node_ratio[proto].best, 1), fmt(ratio(proto .. " node c" .. CONCURRENCY)[1], 1))
    end
  end
  say("")

  if info.ir then
    local ir = info.ir
    say("Instructions per call, counted by callgrind (`bench/instructions.lua`: the same for "
      .. "the same binaries whatever the load; a %s-call run minus a shorter one), over plain "
      .. "HTTP, and where they go. Under valgrind OpenSSL computes SHA-256 without the CPU's "
      .. "SHA extensions, so signing weighs more here than on the bare CPU (see section 1).",
      "1,200")
    say("")
    say("| | instructions per call | × bare libcurl | transport (`cams.core.http`) | signing "
      .. "(`cams.core.sign`) | JSON decoding (lua-cjson) | text checks | the rest: Lua code "
      .. "of the call path |")
    say("|---|---:|---:|---:|---:|---:|---:|---:|")
    say("| bare libcurl loop (C) | %s | 1.00 | %s | – | – | – | – |", fmt(ir.curl_ir, 0),
      fmt(ir.curl_ir, 0))
    for _, l in ipairs{ { "Lua 5.4", "lua54" }, { "LuaJIT", "luajit" } } do
      local k = l[2]
      say("| lua-cams, %s | %s | %s | %s | %s | %s | %s | %s |", l[1], fmt(ir[k .. "_ir"], 0),
        fmt(ir[k .. "_ir"] / ir.curl_ir, 2), fmt(ir[k .. "_transport_ir"], 0),
        fmt(ir[k .. "_sign_ir"], 0), fmt(ir[k .. "_json_ir"], 0), fmt(ir[k .. "_checks_ir"], 0),
        fmt(ir[k .. "_rest_ir"], 0))
    end
    say("")
  end

  say("### 3. Memory")
  say("")
  say("Resident set size (VmRSS, KiB) of one process calling over HTTPS; allocations per call "
    .. "counted by valgrind (`total heap usage` of a %d-call run minus a %d-call run, divided "
    .. "by %d). LuaJIT allocates Lua objects with its own allocator, which valgrind does not "
    .. "see: its column counts only the C libraries' allocations.", ALLOC_CALLS[2],
    ALLOC_CALLS[1], ALLOC_CALLS[2] - ALLOC_CALLS[1])
  say("")
  say("| | %s |", table.concat((function()
    local n = {}
    for i, l in ipairs(LUAS) do n[i] = l.name end
    return n
  end)(), " | "))
  say("|---|%s", string.rep("---:|", #LUAS))
  local mem_rows = {
    { "RSS at start", "rss_start_kib" },
    { "RSS after loading cams", "rss_loaded_kib" },
    { "RSS after cams.new", "rss_client_kib" },
    { "RSS after the first call (TLS connection up)", "rss_first_call_kib" },
    { string.format("RSS after %d calls", MEMORY_CALLS), "rss_after_calls_kib" },
    { string.format("RSS after %d calls and a full GC", MEMORY_CALLS), "rss_after_calls_gc_kib" },
    { string.format("Lua heap after %d calls (before GC)", MEMORY_CALLS), "lua_heap_after_calls_kib" },
    { "Lua heap after a full GC", "lua_heap_after_gc_kib" },
  }
  for _, row in ipairs(mem_rows) do
    local cells = {}
    for i, l in ipairs(LUAS) do cells[i] = fmt(med("memory " .. l.name, row[2]), 0) end
    say("| %s | %s |", row[1], table.concat(cells, " | "))
  end
  if info.allocs then
    for _, row in ipairs{
      { "allocations per `cams.core.sign` call", "sign" },
      { "allocations per `client:update_qrdl`, network replaced", "client" },
      { "allocations per `client:update_qrdl` over HTTP", "http" },
    } do
      local cells = {}
      for i, l in ipairs(LUAS) do cells[i] = fmt(info.allocs[l.name .. " " .. row[2]], 1) end
      say("| %s | %s |", row[1], table.concat(cells, " | "))
    end
    say("| allocations per call of the bare libcurl loop over HTTP (C) | %s |",
      fmt(info.allocs.curl, 1))
    say("| allocations per V3 signature, C API / the primitives alone (all inside OpenSSL) "
      .. "| %s / %s |", fmt(info.allocs["c sign"], 1), fmt(info.allocs["c prim"], 1))
  else
    say("")
    say("Allocation counts left out: %s.", info.allocs_why)
  end
  say("")

  say("### 4. Pacing across machines: one reservation through Redis (µs)")
  say("")
  say("`bench/redis_reserve.lua`: %d reservations per client and round (%d rounds, medians) "
    .. "against a redis-server on loopback, at 10^6 calls/s so that none has to wait. A "
    .. "reservation is one `EVALSHA` of the pacing script on a kept connection (inside nginx "
    .. "a cosocket from nginx's pool, given back after each); a `PING` over the same kind of "
    .. "connection and the per-client limiter (`cams.ratelimit`, no I/O) for comparison.",
    REDIS_CALLS, REDIS_ROUNDS)
  say("")
  say("| where | reservation (`EVALSHA`) | bare `PING` round trip | per-client limiter |")
  say("|---|---:|---:|---:|")
  for _, row in ipairs{ { "Lua 5.4, LuaSocket", "redis Lua 5.4" },
      { "LuaJIT, LuaSocket", "redis LuaJIT" },
      { "nginx worker (LuaJIT), cosockets", "redis nginx" } } do
    say("| %s | %s | %s | %s |", row[1], fmt(med(row[2], "reserve_us"), 1),
      fmt(med(row[2], "ping_us"), 1), fmt(med(row[2], "local_us"), 2))
  end
  say("")

  say("### Summary against the goals")
  say("")
  say("Median over the rounds, in brackets the lowest and highest round; for the end-to-end "
    .. "goals also the value from the best round of each client. The verdict follows the "
    .. "median.")
  say("")
  say("| goal | measured | best rounds | |")
  say("|---|---:|---:|---|")
  local function row(what, unit, digits, v, lo, hi, ok, b)
    say("| %s | %s%s (%s–%s) | %s | %s |", what, fmt(v, digits), unit, fmt(lo, digits),
      fmt(hi, digits), b and (fmt(b, digits) .. unit) or "", goal(v, ok))
  end
  local r3 = results.c_sign and results.c_sign.c_ratio_v3 or {}
  local r3m = lib.median(r3)
  row("V3 signing within 2× the primitives' cost (C API)", "×", 2, r3m,
    #r3 > 0 and math.min(table.unpack(r3)) or nil, #r3 > 0 and math.max(table.unpack(r3)) or nil,
    r3m and r3m <= 2)
  for _, l in ipairs(LUAS) do
    for _, proto in ipairs{ "http", "https" } do
      local ov = overhead[proto .. " " .. l.name] or {}
      row(string.format("under 15 %% over bare libcurl, %s, %s", proto:upper(), l.name), " %",
        1, ov[1], ov[2], ov[3], ov[1] and ov[1] < 15, ov.best)
    end
  end
  if node_ok then
    for _, proto in ipairs{ "http", "https" } do
      local r = node_ratio[proto] or {}
      row(string.format("≥ 5× the Node SDK's sequential calls/s, %s (Lua 5.4)", proto:upper()),
        "×", 1, r[1], r[2], r[3], r[1] and r[1] >= 5, r.best)
    end
    row("signing step ≥ 5× faster than the Node SDK's, through Lua 5.4 (`cams.core.sign`)", "×",
      1, sdk_ratio[1], sdk_ratio[2], sdk_ratio[3], sdk_ratio[1] and sdk_ratio[1] >= 5)
    local c = { med_ratio("sign node", "sdk_sign_us", "c_sign", "c_sign_v3_us",
      function(a, b) return a / b end) }
    row("the same through the C API (`cams_sign`)", "×", 1, c[1], c[2], c[3], c[1] and c[1] >= 5)
  else
    say("")
    say("Node SDK part skipped: %s.", node_why)
  end
  say("")
  say("Load average at the end: %s.", first_line("cat /proc/loadavg"))
  local text = table.concat(out, "\n") .. "\n"
  io.write(text)
  local f = io.open("build/bench/report.md", "wb")
  if f then
    f:write(text)
    f:close()
  end
end

---------------------------------------------------------------------------------------
-- Main

local info = machine()
if not node_ok then log("bench: Node SDK part skipped: %s", node_why) end

log("bench: checking that every client's requests pass the mock's signature verification")
verify_clients()

local server = mock.start{ server_config = static_server_config() }
local pids = children_of(server.pid)
if PINNED then
  for pid in pids:gmatch("%d+") do capture("taskset -pc 0 " .. pid) end
end
local ok, err = pcall(function()
  for round = 1, SIGN_ROUNDS do
    log("bench: signing, round %d of %d", round, SIGN_ROUNDS)
    run_rotated(sign_jobs(), round)
  end
  for round = 1, ROUNDS do
    log("bench: end to end, round %d of %d", round, ROUNDS)
    for _, proto in ipairs{ "http", "https" } do
      run_rotated(e2e_jobs(proto, server, q(pids)), round)
    end
  end

  log("bench: memory")
  for _, l in ipairs(LUAS) do
    record("memory " .. l.name, measure(string.format("%s%s bench/memory.lua %s %s %d",
      lua_env(l), l.cmd, q(server.endpoint), q(server.ca_file), MEMORY_CALLS)))
  end

  if valgrind_ok then
    log("bench: instructions per call (callgrind)")
    info.ir = measure("LUA_PATH='bench/?.lua;lua/?.lua;;' lua5.4 bench/instructions.lua "
      .. q(server.http_endpoint))
    log("bench: allocations (valgrind)")
    info.allocs = {}
    for _, l in ipairs(LUAS) do
      for _, mode in ipairs{ "sign", "client", "http" } do
        info.allocs[l.name .. " " .. mode] = allocs_per_call(lua_env(l), function(n)
          return string.format("%s bench/alloc.lua %s %d %s", l.cmd, mode, n,
            q(server.http_endpoint))
        end)
      end
    end
    for _, mode in ipairs{ "sign", "prim" } do
      info.allocs["c " .. mode] = allocs_per_call("", function(n)
        return string.format("%s/sign_bench %s %d", BIN, mode, n)
      end)
    end
    info.allocs.curl = allocs_per_call("", function(n)
      return string.format("%s/curl_loop %s - %d 0", BIN, q(server.http_endpoint .. "/"), n)
    end)
  else
    info.allocs_why = os.getenv("BENCH_VALGRIND") == "0" and "BENCH_VALGRIND=0"
      or "valgrind is not installed"
  end
end)
server:stop()
if not ok then
  io.stderr:write("bench: ", tostring(err), "\n")
  os.exit(1)
end
redis_bench()
print_report(info)

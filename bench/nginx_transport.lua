-- Throughput of lua-cams inside ONE nginx worker: cosockets versus libcurl.
--
-- An nginx with one worker calls update_qrdl for every request it gets; the mock CAMS
-- server answers after 50 ms. 100 concurrent clients (wrk, or curl --parallel when wrk
-- is missing) load it for a bounded time (wrk) or count (curl). The cosocket transport
-- waits without blocking the worker; libcurl holds it for every call, so the worker
-- serves one call at a time (at most 1 / 50 ms = 20 per second).
--
--   make bench-nginx
--   LUA_PATH='lua/?.lua;./?.lua;;' luajit bench/nginx_transport.lua [seconds]
--   (BENCH_LOAD=curl: use curl --parallel even when wrk is there)
--
-- Prints the results and the machine; exits 1 when cosockets are not at least 20 times
-- faster.
local mock = require "spec.support.mock"
local nginx = require "spec.support.nginx"
local cjson = require "cjson"
local socket = require "socket"

local SECONDS = tonumber(arg and arg[1]) or 10
local CONNECTIONS, LATENCY, TARGET = 100, 0.05, 20
local QUEUED = 40000 -- delayed answers queued in the mock per run
local APP = 'require("spec.support.nginx_app")'
local util = mock.util

local function sh(cmd)
  return util.capture(cmd .. " 2>&1")
end

local function have(cmd)
  return util.run("command -v " .. cmd .. " >/dev/null 2>&1")
end

local function profile(m, extra)
  local p = { access_key_id = "testid", access_key_secret = "testsecret",
    endpoint = m.endpoint, qps = false, retries = 0, timeout = 30, deadline = 60 }
  for k, v in pairs(extra) do p[k] = v end
  return p
end

-- wrk for `seconds`: requests per second, completed requests, errors, latency summary.
local function run_wrk(url, seconds)
  local out = sh(string.format("wrk -t2 -c%d -d%ds --timeout 30s --latency '%s'",
    CONNECTIONS, seconds, url))
  local rps = tonumber(out:match("Requests/sec:%s*([%d%.]+)"))
  local done = tonumber(out:match("(%d+) requests in"))
  local non2xx = tonumber(out:match("Non%-2xx or 3xx responses: (%d+)")) or 0
  local sock_errors = 0
  for n in (out:match("Socket errors:([^\n]*)") or ""):gmatch("(%d+)") do
    sock_errors = sock_errors + tonumber(n)
  end
  if not rps then error("wrk printed no result:\n" .. out) end
  return { rps = rps, done = done, errors = non2xx + sock_errors,
    latency = ("p50 %s, p99 %s"):format(out:match("50%%%s+(%S+)") or "?",
      out:match("99%%%s+(%S+)") or "?") }
end

-- curl --parallel for `count` requests.
local function run_curl(url, count)
  local dir = util.capture("mktemp -d")
  local t0 = socket.gettime()
  util.run(string.format("curl -s --no-progress-meter --parallel --parallel-max %d --max-time 120 "
    .. "-o '%s/out_#1' -w '%%{http_code}\\n' '%s&i=[1-%d]' > '%s/codes'",
    CONNECTIONS, dir, url, count, dir))
  local elapsed = socket.gettime() - t0
  local codes = util.read_file(dir .. "/codes") or ""
  util.run("rm -rf '" .. dir .. "'")
  local ok = select(2, codes:gsub("200\n", ""))
  return { rps = ok / elapsed, done = ok, errors = count - ok,
    latency = ("%.1f s for %d requests"):format(elapsed, count) }
end

local function machine()
  local cpu = (util.read_file("/proc/cpuinfo") or ""):match("model name%s*:%s*([^\n]+)") or "?"
  return ("%s, %s CPUs (%s), %s"):format(sh("uname -sr"), sh("nproc"), cpu,
    sh("nginx -v"):gsub("^nginx version: ", ""))
end

local m = mock.start{ workers = 1, log_level = "error" }
local app = nginx.start{
  workers = 1, trusted_certificate = m.ca_file, log_level = "error",
  http_config = "lua_shared_dict app_results 1m;\ninit_by_lua_block { " .. APP
    .. ".init(require('cjson').decode([=[" .. cjson.encode{ profiles = {
      ngx = profile(m, { transport = "auto" }),
      curl = profile(m, { transport = "curl", ca_file = m.ca_file }),
    } } .. "]=])) }",
  server_config = "location /client/ { content_by_lua_block { " .. APP .. ".client() } }",
}

local ok, err = pcall(function()
  local tool = os.getenv("BENCH_LOAD") or (have("wrk") and "wrk" or "curl")
  local results = {}
  for _, transport in ipairs{ "ngx", "curl" } do
    m:reset()
    m:delay(LATENCY, QUEUED) -- every request of this run answers after 50 ms
    local url = app.url .. "/client/" .. transport .. "?strict=1"
    local r
    if tool == "wrk" then
      r = run_wrk(url, SECONDS)
    else
      r = run_curl(url, transport == "ngx" and 3000 or 200)
    end
    r.served = m:request_count()
    if m:delay(LATENCY, 0) == 0 then
      error("the mock's delay queue ran out: raise QUEUED")
    end
    results[transport] = r
    io.write(("%-9s %8.1f req/s  %6d done  %4d errors  %s  (mock served %d)\n"):format(
      transport == "ngx" and "cosocket" or "curl", r.rps, r.done, r.errors, r.latency,
      r.served))
    io.flush()
  end
  local ratio = results.ngx.rps / math.max(results.curl.rps, 1e-9)
  print(("cosocket / curl = %.1fx (target >= %dx)"):format(ratio, TARGET))
  print(("load: %s, %d connections, %s; mock latency %d ms; one nginx worker"):format(tool,
    CONNECTIONS, tool == "wrk" and (SECONDS .. " s per transport") or "3000 / 200 requests",
    LATENCY * 1000))
  print("machine: " .. machine())
  return ratio >= TARGET and results.ngx.errors == 0
end)

app:stop()
m:stop()
if not ok then error(err, 0) end
os.exit(err and 0 or 1)

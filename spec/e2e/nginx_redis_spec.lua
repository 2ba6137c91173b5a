-- Many machines, one account: 3 nginx nodes (2 workers each, 2 callers per worker) and 2
-- plain-Lua processes update QR codes without pause through one Redis key, against the mock
-- CAMS server limited to 5 calls per second. Throttled calls are counted at the mock
-- (every request it recorded), times are the mock's clock.
--   shared:   20 s, no call throttled, at least 4.5 calls/s, every call answered
--   fallback: Redis killed: the calls go on, each node pacing alone, none lost
--   back:     Redis restarted: every caller shares again, no call throttled
local mock_client = require "spec.support.mock_client"
local nginx = require "spec.support.nginx"
local redis = require "spec.support.redis"
local util = require "spec.support.util"
local cjson = require "cjson.safe"
local socket = require "socket"
local http = require "socket.http"

http.TIMEOUT = 10

local NODES, WORKERS, CALLERS, PROCESSES = 3, 2, 2, 2
local SHARED_SECONDS, BACK_SECONDS = 20, 8
local LIMIT = 5
local LUA = rawget(_G, "jit") and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
-- the processes load the checkout's own build for their interpreter (as bin/cams does), never
-- a sanitizer build meant for the test interpreter alone
local BUILD = (rawget(_G, "jit") or _VERSION == "Lua 5.1") and "build/luajit"
  or ("build/" .. _VERSION:match("%d+%.%d+"))
local PROCESS_ENV = "env -u LD_PRELOAD -u ASAN_OPTIONS -u UBSAN_OPTIONS "
  .. "LUA_PATH='lua/?.lua;lua/?/init.lua;./?.lua;;' LUA_CPATH='" .. BUILD .. "/?.so;;' "
local APP = 'require("spec.support.pace_load_nginx")'

local function json(v) return assert(cjson.encode(v)) end

local function get(url)
  local body, code = http.request(url)
  assert(code == 200, url .. ": " .. tostring(code) .. " " .. tostring(body))
  return assert(cjson.decode(body), body)
end

-- Polls `check` (which returns true, or false and what it waits for) every `interval`
-- seconds (default 0.1) until it holds.
local function wait_for(what, seconds, check, interval)
  local deadline = socket.gettime() + seconds
  while true do
    local ok, state = check()
    if ok then return end
    assert(socket.gettime() < deadline, "waited " .. seconds .. " s for " .. what .. ": "
      .. tostring(state))
    socket.sleep(interval or 0.1)
  end
end

describe("many machines, one account, one Redis", function()
  local m, _, options = mock_client.use(nil, { keep_codes = true, workers = 2 })
  local r, dir
  local nodes, names = {}, {}
  local records, seen = {}, {}

  -- The requests the mock recorded since the last look (it keeps the last 200).
  local function collect()
    for _, rec in ipairs(m:requests()) do
      if not seen[rec.request_id] then
        seen[rec.request_id] = true
        records[#records + 1] = rec
      end
    end
  end

  local function node_status()
    local t = {}
    for i, n in ipairs(nodes) do t[i] = get(n.url .. "/status") end
    return t
  end

  local function process_events(name)
    local count = {}
    for _, line in ipairs(util.lines(util.read_file(dir .. "/" .. name .. ".log"))) do
      local event = line:match("^(%S+)")
      count[event] = (count[event] or 0) + 1
      if event == "failed" then count.last_error = line end
    end
    return count
  end

  -- Callers whose debug hook said `event` ("fallback" or "back") at least `n` times, of
  -- the NODES * WORKERS + PROCESSES there are.
  local function told(event, n)
    local count = 0
    for _, s in ipairs(node_status()) do
      for id = 0, WORKERS - 1 do
        if (s[event .. ":" .. id] or 0) >= n then count = count + 1 end
      end
    end
    for _, name in ipairs(names) do
      if (process_events(name)[event] or 0) >= n then count = count + 1 end
    end
    return count
  end

  -- Waits until the mock's records reach `seconds` past its time `from`; returns the
  -- records of [from, from + seconds).
  local function window(from, seconds)
    wait_for(seconds .. " s of calls at the mock", seconds * 3 + 30, function()
      collect()
      local last = records[#records]
      return last and last.time >= from + seconds, #records
    end, 1)
    local out = {}
    for _, rec in ipairs(records) do
      if rec.time >= from and rec.time < from + seconds then out[#out + 1] = rec end
    end
    return out
  end

  local function tally(list)
    local t = { ok = 0, throttled = 0, other = 0 }
    for _, rec in ipairs(list) do
      if rec.code == "OK" then t.ok = t.ok + 1
      elseif rec.code == "System.LimitControl" then t.throttled = t.throttled + 1
      else t.other = t.other + 1 end
    end
    return t
  end

  setup(function()
    r = redis.start()
    dir = util.tmpdir("pace-load")
    -- pacing survives a long outage only by retrying throttled calls: retries are generous
    local common = { redis = r.url, retries = 30, retry_max_delay = 1, deadline = 120 }
    local profile = util.merge(common, { access_key_id = mock_client.KEY_ID,
      access_key_secret = mock_client.SECRET, endpoint = m.endpoint,
      shared_dict = "cams_limits" })
    for i = 1, NODES do
      nodes[i] = nginx.start{
        workers = WORKERS,
        trusted_certificate = m.ca_file,
        http_config = [[
          lua_shared_dict cams_limits 1m;
          lua_shared_dict load 1m;
          init_worker_by_lua_block {
            ]] .. APP .. [[.start(require("cjson").decode([=[]] .. json(profile) .. [[]=]), ]]
            .. CALLERS .. [[)
          }
        ]],
        server_config = [[
          location = /state { content_by_lua_block { ]] .. APP .. [[.state() } }
          location = /status { content_by_lua_block { ]] .. APP .. [[.status() } }
        ]],
      }
    end
    local me = require("spec.support.mock").util.self_pid()
    for i = 1, PROCESSES do
      names[i] = "process" .. i
      local cmd = string.format("%s%s spec/support/pace_load_process.lua %s %s %d %s >%s 2>&1 &",
        PROCESS_ENV, LUA, util.q(dir), names[i], me, util.q(json(options(common))),
        util.q(dir .. "/" .. names[i] .. ".out"))
      assert(util.run(cmd))
    end
  end)

  teardown(function()
    if dir then util.write_file(dir .. "/stop", "") end
    for _, n in ipairs(nodes) do n:stop() end
    if r then r:stop() end
    if dir then
      wait_for("the processes to end", 130, function()
        for _, name in ipairs(names) do
          if not process_events(name).done then return false, name end
        end
        return true
      end)
      util.remove_tmpdir(dir)
    end
  end)

  it("shares the limit, falls back when Redis is gone, and shares again when it is back",
    function()
      m:config{ qps = LIMIT }
      finally(function() m:config{ qps = 0 } end)
      wait_for("every caller to be ready", 30, function()
        for _, s in ipairs(node_status()) do
          if (s.active or 0) < WORKERS * CALLERS then return false, json(s) end
        end
        for _, name in ipairs(names) do
          if not process_events(name).ready then return false, name end
        end
        return true
      end)
      for _, n in ipairs(nodes) do get(n.url .. "/state?set=run") end
      util.write_file(dir .. "/run", "")

      -- shared: SHARED_SECONDS from the first answered call, on the mock's clock
      wait_for("a first call", 30, function()
        collect()
        return #records > 0
      end)
      local shared = tally(window(records[1].time, SHARED_SECONDS))
      local before_kill = tally(records)
      local rate = shared.ok / SHARED_SECONDS
      print(string.format("\nshared: %d calls in %d s (%.2f calls/s), %d throttled", shared.ok,
        SHARED_SECONDS, rate, before_kill.throttled))
      assert.equals(0, before_kill.throttled)
      assert.equals(0, before_kill.other)
      assert.is_true(rate >= 4.5, rate)

      -- fallback: every caller says so once, and the calls go on
      r:kill()
      local at_kill = #records
      wait_for("every caller to fall back", 30, function()
        return told("fallback", 1) == NODES * WORKERS + PROCESSES
      end)
      local ok_after = tally(records).ok
      wait_for("calls under the fallback", 60, function()
        collect()
        return tally(records).ok >= ok_after + 4 * LIMIT
      end, 1)
      local fallback = { ok = 0, throttled = 0 }
      for i = at_kill + 1, #records do
        local t = tally{ records[i] }
        fallback.ok, fallback.throttled = fallback.ok + t.ok, fallback.throttled + t.throttled
      end
      print(string.format("fallback: %d calls answered, %d throttled at the mock", fallback.ok,
        fallback.throttled))
      assert.equals(NODES * WORKERS + PROCESSES, told("fallback", 1))
      assert.equals(0, told("fallback", 2)) -- said once

      -- back: every caller shares again, and nothing is throttled
      r:restart()
      wait_for("every caller to share again", 30, function()
        return told("back", 1) == NODES * WORKERS + PROCESSES
      end)
      collect()
      local settled = m:last_request().time + 2 -- calls slotted before the switch are out
      local back = tally(window(settled, BACK_SECONDS))
      print(string.format("back: %d calls in %d s (%.2f calls/s), %d throttled", back.ok,
        BACK_SECONDS, back.ok / BACK_SECONDS, back.throttled))
      assert.equals(0, back.throttled)
      assert.is_true(back.ok / BACK_SECONDS >= 4, back.ok)
      assert.equals("1", r:cli("EXISTS", "cams:rate:127.0.0.1:" .. m.https_port
        .. ":UpdatePhoneMessageQrdl"))

      -- every call answered: the callers stop, each call it started has ended
      for _, n in ipairs(nodes) do get(n.url .. "/state?set=stop") end
      util.write_file(dir .. "/stop", "")
      wait_for("every caller to finish", 120, function()
        for _, s in ipairs(node_status()) do
          if (s.active or 0) > 0 then return false, json(s) end
        end
        for _, name in ipairs(names) do
          if not process_events(name).done then return false, name end
        end
        return true
      end)
      local started, answered = 0, 0
      for _, s in ipairs(node_status()) do
        assert.equals(0, s.failed or 0, s.last_error)
        started, answered = started + (s.calls or 0), answered + (s.ok or 0)
      end
      for _, name in ipairs(names) do
        local e = process_events(name)
        assert.is_nil(e.failed, e.last_error)
        started, answered = started + (e.call or 0), answered + (e.ok or 0)
      end
      collect()
      assert.equals(m:request_count(), #records) -- the mock's records were all seen
      assert.equals(answered, tally(records).ok)
      assert.equals(started, answered)
    end)
end)

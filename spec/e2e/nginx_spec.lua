-- lua-cams inside nginx (Debian's nginx + Lua module, LuaJIT, build/luajit/cams/core.so):
-- an nginx whose locations call lua-cams against the mock CAMS server over HTTPS through
-- cosockets. This process only speaks HTTP to that nginx (luasocket, and the curl CLI
-- for concurrent requests).
local mock = require "spec.support.mock"
local mock_client = require "spec.support.mock_client"
local nginx = require "spec.support.nginx"
local util = require "spec.support.util"
local example = require "spec.support.nginx_example"
local cjson = require "cjson.safe"
local socket = require "socket"
local http = require "socket.http"

http.TIMEOUT = 10

local APP = 'require("spec.support.nginx_app")'

local function json(v)
  return assert(cjson.encode(v))
end

-- An nginx running spec/support/nginx_app.lua with these client profiles.
-- `other_ca`: what /distrust/ trusts instead of the mock's CA.
local function start_app(m, workers, profiles, other_ca)
  return nginx.start{
    workers = workers,
    trusted_certificate = m.ca_file,
    main_config = table.concat({
      "env ALIBABA_CLOUD_ACCESS_KEY_ID=" .. mock_client.KEY_ID .. ";",
      "env ALIBABA_CLOUD_ACCESS_KEY_SECRET=" .. mock_client.SECRET .. ";",
      "env ALIBABA_CLOUD_ENDPOINT=" .. m.endpoint .. ";",
    }, "\n"),
    http_config = [[
      lua_shared_dict cams_limits 1m;
      lua_shared_dict app_results 1m;
      init_by_lua_block {
        ]] .. APP .. [[.init(require("cjson").decode([=[]] .. json{ profiles = profiles }
        .. [[]=]))
      }
      init_worker_by_lua_block { ]] .. APP .. [[.record("init_worker", "fast") }
    ]],
    server_config = [[
      location /client/ { content_by_lua_block { ]] .. APP .. [[.client() } }
      location /distrust/ {
        lua_ssl_trusted_certificate ]] .. (other_ca or m.ca_file) .. [[;
        content_by_lua_block { ]] .. APP .. [[.distrust() }
      }
      location /new/ { content_by_lua_block { ]] .. APP .. [[.new() } }
      location = /default { content_by_lua_block { ]] .. APP .. [[.default() } }
      location = /core { content_by_lua_block { ]] .. APP .. [[.core() } }
      location = /result { content_by_lua_block { ]] .. APP .. [[.result() } }
      location = /timer { content_by_lua_block { ]] .. APP .. [[.timer() } }
      location = /log_phase {
        content_by_lua_block { ngx.say("logged") }
        log_by_lua_block { ]] .. APP .. [[.record("log", "fast") }
      }
      location /raw/ { content_by_lua_block { ]] .. APP .. [[.raw() } }
      location = /echo { content_by_lua_block { ]] .. APP .. [[.echo() } }
      location = /transport { content_by_lua_block { ]] .. APP .. [[.transport() } }
    ]],
  }
end

-- The options of a client of the mock `m` inside nginx (which trusts the mock's CA itself).
local function base_profile(m, extra)
  return util.merge({ access_key_id = mock_client.KEY_ID, access_key_secret = mock_client.SECRET,
    endpoint = m.endpoint }, extra)
end

local function get(app, path)
  local body, code = http.request(app.url .. path)
  assert(code == 200, "GET " .. path .. ": " .. tostring(code) .. " " .. tostring(body)
    .. "\n" .. app:error_log())
  return assert(cjson.decode(body), body)
end

-- Polls /result?key= until something was recorded (at most 3 s).
local function recorded(app, key)
  local deadline = socket.gettime() + 3
  while true do
    local r = get(app, "/result?key=" .. key)
    if not r.missing then return r end
    assert(socket.gettime() < deadline, "nothing recorded under " .. key)
    socket.sleep(0.02)
  end
end

-- `n` concurrent GET requests (curl --parallel, one connection each); returns the decoded
-- answers and the seconds they took together.
local function concurrent(app, path, n)
  local dir = util.tmpdir("concurrent")
  local sep = path:find("?", 1, true) and "&" or "?"
  local cmd = string.format("curl -sS --no-progress-meter --parallel --parallel-max %d "
    .. "--max-time 30 -o '%s/out_#1' '%s%s%si=[1-%d]'", n, dir, app.url, path, sep, n)
  local t0 = socket.gettime()
  local ok = os.execute(cmd)
  local elapsed = socket.gettime() - t0
  local answers = {}
  for i = 1, n do
    local f = io.open(dir .. "/out_" .. i, "rb")
    local body = f and f:read("*a")
    if f then f:close() end
    answers[i] = body and cjson.decode(body) or { ok = false, missing = true }
  end
  util.remove_tmpdir(dir)
  assert(ok == true or ok == 0, "curl failed: " .. cmd)
  return answers, elapsed
end

describe("lua-cams in nginx", function()
  -- one code serves every call: these specs are about nginx, not about what an update does
  local m = mock_client.use(nil, { keep_codes = true })
  local untrusted = mock_client.use() -- its certificate comes from a CA the app does not trust
  local app

  setup(function()
    app = start_app(m, 2, {
      fast = base_profile(m, { qps = false }),
      early = base_profile(m, { shared_dict = "cams_limits" }),
      v2 = base_profile(m, { qps = false, signature = "v2" }),
      cosockets = base_profile(m, { qps = false, transport = "ngx" }),
      curl = base_profile(m, { qps = false, transport = "curl", ca_file = m.ca_file }),
      quick = base_profile(m, { qps = false, timeout = 1, retries = 0 }),
      untrusted = base_profile(untrusted, { qps = false, retries = 0 }),
      shared = base_profile(m, { qps = 5, shared_dict = "cams_limits" }),
      no_dict = base_profile(m, { shared_dict = "missing_dict" }),
      ca_file = base_profile(m, { ca_file = m.ca_file }),
      proxied = base_profile(m, { proxy = "http://127.0.0.1:3128" }),
      proxied_curl = base_profile(m, { proxy = "http://127.0.0.1:3128", transport = "curl" }),
    }, untrusted.ca_file)
  end)

  teardown(function()
    if app then app:stop() end
  end)

  before_each(function()
    m:config{ qps = 0 }
  end)

  it("loads the LuaJIT build of cams.core", function()
    local r = get(app, "/core")
    assert.matches("/build/luajit/cams/core%.so$", r.path)
    assert.equals("function", r.sign)
    assert.matches("^LuaJIT", r.jit)
  end)

  it("updates a QR code through the default client made from env directives", function()
    local r = get(app, "/default?message=Hi%20from%20nginx")
    assert.is_true(r.ok, r.err and r.err.text)
    assert.equals("OK", r.res.Code)
    assert.equals("Hi from nginx", r.res.Data.PrefilledMessage)
    assert.equals("PNG", r.res.Data.GenerateQrImage)
    local req = m:last_request()
    assert.equals("testid", req.access_key_id)
    assert.equals("Hi from nginx", req.params.PrefilledMessage)
    assert.equals(1, m:request_count())
  end)

  it("updates a QR code with explicit options, V3 and V2 signatures", function()
    for _, profile in ipairs{ "fast", "v2", "cosockets", "early" } do
      local r = get(app, "/client/" .. profile .. "?message=" .. profile .. "%20%E4%BD%A0%E5%A5%BD")
      assert.is_true(r.ok, r.err and r.err.text)
      assert.equals(profile .. " 你好", r.res.Data.PrefilledMessage)
      assert.equals(profile == "v2" and "v2" or "v3", m:last_request().signature_version)
    end
    assert.equals(4, m:request_count())
  end)

  it("still works with transport = 'curl' (which blocks the worker)", function()
    local r = get(app, "/client/curl")
    assert.is_true(r.ok, r.err and r.err.text)
    assert.equals(1, m:request_count())
  end)

  it("passes a documented error on", function()
    m:fail("Ram.PermissionDeny")
    local r = get(app, "/client/fast")
    assert.is_false(r.ok)
    assert.equals("Ram.PermissionDeny", r.err.code)
    assert.equals(400, r.err.status)
    assert.equals(1, r.err.attempts)
    assert.is_false(r.err.retryable)
    assert.equals(m:last_request().request_id, r.err.request_id)
  end)

  it("retries a throttled call after a non-blocking backoff", function()
    m:fail("System.LimitControl", 2)
    local r = get(app, "/client/fast")
    assert.is_true(r.ok, r.err and r.err.text)
    assert.equals(3, m:request_count())
  end)

  it("maps the mock's transport faults like the curl transport", function()
    local cases = { close = "Transport.Reset", truncated = "Transport.Reset",
      malformed = "Response.Malformed" }
    for fault, code in pairs(cases) do
      m:fail(fault)
      local r = get(app, "/client/quick?reconcile=0") -- the error itself
      assert.is_false(r.ok, fault)
      assert.equals(code, r.err.code, fault .. ": " .. tostring(r.err.text))
    end
    m:delay(3)
    local r = get(app, "/client/quick?reconcile=0")
    assert.equals("Transport.Timeout", r.err.code)
    assert.matches("timed out after 1000 ms", r.err.message)
    -- the mock finishes that request later: let it, before it counts in another test
    m:await_answers()
  end)

  it("refuses a server whose certificate it cannot verify", function()
    local r = get(app, "/client/untrusted")
    assert.is_false(r.ok)
    assert.equals("Transport.TLS", r.err.code, r.err.text)
    assert.matches("lua_ssl_trusted_certificate", r.err.message)
    assert.equals(0, untrusted:request_count())
  end)

  it("verifies a pooled connection under the trust settings of the location reusing it", function()
    local r = get(app, "/distrust/fast")
    assert.is_true(r.first.ok, r.first.err and r.first.err.text) -- /client/ trusts the mock
    assert.is_false(r.ok) -- /distrust/ does not, and must not use /client/'s connection
    assert.equals("Transport.TLS", r.err.code, r.err.text)
  end)

  describe("phases", function()
    it("refuses init_worker_by_lua plainly, without sending anything", function()
      local r = recorded(app, "init_worker")
      assert.equals("init_worker", r.phase)
      assert.is_false(r.ok)
      assert.equals("NotSupported", r.err.code)
      assert.matches("init_worker phase", r.err.message)
      assert.matches("ngx.timer.at", r.err.message, 1, true)
      assert.equals(0, r.err.attempts)
    end)

    it("refuses log_by_lua plainly, without sending anything", function()
      local body = http.request(app.url .. "/log_phase")
      assert.equals("logged\n", body)
      local r = recorded(app, "log")
      assert.equals("log", r.phase)
      assert.equals("NotSupported", r.err.code)
      assert.matches("log phase", r.err.message)
      assert.equals(0, m:request_count())
    end)

    it("works from ngx.timer.at, the way out of those phases", function()
      local key = "timer" .. math.random(1e9)
      assert.is_true(get(app, "/timer?profile=fast&key=" .. key).ok)
      local r = recorded(app, key)
      assert.equals("timer", r.phase)
      assert.is_true(r.ok, r.err and r.err.text)
      assert.equals(1, m:request_count())
    end)
  end)

  describe("cams.new inside nginx", function()
    it("accepts a defined shared_dict and names a missing one", function()
      local r = get(app, "/new/shared")
      assert.is_true(r.ok)
      assert.equals("cams_limits", r.shared_dict)
      assert.equals("auto", r.transport)
      r = get(app, "/new/no_dict")
      assert.equals("InvalidParameter", r.err.code)
      assert.matches("lua_shared_dict missing_dict", r.err.message)
    end)

    it("refuses ca_file for cosockets but not for curl", function()
      local r = get(app, "/new/ca_file")
      assert.equals("InvalidParameter", r.err.code)
      assert.matches("lua_ssl_trusted_certificate", r.err.message)
      assert.is_true(get(app, "/new/curl").ok)
    end)

    it("refuses a proxy for cosockets, which connect directly, but not for curl", function()
      local r = get(app, "/new/proxied")
      assert.equals("InvalidParameter", r.err.code)
      assert.matches("proxy does not apply inside nginx", r.err.message, 1, true)
      assert.is_true(get(app, "/new/proxied_curl").ok)
    end)
  end)

  describe("cosocket transport", function()
    local function transport(case, extra)
      return get(app, "/transport?case=" .. case .. (extra or ""))
    end

    it("reads Content-Length, chunked and close-delimited bodies", function()
      local r = transport("length")[1]
      assert.equals(200, r.status)
      assert.equals("hello", r.body)
      assert.equals("length", r.headers["x-case"])
      r = transport("chunked")[1]
      assert.equals("hello world", r.body)
      r = transport("until_close")[1]
      assert.equals("read until close", r.body)
      r = transport("interim")[1]
      assert.equals(201, r.status)
      assert.equals("ok", r.body)
      r = transport("no_content")[1]
      assert.equals(204, r.status)
      assert.equals("", r.body)
      assert.equals("second", transport("repeated")[1].headers["x-dup"])
      r = transport("error_status")[1]
      assert.equals(503, r.status)
      assert.equals("busy", r.body)
    end)

    it("answers Response.Malformed for broken HTTP", function()
      for _, case in ipairs{ "bad_status", "bad_header", "bad_length", "bad_chunk" } do
        local r = transport(case)[1]
        assert.equals("Response.Malformed", r.code, case)
      end
    end)

    it("answers Response.TooLarge beyond 64 KiB of headers or 8 MiB of body", function()
      for _, case in ipairs{ "huge_header", "many_headers", "huge_length", "huge_chunks" } do
        local r = transport(case)[1]
        assert.equals("Response.TooLarge", r.code, case .. ": " .. tostring(r.message))
        assert.matches("65536 bytes of headers or 8388608 of body", r.message, 1, true)
      end
      assert.equals("Response.TooLarge", transport("long_chunk_line")[1].code)
      local r = transport("bare_lf")[1] -- lines that end in LF alone are read as lines
      assert.equals(200, r.status)
      assert.equals("ok", r.body)
    end)

    it("answers Transport.Reset when the connection ends early", function()
      for _, case in ipairs{ "truncated", "truncated_chunk", "nothing" } do
        assert.equals("Transport.Reset", transport(case)[1].code, case)
      end
    end)

    it("answers Transport.Timeout within the request's time", function()
      local t0 = socket.gettime()
      local r = transport("slow", "&seconds=10&timeout=0.3")[1]
      assert.equals("Transport.Timeout", r.code)
      assert.is_true(socket.gettime() - t0 < 5) -- not the server's 10 s
    end)

    it("answers Connect, Resolve and TLS failures with their codes", function()
      local port = mock.util.free_ports(1)[1]
      local r = transport("url", "&url=http://127.0.0.1:" .. port .. "/")[1]
      assert.equals("Transport.Connect", r.code)
      r = transport("url", "&url=http://no-such-host.invalid/")[1]
      assert.equals("Transport.Resolve", r.code)
      assert.matches("resolver", r.message)
      r = transport("url", "&url=https://127.0.0.1:" .. app.port .. "/echo")[1]
      assert.equals("Transport.TLS", r.code)
    end)

    it("sends the body with its own Content-Length, Host and the headers", function()
      local r = transport("echo")[1]
      local seen = cjson.decode(r.body)
      assert.equals("POST", seen.method)
      assert.equals("a=b&c=d", seen.body)
      assert.equals("7", seen.length)
      assert.equals("yes", seen.extra)
      assert.equals("127.0.0.1:" .. app.port, seen.host)
      assert.equals("/echo?x=1", seen.uri)
      assert.equals("Refused", transport("bad_header_value")[1].code)
      assert.equals("Refused", transport("framing_header")[1].code)
    end)

    it("keeps connections alive unless the server says close", function()
      local r = transport("keepalive")
      local a, b, c = cjson.decode(r[1].body), cjson.decode(r[2].body), cjson.decode(r[3].body)
      assert.equals(a.connection, b.connection)
      assert.equals(b.connection, c.connection)
      r = transport("close")
      a, b = cjson.decode(r[1].body), cjson.decode(r[2].body)
      assert.are_not.equal(a.connection, b.connection)
    end)

    it("never sends a request twice, even when a kept-alive connection dies", function()
      local r = transport("once")
      assert.equals(200, r[1].status)
      assert.equals("Transport.Reset", r[2].code) -- the server may have acted on it
      assert.equals(1, r[3].dropped)
    end)
  end)

  it("shares the rate limit between workers through a shared dict", function()
    -- warm up: connections to the mock in both workers, so that every paced call below
    -- travels the same way
    concurrent(app, "/client/fast", 8)
    m:reset()
    m:keep_codes(true)
    m:config{ qps = 5 } -- the mock throttles a 6th call within a second
    local answers, elapsed = concurrent(app, "/client/shared", 20)
    local workers = {}
    for i, r in ipairs(answers) do
      assert.is_true(r.ok, i .. ": " .. tostring(r.err and r.err.text))
      workers[r.worker] = true
    end
    assert.is_true(workers[0] and workers[1], "both workers served calls")
    assert.equals(20, m:request_count()) -- nothing was throttled and retried
    assert.is_true(elapsed >= 3.7, "20 calls at 5/s took only " .. elapsed .. " s")
    local times = {}
    for i, r in ipairs(m:requests()) do times[i] = r.time end
    table.sort(times)
    for i = 2, #times do
      assert.is_true(times[i] - times[i - 1] >= 0.15, "calls " .. (i - 1) .. " and " .. i
        .. " came " .. (times[i] - times[i - 1]) .. " s apart")
    end
  end)
end)

describe("one nginx worker", function()
  local m = mock_client.use(nil, { keep_codes = true })
  local app

  setup(function()
    app = start_app(m, 1, { fast = base_profile(m, { qps = false }) })
  end)

  teardown(function()
    if app then app:stop() end
  end)

  it("serves 50 concurrent slow calls at once: waiting does not block it", function()
    m:delay(1, 50)
    local answers, elapsed = concurrent(app, "/client/fast", 50)
    for i, r in ipairs(answers) do
      assert.is_true(r.ok, i .. ": " .. tostring(r.err and r.err.text))
      assert.equals(0, r.worker)
    end
    assert.equals(50, m:request_count())
    -- one after the other they would need 50 x 1 = 50 s
    assert.is_true(elapsed < 20, "50 calls took " .. elapsed .. " s")
  end)
end)

describe("examples/nginx", function()
  local m = mock_client.use(nil, { keep_codes = true })
  local app
  local function start_example(env)
    return example.start(m, env)
  end

  local function post(body, method)
    local chunks = {}
    local _, code = http.request{
      url = app.url .. "/admin/qrdl", method = method or "POST",
      source = body and require("ltn12").source.string(body),
      headers = body and { ["content-type"] = "application/json",
        ["content-length"] = tostring(#body) },
      sink = require("ltn12").sink.table(chunks),
    }
    return code, cjson.decode(table.concat(chunks))
  end

  setup(function()
    app = start_example()
  end)

  teardown(function()
    if app then app:stop() end
  end)

  it("updates a QR code from a POSTed JSON body", function()
    local message = "Hello 👋\nHow can we help?"
    local code, r = post(json{ phone_number = "8615800000000", qrdl_code = "D9II3ADM",
      prefilled_message = message, generate_qr_image = "SVG" })
    assert.equals(200, code, r and r.message)
    assert.is_true(r.ok)
    assert.equals("https://qrdl.cams-mock.invalid/D9II3ADM.svg", r.qr_image_url)
    assert.equals(m:last_request().request_id, r.request_id)
    assert.equals(message, m:last_request().params.PrefilledMessage)
  end)

  it("answers 400 for a bad body, 405 for GET, 502 when CAMS refuses", function()
    local code, r = post(json{ phone_number = "8615800000000", qrdl_cod = "D9II3ADM",
      prefilled_message = "Hi", generate_qr_image = "PNG" })
    assert.equals(400, code)
    assert.equals("InvalidParameter", r.code)
    assert.matches("did you mean 'qrdl_code'", r.message, 1, true)
    code = post("{not json")
    assert.equals(400, code)
    code = post(nil, "GET")
    assert.equals(405, code)
    assert.equals(0, m:request_count())
    m:fail("Ram.PermissionDeny")
    code, r = post(json{ phone_number = "8615800000000", qrdl_code = "D9II3ADM",
      prefilled_message = "Hi", generate_qr_image = "PNG" })
    assert.equals(502, code)
    assert.equals("Ram.PermissionDeny", r.code)
    assert.equals(m:last_request().request_id, r.request_id)
  end)

  it("runs the periodic update in one worker", function()
    local periodic = start_example{ QRDL_PHONE_NUMBER = "8615800000009",
      QRDL_CODE = "D9II3TMR", QRDL_UPDATE_EVERY = "0.5" }
    local function periodic_times()
      local times = {}
      for _, r in ipairs(m:requests()) do
        if r.params.QrdlCode == "D9II3TMR" then
          assert.matches("^Hello! I'd like today's offer %(%d%d%d%d%-%d%d%-%d%d%)$",
            r.params.PrefilledMessage)
          times[#times + 1] = r.time
        end
      end
      return times
    end
    local deadline = socket.gettime() + 30
    while #periodic_times() < 3 and socket.gettime() < deadline do socket.sleep(0.05) end
    periodic:stop()
    local times = periodic_times()
    assert.is_true(#times >= 3, #times .. " periodic updates")
    table.sort(times)
    for i = 2, #times do -- two workers would make pairs of updates, milliseconds apart
      assert.is_true(times[i] - times[i - 1] > 0.1, "updates " .. (times[i] - times[i - 1])
        .. " s apart")
    end
  end)
end)

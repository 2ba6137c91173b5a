-- Self-test of the running mock CAMS server (spec/support/mock*): over HTTPS and HTTP,
-- its answers, state, faults, STS and metadata service, and its launchers. Its signature
-- checks alone are in spec/unit/mock_spec.lua.
local verify = require "spec.support.mock.verify"
local mock = require "spec.support.mock"
local mock_client = require "spec.support.mock_client"
local sample = require "spec.support.mock_sample"
local util = require "spec.support.util"
local cjson = require "cjson.safe"
local http = require "socket.http"
local https = require "ssl.https"
local ltn12 = require "ltn12"
local socket = require "socket"
local rand = require "openssl.rand"

local copy, alive = util.merge, mock.util.alive
local BASE_PARAMS, form = sample.PARAMS, sample.form

local function nonce()
  return verify.hex(rand.bytes(16))
end

-- Sends a request; returns status, decoded JSON body (or nil), headers, raw body.
local function send(m, req)
  local plain = req.plain
  local url = (plain and m.http_endpoint or m.endpoint) .. (req.path or "/")
  if req.query and req.query ~= "" then url = url .. "?" .. req.query end
  local headers = copy(req.headers)
  local body = req.body
  if body and body ~= "" then headers["content-length"] = tostring(#body) end
  local chunks = {}
  local t = {
    url = url, method = req.method or "POST", headers = headers,
    source = body and body ~= "" and ltn12.source.string(body) or nil,
    sink = ltn12.sink.table(chunks),
  }
  local ok, status, rh
  if plain then
    ok, status, rh = http.request(t)
  else
    t.cafile, t.verify, t.protocol, t.options = m.ca_file, "peer", "any", { "all" }
    ok, status, rh = https.request(t)
  end
  assert(ok, "request failed: " .. tostring(status))
  local raw = table.concat(chunks)
  return status, cjson.decode(raw), rh, raw
end

local function host_of(m, plain)
  return "127.0.0.1:" .. (plain and m.http_port or m.https_port)
end

-- A V3 request as the official SDK sends it: POST /, parameters in a form body.
-- o: action, params, id, secret, token, date, nonce, version, plain, headers (extra)
local function v3_req(m, o)
  o = o or {}
  local body = form(o.params or BASE_PARAMS)
  local h = {
    host = host_of(m, o.plain),
    ["x-acs-action"] = o.action or "UpdatePhoneMessageQrdl",
    ["x-acs-version"] = o.version or "2020-06-06",
    ["x-acs-date"] = o.date or verify.format_date(os.time()),
    ["x-acs-signature-nonce"] = o.nonce or nonce(),
    ["content-type"] = "application/x-www-form-urlencoded",
  }
  if o.token then
    h["x-acs-security-token"] = o.token
    h["x-acs-accesskey-id"] = o.id
  end
  h = verify.sign_v3({ method = "POST", path = "/", headers = h, body = body },
    o.id or "testid", o.secret or "testsecret")
  h["user-agent"] = "mock-spec"
  return { method = "POST", path = "/", headers = h, body = body, plain = o.plain }
end

-- A V2 request: POST with system parameters in the query and business parameters in the
-- body (as the official SDK), or GET with everything in the query.
local function v2_req(m, o)
  o = o or {}
  local method = o.method or "POST"
  local params = o.params or BASE_PARAMS
  local sys = {
    Action = o.action or "UpdatePhoneMessageQrdl", Format = "JSON",
    Version = o.version or "2020-06-06",
    Timestamp = o.date or verify.format_date(os.time()), SignatureNonce = o.nonce or nonce(),
    SignatureMethod = "HMAC-SHA1", SignatureVersion = "1.0", AccessKeyId = o.id or "testid",
    SecurityToken = o.token,
  }
  local all = copy(sys)
  for k, v in pairs(params) do all[k] = v end
  local sig = verify.sign_v2(method, all, o.secret or "testsecret")
  local req = { method = method, path = "/", headers = { host = host_of(m, o.plain) },
                plain = o.plain }
  if method == "GET" then
    all.Signature = sig
    req.query = form(all)
  else
    sys.Signature = sig
    req.query = form(sys)
    req.body = form(params)
    req.headers["content-type"] = "application/x-www-form-urlencoded"
  end
  return req
end

local function dir_exists(path)
  local ok = os.rename(path, path)
  return ok == true
end

describe("mock server", function()
  -- one code serves the protocol checks below; the codes' own lifecycle is checked in both
  -- modes at the end of this block
  local m = mock_client.use(nil, { workers = 1, keep_codes = true })

  it("exposes its endpoints", function()
    assert.equals("https://127.0.0.1:" .. m.https_port, m.endpoint)
    assert.equals("http://127.0.0.1:" .. m.http_port, m.http_endpoint)
    assert.is_number(m.https_port)
    assert.is_number(m.http_port)
    assert.truthy(io.open(m.ca_file, "rb"))
    assert.truthy(alive(m.pid))
  end)

  it("answers a V3 request over HTTPS with the documented body", function()
    local status, body, headers, raw = send(m, v3_req(m))
    assert.equals(200, status, raw)
    assert.matches('^{"AccessDeniedDetail":"None","RequestId":"[%x%-]+","Message":"None",'
      .. '"Data":{"QrImageUrl":"https://[^"]+%.svg","PhoneNumber":"8613800138000",'
      .. '"QrdlCode":"D9II3ABC","DeepLinkUrl":"https://wa%.me/message/D9II3ABC",'
      .. '"GenerateQrImage":"SVG","PrefilledMessage":"[^"]*"},"Code":"OK"}$', raw)
    assert.equals("OK", body.Code)
    assert.same(BASE_PARAMS.PrefilledMessage, body.Data.PrefilledMessage)
    assert.equals(body.RequestId, headers["x-acs-request-id"])
    assert.equals(1, m:request_count())
    local last = m:last_request()
    assert.equals("POST", last.method)
    assert.equals("/", last.uri)
    assert.equals("UpdatePhoneMessageQrdl", last.action)
    assert.same(BASE_PARAMS, last.params)
    assert.equals("mock-spec", last.headers["user-agent"])
    assert.truthy(last.headers.authorization)
    assert.equals(form(BASE_PARAMS), last.body)
    assert.equals("v3", last.signature_version)
    assert.equals(200, last.status)
  end)

  it("answers PNG requests with a .png image URL, over plain HTTP too", function()
    local params = copy(BASE_PARAMS)
    params.GenerateQrImage = "PNG"
    local status, body = send(m, v3_req(m, { params = params, plain = true }))
    assert.equals(200, status)
    assert.matches("%.png$", body.Data.QrImageUrl)
    assert.equals("PNG", body.Data.GenerateQrImage)
  end)

  it("answers V2 requests (POST with form body, GET with all in the query)", function()
    local status, body, _, raw = send(m, v2_req(m))
    assert.equals(200, status, raw)
    assert.equals(BASE_PARAMS.PrefilledMessage, body.Data.PrefilledMessage)
    status, body, _, raw = send(m, v2_req(m, { method = "GET", plain = true }))
    assert.equals(200, status, raw)
    assert.equals(BASE_PARAMS.PhoneNumber, body.Data.PhoneNumber)
    local last = m:last_request()
    assert.equals("v2", last.signature_version)
    assert.same(BASE_PARAMS, last.params)
    assert.equals(2, m:request_count())
  end)

  it("accepts temporary keys with their token only", function()
    assert.equals(200, (send(m, v3_req(m, { id = "stsid", secret = "stssecret",
      token = "ststoken" }))))
    assert.equals(200, (send(m, v2_req(m, { id = "stsid", secret = "stssecret",
      token = "ststoken" }))))
    local status, body = send(m, v3_req(m, { id = "stsid", secret = "stssecret",
      token = "wrong" }))
    assert.equals(400, status)
    assert.equals("InvalidSecurityToken.Mismatch", body.Code)
    status, body = send(m, v2_req(m, { id = "stsid", secret = "stssecret" }))
    assert.equals(400, status)
    assert.equals("InvalidSecurityToken.Mismatch", body.Code)
  end)

  it("works with curl and the test CA", function()
    local req = v3_req(m)
    local cmd = { "curl -sS --cacert '" .. m.ca_file .. "' -X POST --data-binary @-" }
    for k, v in pairs(req.headers) do cmd[#cmd + 1] = "-H '" .. k .. ": " .. v .. "'" end
    cmd[#cmd + 1] = m.endpoint .. "/"
    local tmp = os.tmpname()
    local f = assert(io.open(tmp, "wb"))
    f:write(req.body)
    f:close()
    local p = assert(io.popen(table.concat(cmd, " ") .. " < " .. tmp))
    local out = p:read("*a")
    p:close()
    os.remove(tmp)
    local body = assert(cjson.decode(out), out)
    assert.equals("OK", body.Code)
    -- the certificate names localhost too
    p = assert(io.popen("curl -sS --cacert '" .. m.ca_file .. "' https://localhost:"
      .. m.https_port .. "/__mock/health"))
    out = p:read("*a")
    p:close()
    assert.matches('"ok":true', out)
  end)

  it("rejects a replayed nonce", function()
    local req = v3_req(m)
    assert.equals(200, (send(m, req)))
    local status, body = send(m, req)
    assert.equals(400, status)
    assert.equals("SignatureNonceUsed", body.Code)
    local r2 = v2_req(m, { nonce = "same-nonce" })
    assert.equals(200, (send(m, r2)))
    status, body = send(m, r2)
    assert.equals(400, status)
    assert.equals("SignatureNonceUsed", body.Code)
    assert.equals(4, m:request_count())
  end)

  it("rejects stale and future dates", function()
    for _, offset in ipairs({ -16 * 60, 16 * 60 }) do
      local date = verify.format_date(os.time() + offset)
      local status, body = send(m, v3_req(m, { date = date }))
      assert.equals(400, status)
      assert.equals("InvalidTimeStamp.Expired", body.Code)
      status, body = send(m, v2_req(m, { date = date }))
      assert.equals(400, status)
      assert.equals("InvalidTimeStamp.Expired", body.Code)
    end
  end)

  it("answers gateway errors in the documented shape", function()
    local req = v3_req(m)
    req.headers.authorization = req.headers.authorization:gsub("Signature=%x%x",
      "Signature=00")
    local status, body, headers = send(m, req)
    assert.equals(400, status)
    assert.equals("SignatureDoesNotMatch", body.Code)
    assert.matches("^Specified signature does not match our calculation", body.Message)
    assert.matches("^[%x%-]+$", body.RequestId)
    assert.equals(body.RequestId, headers["x-acs-request-id"])
    assert.equals(host_of(m), body.HostId)
    assert.is_string(body.Recommend)

    status, body = send(m, v3_req(m, { id = "nobody", secret = "x" }))
    assert.equals(404, status)
    assert.equals("InvalidAccessKeyId.NotFound", body.Code)

    status, body = send(m, v3_req(m, { version = "2017-01-01" }))
    assert.equals(400, status)
    assert.equals("InvalidVersion", body.Code)

    status, body = send(m, { method = "POST", path = "/", body = form(BASE_PARAMS),
      headers = { ["content-type"] = "application/x-www-form-urlencoded" } })
    assert.equals(400, status)
    assert.equals("MissingParameter", body.Code)

    local no_auth = v3_req(m)
    no_auth.headers.authorization = nil
    status, body = send(m, no_auth)
    assert.equals(400, status)
    assert.equals("IncompleteSignature", body.Code)

    status, body = send(m, v3_req(m, { action = "NoSuchAction" }))
    assert.equals(404, status)
    assert.equals("InvalidAction.NotFound", body.Code)
    assert.equals(6, m:request_count())
  end)

  it("validates the business parameters", function()
    local params = copy(BASE_PARAMS)
    params.PhoneNumber = nil
    local status, body = send(m, v3_req(m, { params = params }))
    assert.equals(400, status)
    assert.equals("MissingParameter", body.Code)
    assert.equals('The input parameter "PhoneNumber" that is mandatory for processing this '
      .. "request is not supplied.", body.Message)
    params = copy(BASE_PARAMS)
    params.GenerateQrImage = "JPG"
    status, body = send(m, v2_req(m, { params = params }))
    assert.equals(400, status)
    assert.equals("InvalidParameter", body.Code)
  end)

  it("injects the documented errors after signature checks", function()
    local expected = {
      ["Product.Unsubscript"] = "You have not subscribed to the specified product.",
      ["Ram.PermissionDeny"] = "You are not authorized to perform the operation.",
      ["System.LimitControl"] = "The system is under flow control.",
      ["Unknown.ResourceOwnerId"] = "The resource does not belong to the current user.",
    }
    for code, message in pairs(expected) do
      m:fail(code)
      -- a request that fails verification does not consume the queued error
      local bad = v3_req(m, { id = "nobody" })
      assert.equals("InvalidAccessKeyId.NotFound", select(2, send(m, bad)).Code)
      local status, body = send(m, v3_req(m))
      assert.equals(400, status)
      assert.equals(code, body.Code)
      assert.equals(message, body.Message)
      if code == "Ram.PermissionDeny" then
        local detail = assert(cjson.decode(body.AccessDeniedDetail))
        assert.equals("cams:UpdatePhoneMessageQrdl", detail.AuthAction)
      end
    end
    m:fail("System.LimitControl", 2)
    assert.equals("System.LimitControl", select(2, send(m, v3_req(m))).Code)
    assert.equals("System.LimitControl", select(2, send(m, v2_req(m))).Code)
    assert.equals("OK", select(2, send(m, v3_req(m))).Code)
    assert.has_error(function() m:fail("NoSuchCode") end)
  end)

  it("injects server and transport faults", function()
    m:fail("InternalError")
    m:fail("ServiceUnavailable")
    assert.equals(500, (send(m, v3_req(m))))
    assert.equals(503, (send(m, v3_req(m))))

    m:fail("malformed")
    local status, body, _, raw = send(m, v3_req(m))
    assert.equals(200, status)
    assert.is_nil(body)
    assert.truthy(#raw > 0)

    m:fail("close")
    local ok = pcall(send, m, v3_req(m, { plain = true }))
    assert.is_false(ok)

    m:fail("truncated")
    local req = v3_req(m, { plain = true, params = { PhoneNumber = "1", QrdlCode = "C",
      GenerateQrImage = "PNG", PrefilledMessage = "m" } })
    local cmd = { "curl -s -o /dev/null -X POST --data-binary '" .. req.body .. "'" }
    for k, v in pairs(req.headers) do cmd[#cmd + 1] = "-H '" .. k .. ": " .. v .. "'" end
    cmd[#cmd + 1] = m.http_endpoint .. "/; echo $?"
    local p = assert(io.popen(table.concat(cmd, " ")))
    local rc = p:read("*a")
    p:close()
    assert.equals("18", rc:match("%d+")) -- CURLE_PARTIAL_FILE
    assert.equals("OK", select(2, send(m, v3_req(m))).Code)
  end)

  it("delays answers on request", function()
    m:delay(0.3)
    local t0 = socket.gettime()
    assert.equals(200, (send(m, v3_req(m))))
    assert.truthy(socket.gettime() - t0 >= 0.29)
  end)

  it("limits the rate when configured", function()
    m:config { qps = 2 }
    local limited = 0
    for _ = 1, 6 do
      local status, body = send(m, v3_req(m, { plain = true }))
      if status == 400 and body.Code == "System.LimitControl" then limited = limited + 1 end
    end
    m:config { qps = 0 }
    assert.truthy(limited >= 2)
  end)

  for _, keep in ipairs{ false, true } do
    it("keeps the QR codes it creates, updates and deletes (" .. (keep and "codes kept"
        or "code replaced, the default") .. " on update)", function()
      m:keep_codes(keep)
      local status, body = send(m, v3_req(m, { action = "CreatePhoneMessageQrdl",
        params = { PhoneNumber = "8615800000000", GenerateQrImage = "PNG",
                   PrefilledMessage = "Hello" } }))
      assert.equals(200, status)
      local code = body.Data.QrdlCode
      assert.matches("^%w+$", code)
      status, body = send(m, v3_req(m, { params = { PhoneNumber = "8615800000000",
        QrdlCode = code, GenerateQrImage = "SVG", PrefilledMessage = "Changed" } }))
      assert.equals(200, status)
      local live = body.Data.QrdlCode
      if keep then
        assert.equals(code, live)
      else -- as the API document shows: the code named is retired, a new one answers
        assert.are_not.equal(code, live)
        assert.equals("https://wa.me/message/" .. live, body.Data.DeepLinkUrl)
        status, body = send(m, v3_req(m, { params = { PhoneNumber = "8615800000000",
          QrdlCode = code, GenerateQrImage = "SVG", PrefilledMessage = "Again" } }))
        assert.equals(400, status)
        assert.equals("QrdlCode.NotFound", body.Code)
      end
      status, body = send(m, v3_req(m, { action = "ListPhoneMessageQrdl",
        params = { PhoneNumber = "8615800000000" } }))
      assert.equals(200, status)
      assert.equals(1, #body.Data)
      assert.equals(live, body.Data[1].QrdlCode)
      assert.equals("Changed", body.Data[1].PrefilledMessage)
      assert.equals(1, #m:codes("8615800000000"))
      status, body = send(m, v3_req(m, { action = "DeletePhoneMessageQrdl",
        params = { PhoneNumber = "8615800000000", QrdlCode = live } }))
      assert.equals(200, status)
      assert.is_nil(body.Data)
      assert.equals(0, #m:codes("8615800000000"))
      status, body = send(m, v3_req(m, { action = "DeletePhoneMessageQrdl",
        params = { PhoneNumber = "8615800000000", QrdlCode = live } }))
      assert.equals(400, status)
      assert.equals("QrdlCode.NotFound", body.Code) -- a delete retires the code too
    end)
  end

  it("applies a change and then loses its answer when told to", function()
    m:keep_codes(false)
    m:lose_answers{ how = "close", at = { 2 } }
    local function create(message)
      return send(m, v3_req(m, { action = "CreatePhoneMessageQrdl", params = {
        PhoneNumber = "8615800000009", GenerateQrImage = "PNG", PrefilledMessage = message } }))
    end
    assert.equals(200, (create("one")))
    assert.is_false((pcall(create, "two"))) -- applied, then the connection closed
    assert.equals(200, (create("three")))
    local messages = {}
    for _, c in ipairs(m:codes("8615800000009")) do messages[#messages + 1] = c.PrefilledMessage end
    assert.same({ "one", "two", "three" }, messages)
    local state = m:lose_answers{ how = "off" }
    assert.equals(1, state.lost)
  end)

  it("resets its state", function()
    local req = v3_req(m)
    assert.equals(200, (send(m, req)))
    m:fail("System.LimitControl")
    m:reset()
    assert.equals(0, m:request_count())
    assert.is_nil(m:last_request())
    assert.equals(200, (send(m, req))) -- nonce memory and fault queue are cleared
    assert.equals(1, #m:requests())
  end)

  describe("STS", function()
    local ROLE = { RoleArn = "acs:ram::123456789012:role/r", RoleSessionName = "s1" }

    it("issues unique temporary credentials with AssumeRole (version 2015-04-01)", function()
      local status, body, _, raw = send(m, v2_req(m, { action = "AssumeRole", version = "2015-04-01",
                                                       params = ROLE }))
      assert.equals(200, status, raw)
      assert.matches('^{"RequestId":"[%x%-]+","AssumedRoleUser":{"Arn":"acs:ram::123456789012:'
        .. 'role/r/s1","AssumedRoleId":"%d+:s1"},"Credentials":{"SecurityToken":"CAIS[^"]+",'
        .. '"AccessKeyId":"STS%.0001%x+","AccessKeySecret":"%x+","Expiration":"[%dT:Z-]+"}}$', raw)
      local exp = verify.parse_date(body.Credentials.Expiration)
      assert.is_true(math.abs(exp - os.time() - 3600) < 5)
      m:credentials{ duration = 1200 }
      local _, again = send(m, v2_req(m, { action = "AssumeRole", version = "2015-04-01",
                                           params = ROLE }))
      assert.matches("^STS%.0002", again.Credentials.AccessKeyId)
      assert.is_true(math.abs(verify.parse_date(again.Credentials.Expiration) - os.time() - 1200) < 5)
      -- the issued key signs CAMS calls
      local c = again.Credentials
      status = send(m, v3_req(m, { id = c.AccessKeyId, secret = c.AccessKeySecret,
                                   token = c.SecurityToken }))
      assert.equals(200, status)
    end)

    it("checks the version of each action", function()
      local _, body = send(m, v2_req(m, { action = "AssumeRole", params = ROLE }))
      assert.equals("InvalidVersion", body.Code)
      _, body = send(m, v2_req(m, { version = "2015-04-01" }))
      assert.equals("InvalidVersion", body.Code)
    end)

    it("keeps its fault queue apart from the CAMS one", function()
      m:fail_sts("ServiceUnavailable")
      assert.equals(200, (send(m, v3_req(m))))
      local status = send(m, v2_req(m, { action = "AssumeRole", version = "2015-04-01",
                                         params = ROLE }))
      assert.equals(503, status)
    end)
  end)

  describe("ECS metadata", function()
    local function get(path, headers)
      local chunks = {}
      local _, status = http.request{ url = m.http_endpoint .. path, headers = headers,
                                      sink = ltn12.sink.table(chunks) }
      return status, table.concat(chunks)
    end

    it("serves the role and its credentials on the plain-HTTP port only", function()
      local status, role = get("/latest/meta-data/ram/security-credentials/")
      assert.equals(200, status)
      assert.equals("EcsRamRoleMock", role)
      local _, raw = get("/latest/meta-data/ram/security-credentials/EcsRamRoleMock")
      local c = cjson.decode(raw)
      assert.equals("Success", c.Code)
      assert.matches("^STS%.0001", c.AccessKeyId)
      local https_status = send(m, { method = "GET", path = "/latest/api/token" })
      assert.equals(404, https_status)
      m:fail_metadata()
      assert.equals(500, (get("/latest/meta-data/ram/security-credentials/")))
    end)

    it("requires a session token when told to", function()
      m:credentials{ metadata_token = "required" }
      assert.equals(401, (get("/latest/meta-data/ram/security-credentials/")))
      local chunks = {}
      local _, status = http.request{ url = m.http_endpoint .. "/latest/api/token", method = "PUT",
        headers = { ["x-aliyun-ecs-metadata-token-ttl-seconds"] = "60" },
        sink = ltn12.sink.table(chunks) }
      assert.equals(200, status)
      local token = table.concat(chunks)
      assert.equals(200, (get("/latest/meta-data/ram/security-credentials/",
        { ["x-aliyun-ecs-metadata-token"] = token })))
      assert.equals(401, (get("/latest/meta-data/ram/security-credentials/",
        { ["x-aliyun-ecs-metadata-token"] = "forged" })))
    end)
  end)
end)

describe("mock launcher", function()
  it("runs several workers that share state, and stops cleanly", function()
    -- an extra location that checks the mock's certificate from a cosocket inside nginx
    local m = mock.start { workers = 2, server_config = [[
      location = /__probe {
        content_by_lua_block {
          local sock = ngx.socket.tcp()
          assert(sock:connect("127.0.0.1", ${HTTPS_PORT}))
          local ok, err = sock:sslhandshake(nil, "localhost", true)
          ngx.say(ok and "verified" or err)
        }
      }
    ]] }
    local req = v3_req(m)
    local codes = {}
    for i = 1, 4 do codes[i] = select(2, send(m, req)).Code end
    assert.same({ "OK", "SignatureNonceUsed", "SignatureNonceUsed", "SignatureNonceUsed" },
      codes)
    assert.equals(4, m:request_count())
    assert.equals("verified\n", (http.request(m.http_endpoint .. "/__probe")))
    local pid, prefix = m.pid, m.prefix
    m:stop()
    assert.is_false(alive(pid))
    assert.is_false(dir_exists(prefix))
  end)

  it("raises with nginx's error log when nginx cannot start", function()
    local ok, err = pcall(mock.start, { log_level = "nonsense" })
    assert.is_false(ok)
    assert.matches("nonsense", err)
  end)

  it("has a command-line launcher", function()
    local lua = jit and "luajit" or "lua5.4"
    local p = assert(io.popen(lua .. " spec/support/mock/run.lua"))
    local out = p:read("*a")
    p:close()
    local env = {}
    for k, v in out:gmatch("(MOCK_[%w_]+)=([^\n]*)") do env[k] = v end
    assert.matches("^https://127%.0%.0%.1:%d+$", env.MOCK_ENDPOINT)
    assert.matches("^http://127%.0%.0%.1:%d+$", env.MOCK_HTTP_ENDPOINT)
    local code = http.request(env.MOCK_HTTP_ENDPOINT .. "/__mock/health")
    assert.matches('"ok":true', code)
    assert.truthy(alive(env.MOCK_PID))
    assert.truthy(os.execute(lua .. " spec/support/mock/run.lua stop " .. env.MOCK_PREFIX))
    assert.is_false(alive(env.MOCK_PID))
    assert.is_false(dir_exists(env.MOCK_PREFIX))
  end)
end)

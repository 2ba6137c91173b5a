-- Request handling of the mock CAMS server (nginx + Lua module). `api` serves the CAMS
-- RPC API, the STS actions AssumeRole and AssumeRoleWithOIDC at every path, and (on the
-- plain-HTTP port) the ECS instance metadata paths under /latest/; `control` serves
-- /__mock/* for the test launcher.
--
-- State lives in shared dicts so that every worker agrees:
--   cams_state   request counter, recorded requests, fault queues, stored QR codes,
--                issued temporary credentials, credential settings (/__mock/credentials)
--   cams_nonces  signature nonces seen in the last 15 minutes
--   cams_config  settings made at start or through /__mock/config (kept by reset)
-- luacheck: globals ngx
local modprefix = (...):match("^(.-)[^%.]+$") or ""
local verify = require(modprefix .. "verify")
local cjson = require "cjson.safe"
local rand = require "openssl.rand"

local M = {}

M.HISTORY = 200     -- recorded requests kept for /__mock/requests
M.NONCE_TTL = 15 * 60
M.DEFAULT_HOST = "cams.ap-southeast-1.aliyuncs.com"
M.STS_VERSION = "2015-04-01"

-- Defaults of the settings of a test (m:credentials{...}, m:keep_codes(); reset restores
-- them).
M.SETTINGS = {
  keep_codes = false,           -- true: an update keeps its code instead of retiring it
  duration = 0,                 -- lifetime of issued credentials; 0: as requested (STS) / 6 h
  clock = 0,                    -- epoch seconds for issuing and expiry checks; 0: real time
  metadata_role = "EcsRamRoleMock",  -- role the metadata service reports ("" for none)
  metadata_token = "optional",  -- "optional", "required", "unsupported" (PUT answers 404) or
                                -- "rejected" (GETs carrying a token answer 401)
  oidc_token = "mock-oidc-token",    -- the OIDC token AssumeRoleWithOIDC accepts
}

local function dict(name)
  return ngx.shared[name] or error("lua_shared_dict " .. name .. " is not configured")
end

local function setting(name)
  local v = dict("cams_state"):get("conf:" .. name)
  if v == nil then return M.SETTINGS[name] end
  return v
end

-- The mock's clock for temporary credentials: the test's own clock when it set one, so
-- that client and mock never read two clocks.
local function mock_now()
  local fixed = setting("clock")
  return fixed ~= 0 and fixed or ngx.now()
end

-- Access keys the signature checks accept: the fixed ones of verify.lua and the temporary
-- ones this mock issued ({secret=, token=, expiration=}).
local known_credentials = setmetatable({}, { __index = function(_, id)
  local c = verify.CREDENTIALS[id]
  if c then return c end
  local s = type(id) == "string" and dict("cams_state"):get("cred:" .. id)
  return s and cjson.decode(s) or nil
end })

---------------------------------------------------------------------------------------
-- Ordered JSON (responses keep the documented key order; "/" is not escaped)

local OBJ, ARR = {}, {}

local function obj(list) return setmetatable({ list = list }, OBJ) end
local function arr(list) return setmetatable({ list = list }, ARR) end

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
              ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESC[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function to_json(v)
  local mt = getmetatable(v)
  if mt == OBJ then
    local out = {}
    for i, kv in ipairs(v.list) do out[i] = json_string(kv[1]) .. ":" .. to_json(kv[2]) end
    return "{" .. table.concat(out, ",") .. "}"
  elseif mt == ARR then
    local out = {}
    for i, x in ipairs(v.list) do out[i] = to_json(x) end
    return "[" .. table.concat(out, ",") .. "]"
  elseif type(v) == "string" then
    return json_string(v)
  elseif type(v) == "number" or type(v) == "boolean" then
    return tostring(v)
  end
  return "null"
end
M.to_json, M.obj, M.arr = to_json, obj, arr

---------------------------------------------------------------------------------------
-- Errors

local function recommend(code, request_id)
  return "https://api.aliyun.com/troubleshoot?q=" .. verify.encode(code)
    .. "&product=cams&requestId=" .. request_id
end

-- Errors reachable through the fault queue (m:fail): code -> {status, message}.
M.ERRORS = {
  ["Product.Unsubscript"] = { 400, "You have not subscribed to the specified product." },
  ["Ram.PermissionDeny"] = { 400, "You are not authorized to perform the operation." },
  ["System.LimitControl"] = { 400, "The system is under flow control." },
  ["Unknown.ResourceOwnerId"] = { 400, "The resource does not belong to the current user." },
  ["Throttling.User"] = { 400, "Request was denied due to user flow control." },
  ["InternalError"] = { 500,
    "The request processing has failed due to some unknown error, exception or failure." },
  ["ServiceUnavailable"] = { 503, "The request has failed due to a temporary failure of the server." },
  ["QrdlCode.NotFound"] = { 400, "The specified QR code does not exist." },
}

-- Transport faults reachable through the fault queue.
--   close        the connection is closed without any response
--   truncated    200 with a Content-Length longer than the body, then the connection closes
--   reset        200, chunked, part of the body, then the connection closes mid-response
--   malformed    200 with a body that is not valid JSON
--   bad_gateway  502 with an HTML page, as a proxy in front of the API would answer
--   oversized    200 with a 9 MiB body (more than a client should hold for an answer)
--   big_header   200 with one header line of 120 KiB (over libcurl's 100 KiB a line)
--   many_headers 200 with 70 header lines of 1000 bytes (over a client's 64 KiB in all)
--   reflect      400 that quotes the request's credentials back: the security token and
--                Authorization in response headers, the token in a long message (raw,
--                JSON-escaped and percent-encoded), as a careless proxy might
--   reflect_text 502, text/plain: 190 bytes, then the token (where a 200-byte cut falls)
--   binary       500 with gzip bytes as its body (a proxy that compressed it unasked)
--   escapes      400 whose Code and Message hold terminal escape sequences
M.FAULTS = { close = true, truncated = true, reset = true, malformed = true,
             bad_gateway = true, oversized = true, big_header = true, many_headers = true,
             reflect = true, reflect_text = true, binary = true, escapes = true }

---------------------------------------------------------------------------------------
-- Request context

local function request_id()
  local h = verify.hex(rand.bytes(16)):upper()
  return h:sub(1, 8) .. "-" .. h:sub(9, 12) .. "-" .. h:sub(13, 16) .. "-" .. h:sub(17, 20)
    .. "-" .. h:sub(21, 32)
end

local function read_body()
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if body then return body end
  local file = ngx.req.get_body_file()
  if not file then return "" end
  local f = assert(io.open(file, "rb"))
  body = f:read("*a")
  f:close()
  return body
end

local function new_ctx()
  local headers = ngx.req.get_headers(200)
  local h = {}
  for k, v in pairs(headers) do h[k:lower()] = v end
  local uri = ngx.var.request_uri or "/"
  return {
    request_id = request_id(),
    method = ngx.req.get_method(),
    uri = uri,
    path = uri:match("^[^?]*"),
    query = ngx.var.args or "",
    headers = h,
    body = read_body(),
    host = (type(h.host) == "string" and h.host) or M.DEFAULT_HOST,
  }
end

-- Which signature scheme a request uses: "v3" (Authorization header or x-acs-* headers)
-- or "v2" (everything else: RPC system parameters in the query or form body).
local function scheme(ctx)
  if ctx.headers.authorization then return "v3" end
  local q = verify.pairs_to_map(verify.parse_form(ctx.query))
  if q.Signature or q.SignatureMethod or q.AccessKeyId then return "v2" end
  for name in pairs(ctx.headers) do
    if name:sub(1, 6) == "x-acs-" then return "v3" end
  end
  return "v2"
end

-- Action and business parameters as the request states them (before verification), for
-- the request record.
local function unverified_params(ctx, kind)
  local list = verify.parse_form(ctx.query)
  local ct = ctx.headers["content-type"]
  if type(ct) == "table" then ct = ct[1] end
  if ctx.body ~= "" and (not ct or ct:lower():find("x-www-form-urlencoded", 1, true)) then
    for _, p in ipairs(verify.parse_form(ctx.body)) do list[#list + 1] = p end
  end
  local all = verify.pairs_to_map(list)
  if kind == "v3" then
    local action = ctx.headers["x-acs-action"]
    return type(action) == "string" and action or nil, all
  end
  local params = {}
  for k, v in pairs(all) do
    if not verify.V2_SYSTEM_PARAMS[k] then params[k] = v end
  end
  return all.Action, params
end

local function record(ctx, status, code)
  local state = dict("cams_state")
  local rec = cjson.encode({
    method = ctx.method, uri = ctx.uri, headers = ctx.headers, body = ctx.body,
    action = ctx.action, params = ctx.params, signature_version = ctx.kind,
    access_key_id = ctx.access_key_id, request_id = ctx.request_id,
    status = status, code = code, time = ngx.now(),
  })
  local n = ctx.n
  state:incr("answered", 1, 0)
  state:set("req:" .. n, rec)
  state:delete("req:" .. (n - M.HISTORY))
  state:set("last", rec)
end

local function send(ctx, status, body, code)
  record(ctx, status, code)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json;charset=utf-8"
  ngx.header["x-acs-request-id"] = ctx.request_id
  ngx.print(body)
  return ngx.exit(status)
end

local function send_error(ctx, status, code, message, extra)
  local list = {
    { "RequestId", ctx.request_id },
    { "HostId", ctx.host },
    { "Code", code },
    { "Message", message },
    { "Recommend", recommend(code, ctx.request_id) },
  }
  for _, kv in ipairs(extra or {}) do list[#list + 1] = kv end
  return send(ctx, status, to_json(obj(list)), code)
end

local function send_text(ctx, status, text)
  record(ctx, status, tostring(status))
  ngx.status = status
  ngx.header["Content-Type"] = "text/plain"
  ngx.print(text)
  return ngx.exit(status)
end

local function send_ok(ctx, data)
  local list = {
    { "AccessDeniedDetail", "None" },
    { "RequestId", ctx.request_id },
    { "Message", "None" },
  }
  if data ~= nil then list[#list + 1] = { "Data", data } end
  list[#list + 1] = { "Code", "OK" }
  return send(ctx, 200, to_json(obj(list)), "OK")
end

local function access_denied_detail(ctx)
  return to_json(obj({
    { "AuthAction", "cams:" .. tostring(ctx.action) },
    { "AuthPrincipalDisplayName", tostring(ctx.access_key_id) },
    { "AuthPrincipalOwnerId", "1234567890123456" },
    { "AuthPrincipalType", "SubUser" },
    { "NoPermissionType", "ImplicitDeny" },
    { "PolicyType", "AccountLevelIdentityBasedPolicy" },
  }))
end

local function send_fault(ctx, fault)
  if fault == "close" then
    record(ctx, 444, fault)
    return ngx.exit(444)
  elseif fault == "malformed" then
    return send(ctx, 200, '{"RequestId":"' .. ctx.request_id .. '","Code":"OK","Data":{',
      fault)
  elseif fault == "bad_gateway" then
    record(ctx, 502, fault)
    ngx.status = 502
    ngx.header["Content-Type"] = "text/html"
    ngx.print("<html><head><title>502 Bad Gateway</title></head><body>"
      .. "<center><h1>502 Bad Gateway</h1></center></body></html>")
    return ngx.exit(502)
  elseif fault == "oversized" then
    return send(ctx, 200, '{"RequestId":"' .. ctx.request_id .. '","Code":"OK","Pad":"'
      .. string.rep("x", 9 * 1024 * 1024) .. '"}', fault)
  elseif fault == "big_header" then
    ngx.header["X-Pad"] = string.rep("p", 120 * 1024)
    return send_ok(ctx, nil)
  elseif fault == "many_headers" then
    for i = 1, 70 do ngx.header["X-Pad-" .. i] = string.rep("p", 1000) end
    return send_ok(ctx, nil)
  elseif fault == "reflect" then
    local token = ctx.headers["x-acs-security-token"] or ""
    ngx.header["X-Echo-Token"] = token
    ngx.header["X-Echo-Authorization"] = ctx.headers["authorization"]
    -- written by hand: the token's "/" as "\/", as many JSON encoders write it
    local escaped = json_string(token):sub(2, -2):gsub("/", "\\/")
    return send(ctx, 400, '{"RequestId":"' .. ctx.request_id .. '","Code":"Echo.Credentials",'
      .. '"Message":"' .. string.rep("padding ", 30) .. "token " .. escaped .. " encoded "
      .. verify.encode(token) .. '"}', "Echo.Credentials")
  elseif fault == "reflect_text" then
    return send_text(ctx, 502, string.rep("t", 190) .. (ctx.headers["x-acs-security-token"]
      or "") .. string.rep("t", 100))
  elseif fault == "binary" then
    record(ctx, 500, fault)
    ngx.status = 500
    ngx.header["Content-Type"] = "application/json"
    ngx.print("\31\139\8\0\0\0\0\0\0\3\171\86\114\206\79\73\85\178\82\242\247"
      .. "\86\170\5\0\200\255\15\34\12\0\0\0")
    return ngx.exit(500)
  elseif fault == "escapes" then
    return send_error(ctx, 400, "Bad\27[2JCode", "red \27[31malert\27[0m \7bell \155c")
  elseif fault == "reset" then
    record(ctx, 200, fault)
    ngx.status = 200
    ngx.header["Content-Type"] = "application/json;charset=utf-8"
    ngx.print('{"RequestId":"' .. ctx.request_id .. '","Code":"OK",')
    ngx.flush(true)
    return ngx.exit(444) -- no last chunk: the client sees the connection close mid-body
  elseif fault == "truncated" then
    record(ctx, 200, fault)
    local body = to_json(obj({ { "RequestId", ctx.request_id }, { "Code", "OK" },
                                { "Message", "None" } }))
    ngx.status = 200
    ngx.header["Content-Type"] = "application/json;charset=utf-8"
    ngx.header["Content-Length"] = #body
    ngx.header["x-acs-request-id"] = ctx.request_id
    ngx.print(body:sub(1, math.floor(#body / 2)))
    ngx.flush(true)
    return ngx.exit(ngx.ERROR)
  end
  local code, status = fault:match("^(.-)@(%d+)$") -- "Code@200": another HTTP status
  code = code or fault
  local e = M.ERRORS[code]
  local extra
  if code == "Ram.PermissionDeny" then
    extra = { { "AccessDeniedDetail", access_denied_detail(ctx) } }
  end
  return send_error(ctx, tonumber(status) or e[1], code, e[2], extra)
end

---------------------------------------------------------------------------------------
-- Actions: CAMS action name -> {params = {{name, required=, enum=}}, run = fn(p, ctx)}.
-- `run` returns the response Data (nil for none) or nil, status, code, message.

-- Where QrImageUrl points: a fake host, or this server's /qr/ when config serve_images is 1.
local function image_base()
  if dict("cams_config"):get("serve_images") == 1 then
    return ngx.var.scheme .. "://127.0.0.1:" .. ngx.var.server_port .. "/qr/"
  end
  return "https://qrdl.cams-mock.invalid/"
end

local function qrdl_data(p)
  local ext = p.GenerateQrImage == "SVG" and ".svg" or ".png"
  local code = verify.encode(p.QrdlCode)
  return obj({
    { "QrImageUrl", image_base() .. code .. ext },
    { "PhoneNumber", p.PhoneNumber },
    { "QrdlCode", p.QrdlCode },
    { "DeepLinkUrl", "https://wa.me/message/" .. code },
    { "GenerateQrImage", p.GenerateQrImage },
    { "PrefilledMessage", p.PrefilledMessage },
  })
end

-- Stored codes of a phone number: list of {QrdlCode=, GenerateQrImage=, PrefilledMessage=}.
local function load_codes(phone)
  local s = dict("cams_state"):get("codes:" .. phone)
  return s and cjson.decode(s) or {}
end

local function save_codes(phone, list)
  dict("cams_state"):set("codes:" .. phone, cjson.encode(list))
end

local function entry_of(p)
  return { QrdlCode = p.QrdlCode, GenerateQrImage = p.GenerateQrImage,
           PrefilledMessage = p.PrefilledMessage }
end

local function add_code(p)
  local list = load_codes(p.PhoneNumber)
  list[#list + 1] = entry_of(p)
  save_codes(p.PhoneNumber, list)
end

-- Codes that an update or a delete retired: they stay gone (QrdlCode.NotFound).
local function gone_key(phone, code)
  return "gone:" .. phone .. ":" .. code
end

-- Position of a stored code in the list of its number, or nil when it is gone. A code the
-- mock has never seen is taken for one made before the test (added at the end), so that
-- a spec need not create every code it updates; a retired or deleted one stays gone.
local function find_code(list, p)
  for i, e in ipairs(list) do
    if e.QrdlCode == p.QrdlCode then return i end
  end
  if dict("cams_state"):get(gone_key(p.PhoneNumber, p.QrdlCode)) then return nil end
  list[#list + 1] = entry_of(p)
  return #list
end

local function retire(phone, code)
  dict("cams_state"):set(gone_key(phone, code), true)
end

local function not_found()
  return nil, 400, "QrdlCode.NotFound", M.ERRORS["QrdlCode.NotFound"][2]
end

local ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

local function new_code()
  local b = rand.bytes(8)
  local out = {}
  for i = 1, 8 do
    local n = b:byte(i) % #ALNUM + 1
    out[i] = ALNUM:sub(n, n)
  end
  return table.concat(out)
end

local IMAGE = { PNG = true, SVG = true }

-- Temporary credentials with unique ids (the counter shows refreshes), stored so that the
-- signature checks accept them until they expire.
local function issue(duration)
  local state = dict("cams_state")
  local n = state:incr("issued", 1, 0)
  local id = string.format("STS.%04d%s", n, verify.hex(rand.bytes(6)))
  local secret = verify.hex(rand.bytes(16))
  local token = "CAIS" .. verify.base64(rand.bytes(48))
  local expiration = math.floor(mock_now()) + duration
  state:set("cred:" .. id, cjson.encode({ secret = secret, token = token,
                                         expiration = expiration }))
  return id, secret, token, verify.format_date(expiration)
end

local function sts_body(ctx, p, requested)
  local duration = setting("duration")
  if duration <= 0 then duration = requested end
  local id, secret, token, expiration = issue(duration)
  local session = p.RoleSessionName or "session"
  return obj({
    { "RequestId", ctx.request_id },
    { "AssumedRoleUser", obj({
      { "Arn", p.RoleArn .. "/" .. session },
      { "AssumedRoleId", "300794000000000000:" .. session },
    }) },
    { "Credentials", obj({
      { "SecurityToken", token },
      { "AccessKeyId", id },
      { "AccessKeySecret", secret },
      { "Expiration", expiration },
    }) },
  })
end

local function sts_checks(p)
  local duration = tonumber(p.DurationSeconds or "3600")
  if not duration or duration < 900 or duration > 43200 then
    return nil, 400, "InvalidParameter.DurationSeconds",
      "The Min/Max value of DurationSeconds is 15min/12hr."
  end
  if not p.RoleArn:match("^acs:ram::%d+:role/[%w._-]+$") then
    return nil, 400, "InvalidParameter.RoleArn", "The parameter RoleArn is wrongly formed."
  end
  if not p.RoleSessionName:match("^[%w._@-]+$") or #p.RoleSessionName < 2
    or #p.RoleSessionName > 64 then
    return nil, 400, "InvalidParameter.RoleSessionName",
      "The parameter RoleSessionName is wrongly formed."
  end
  return duration
end

-- Faults of STS answers that quote what they should not (m:fail_sts):
--   cut        200 with the credentials set by the test, the JSON cut off after them
--   echo       400 whose Message quotes the request: its form body, the OIDC token as it
--              is and form-encoded ("+" for a space), and a string to sign (encoded again)
--   echo_page  502 HTML page of a proxy quoting the OIDC token (form-encoded first) and the
--              form body
-- Every answer escapes "/" as "\/", as many JSON encoders do.
M.STS_FAULTS = { cut = true, echo = true, echo_page = true }

local function json_escaping_slashes(v)
  return (to_json(v):gsub("/", "\\/"))
end

local function form_plus(s)
  return (verify.encode(s):gsub("%%20", "+"))
end

local function send_sts_fault(ctx, fault)
  if not M.STS_FAULTS[fault] then return send_fault(ctx, fault) end
  local token = type(ctx.params) == "table" and ctx.params.OIDCToken or ""
  if fault == "cut" then
    local c = cjson.decode(dict("cams_state"):get("sts_cut") or "{}") or {}
    local body = json_escaping_slashes(obj({
      { "RequestId", ctx.request_id },
      { "Credentials", obj({
        { "SecurityToken", c.token or "" }, { "AccessKeyId", "STS.Cut" },
        { "AccessKeySecret", c.secret or "" },
        { "Expiration", verify.format_date(math.floor(mock_now()) + 3600) },
      }) },
      { "AssumedRoleUser", obj({ { "Arn", "acs:ram::123456789012:role/cut" } }) },
    }))
    return send(ctx, 200, body:sub(1, body:find('"AssumedRoleUser"', 1, true) + 6), fault)
  elseif fault == "echo" then
    local message = "The request could not be processed: " .. ctx.body .. " (OIDCToken " .. token
      .. ", as a form: " .. form_plus(token) .. "); string to sign: POST&%2F&"
      .. verify.encode(ctx.body)
    return send(ctx, 400, json_escaping_slashes(obj({
      { "RequestId", ctx.request_id }, { "HostId", ctx.host }, { "Code", "InvalidParameter" },
      { "Message", message },
    })), "InvalidParameter")
  end
  record(ctx, 502, fault)
  ngx.status = 502
  ngx.header["Content-Type"] = "text/html"
  ngx.print("<html><body><h1>502 Bad Gateway</h1><pre>" .. (ctx.body:match("OIDCToken=[^&]*") or "")
    .. "\n" .. token .. "\n" .. ctx.body .. "</pre></body></html>")
  return ngx.exit(502)
end

M.actions = {
  CreatePhoneMessageQrdl = {
    params = {
      { "PhoneNumber", required = true },
      { "GenerateQrImage", required = true, enum = IMAGE },
      { "PrefilledMessage", required = true },
      { "CustSpaceId" },
    },
    run = function(p)
      p.QrdlCode = new_code()
      add_code(p)
      return qrdl_data(p)
    end,
    change = true,
  },
  UpdatePhoneMessageQrdl = {
    params = {
      { "PhoneNumber", required = true },
      { "GenerateQrImage", required = true, enum = IMAGE },
      { "PrefilledMessage", required = true },
      { "QrdlCode", required = true },
      { "CustSpaceId" },
    },
    -- As the API documents it: the code named is retired and a new one answers (the old
    -- one no longer opens the chat); with keep_codes on, the code is kept, as WhatsApp's own
    -- API does.
    run = function(p)
      local list = load_codes(p.PhoneNumber)
      local i = find_code(list, p)
      if not i then return not_found() end
      if not setting("keep_codes") then
        retire(p.PhoneNumber, p.QrdlCode)
        p.QrdlCode = new_code()
      end
      list[i] = entry_of(p)
      save_codes(p.PhoneNumber, list)
      return qrdl_data(p)
    end,
    change = true,
  },
  ListPhoneMessageQrdl = {
    params = {
      { "PhoneNumber", required = true },
      { "CustSpaceId" },
    },
    run = function(p)
      local out = {}
      for i, e in ipairs(load_codes(p.PhoneNumber)) do
        out[i] = qrdl_data({ PhoneNumber = p.PhoneNumber, QrdlCode = e.QrdlCode,
                             GenerateQrImage = e.GenerateQrImage,
                             PrefilledMessage = e.PrefilledMessage })
      end
      return arr(out)
    end,
  },
  DeletePhoneMessageQrdl = {
    params = {
      { "PhoneNumber", required = true },
      { "QrdlCode", required = true },
      { "CustSpaceId" },
    },
    run = function(p)
      local list = load_codes(p.PhoneNumber)
      local i = find_code(list, p)
      if not i then return not_found() end
      retire(p.PhoneNumber, p.QrdlCode)
      table.remove(list, i)
      save_codes(p.PhoneNumber, list)
      return nil
    end,
    change = true,
  },
  -- The account's phone numbers: those given to m:phone_numbers (/__mock/phone_numbers), in
  -- that order, then any other number that holds codes; Status filters them. No Data: the
  -- list is the body's PhoneNumbers.
  QueryChatappPhoneNumbers = {
    params = { { "CustSpaceId" }, { "IsvCode" }, { "Status" } },
    body = true,
    run = function(p, ctx)
      local state = dict("cams_state")
      local listed, seen = {}, {}
      for phone in (state:get("phones") or ""):gmatch("[^,]+") do
        if not seen[phone] then
          seen[phone] = true
          listed[#listed + 1] = phone
        end
      end
      local rest = {}
      for _, key in ipairs(state:get_keys(0)) do
        local phone = key:match("^codes:(.+)$")
        if phone and not seen[phone] and #load_codes(phone) > 0 then
          seen[phone] = true
          rest[#rest + 1] = phone
        end
      end
      table.sort(rest)
      for _, phone in ipairs(rest) do listed[#listed + 1] = phone end
      local out = {}
      for _, phone in ipairs(listed) do
        if not p.Status or p.Status == "VERIFIED" then
          out[#out + 1] = obj({
            { "PhoneNumber", phone }, { "VerifiedName", "Mock " .. phone:sub(-4) },
            { "QualityRating", "GREEN" }, { "MessagingLimitTier", "TIER_1K" },
            { "Status", "VERIFIED" }, { "NameStatus", "APPROVED" },
            { "CodeVerificationStatus", "VERIFIED" },
          })
        end
      end
      return obj({
        { "AccessDeniedDetail", "None" }, { "RequestId", ctx.request_id },
        { "Message", "None" }, { "PhoneNumbers", arr(out) }, { "Code", "OK" },
      })
    end,
  },
  -- STS: `body` actions return the whole response body (STS answers carry no Code).
  AssumeRole = {
    version = M.STS_VERSION, sts = true, body = true,
    params = {
      { "RoleArn", required = true },
      { "RoleSessionName", required = true },
      { "DurationSeconds" }, { "Policy" }, { "ExternalId" },
    },
    run = function(p, ctx)
      local duration, status, code, message = sts_checks(p)
      if not duration then return nil, status, code, message end
      return sts_body(ctx, p, duration)
    end,
  },
  AssumeRoleWithOIDC = {
    version = M.STS_VERSION, sts = true, body = true, anonymous = true,
    params = {
      { "RoleArn", required = true },
      { "OIDCProviderArn", required = true },
      { "OIDCToken", required = true },
      { "RoleSessionName", required = true },
      { "DurationSeconds" }, { "Policy" },
    },
    run = function(p, ctx)
      local duration, status, code, message = sts_checks(p)
      if not duration then return nil, status, code, message end
      if not p.OIDCProviderArn:match("^acs:ram::%d+:oidc%-provider/[%w._-]+$") then
        return nil, 400, "InvalidParameter.OIDCProviderArn",
          "The parameter OIDCProviderArn is wrongly formed."
      end
      if p.OIDCToken ~= setting("oidc_token") then
        return nil, 400, "AuthenticationFail.OIDCToken.Invalid", "The OIDC token is invalid."
      end
      return sts_body(ctx, p, duration)
    end,
  },
}

local function validate(def, params)
  for _, spec in ipairs(def.params) do
    local name, v = spec[1], params[spec[1]]
    if spec.required and (v == nil or v == "") then
      return nil, "MissingParameter", string.format(
        "The input parameter %q that is mandatory for processing this request is not supplied.",
        name)
    end
    if v ~= nil and spec.enum and not spec.enum[v] then
      return nil, "InvalidParameter", string.format("The specified parameter %q is not valid.",
        name)
    end
  end
  return true
end

---------------------------------------------------------------------------------------
-- API entry point

-- Fixed-window limit per access key and action; nil or 0 in cams_config "qps" turns it off.
local function over_limit(ctx)
  local qps = dict("cams_config"):get("qps")
  if not qps or qps <= 0 then return false end
  local key = string.format("qps:%s:%s:%d", tostring(ctx.access_key_id), ctx.action,
    math.floor(ngx.now()))
  local n = dict("cams_state"):incr(key, 1, 0, 2)
  return n and n > qps
end

---------------------------------------------------------------------------------------
-- ECS instance metadata (plain-HTTP port only)

M.METADATA_CREDENTIALS = "/latest/meta-data/ram/security-credentials/"

-- Faults of the metadata service (m:fail_metadata): GET answers "500" or "cut" (200 with the
-- credentials set by the test, the JSON cut off after them, "/" escaped as "\/"); token
-- requests "token_reset" (the connection closes without an answer) or "token_hang" (no
-- answer for a minute).
M.METADATA_FAULTS = { ["500"] = "metadata_faults", cut = "metadata_faults",
                      token_reset = "metadata_token_faults", token_hang = "metadata_token_faults" }

local function send_token_fault(ctx, fault)
  record(ctx, 444, fault) -- before any wait: a later test's records stay its own
  if fault == "token_hang" then ngx.sleep(60) end
  return ngx.exit(444)
end

local function send_cut_credentials(ctx)
  local c = cjson.decode(dict("cams_state"):get("metadata_cut") or "{}") or {}
  local body = json_escaping_slashes(obj({
    { "AccessKeyId", "STS.Cut" }, { "AccessKeySecret", c.secret or "" },
    { "Expiration", verify.format_date(math.floor(mock_now()) + 3600) },
    { "SecurityToken", c.token or "" }, { "LastUpdated", verify.format_date(mock_now()) },
    { "Code", "Success" },
  }))
  record(ctx, 200, "cut")
  ngx.status = 200
  ngx.header["Content-Type"] = "text/plain"
  ngx.print(body:sub(1, body:find('"LastUpdated"', 1, true) + 5))
  return ngx.exit(200)
end

local function metadata(ctx)
  local state = dict("cams_state")
  ctx.action = "Metadata"
  if ngx.var.scheme ~= "http" then return send_text(ctx, 404, "Not Found") end
  local mode = setting("metadata_token")
  if ctx.path == "/latest/api/token" then
    if ctx.method ~= "PUT" then return send_text(ctx, 405, "Method Not Allowed") end
    local fault = state:lpop("metadata_token_faults")
    if fault then return send_token_fault(ctx, fault) end
    if mode == "unsupported" then return send_text(ctx, 404, "Not Found") end
    local ttl = tonumber(ctx.headers["x-aliyun-ecs-metadata-token-ttl-seconds"])
    if not ttl or ttl < 1 or ttl > 21600 then return send_text(ctx, 400, "Bad Request") end
    local token = verify.hex(rand.bytes(16))
    state:set("mdtoken:" .. token, true, ttl)
    return send_text(ctx, 200, token)
  end
  if ctx.method ~= "GET" then return send_text(ctx, 405, "Method Not Allowed") end
  local session_token = ctx.headers["x-aliyun-ecs-metadata-token"]
  if mode == "required" then
    if type(session_token) ~= "string" or not state:get("mdtoken:" .. session_token) then
      return send_text(ctx, 401, "Unauthorized")
    end
  elseif mode == "rejected" and session_token then
    return send_text(ctx, 401, "Unauthorized")
  end
  local fault = state:lpop("metadata_faults")
  if fault == "cut" then return send_cut_credentials(ctx) end
  if fault then return send_text(ctx, 500, "Internal Server Error") end
  local role = setting("metadata_role")
  if ctx.path == M.METADATA_CREDENTIALS then
    if role == "" then return send_text(ctx, 404, "Not Found") end
    return send_text(ctx, 200, role)
  end
  if role == "" or ctx.path ~= M.METADATA_CREDENTIALS .. role then
    return send_text(ctx, 404, "Not Found")
  end
  local duration = setting("duration")
  if duration <= 0 then duration = 6 * 3600 end
  local id, secret, token, expiration = issue(duration)
  record(ctx, 200, "Success")
  ngx.status = 200
  ngx.header["Content-Type"] = "text/plain"
  ngx.print(to_json(obj({
    { "AccessKeyId", id }, { "AccessKeySecret", secret }, { "Expiration", expiration },
    { "SecurityToken", token }, { "LastUpdated", verify.format_date(mock_now()) },
    { "Code", "Success" },
  })))
  return ngx.exit(200)
end

-- AssumeRoleWithOIDC needs no signature: only the RPC system parameters are checked.
local function check_anonymous(ctx, def)
  local all = verify.pairs_to_map(verify.parse_form(ctx.query))
  for k, v in pairs(verify.pairs_to_map(verify.parse_form(ctx.body))) do all[k] = v end
  if all.Version ~= def.version then
    return nil, "InvalidVersion", "Specified parameter Version is not valid.", 400
  end
  if not all.Timestamp then
    return nil, "MissingParameter", "The input parameter \"Timestamp\" that is mandatory for "
      .. "processing this request is not supplied.", 400
  end
  local ok, code, message, status = verify.check_date(all.Timestamp, ngx.now(),
    dict("cams_config"):get("max_skew"))
  if not ok then return nil, code, message, status end
  return true
end

-- Answers lost after a change was applied (m:lose_answers{...}): the n-th applied change
-- (counted from the last setting), every `every` one or those listed in `at`, loses its
-- answer the way `how` says: "close" (the connection closes), "timeout" (no answer for
-- `seconds`, then a close) or "bad_gateway" (a proxy's 502 page).
local function lost_answer(ctx)
  local state = dict("cams_state")
  local how = state:get("lose:how")
  if not how then return nil end
  local n = state:incr("lose:applied", 1, 0)
  local every, at = state:get("lose:every"), state:get("lose:at")
  if not ((every and every > 0 and n % every == 0) or (at and at:find("," .. n .. ",", 1, true)))
  then
    return nil
  end
  state:incr("lose:lost", 1, 0)
  if how == "timeout" then
    ngx.sleep(state:get("lose:seconds") or 2)
    return send_fault(ctx, "close")
  end
  return send_fault(ctx, how)
end

function M.api()
  local ctx = new_ctx()
  local state = dict("cams_state")
  ctx.n = state:incr("count", 1, 0)
  if ctx.path:sub(1, 8) == "/latest/" then return metadata(ctx) end

  ctx.kind = scheme(ctx)
  ctx.action, ctx.params = unverified_params(ctx, ctx.kind)
  local def = M.actions[ctx.action]

  if def and def.anonymous then
    ctx.kind = "anonymous"
    local ok, code, message, status = check_anonymous(ctx, def)
    if not ok then return send_error(ctx, status, code, message) end
  else
    local req = { method = ctx.method, path = ctx.path, query = ctx.query,
                  headers = ctx.headers, body = ctx.body }
    local opts = { now = ngx.now(), version = def and def.version or verify.API_VERSION,
                   max_skew = dict("cams_config"):get("max_skew"),
                   credentials = known_credentials }
    local info, code, message, status, detail
    if ctx.kind == "v3" then
      info, code, message, status, detail = verify.v3(req, opts)
    else
      info, code, message, status, detail = verify.v2(req, opts)
    end
    if not info then
      if detail and detail.canonical_request then
        ngx.log(ngx.WARN, "signature mismatch; server canonical request:\n",
          detail.canonical_request)
      end
      return send_error(ctx, status, code, message)
    end
    ctx.access_key_id, ctx.action, ctx.params = info.access_key_id, info.action, info.params
    def = M.actions[ctx.action]

    local expiration = known_credentials[info.access_key_id].expiration
    if expiration and mock_now() >= expiration then
      return send_error(ctx, 400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
    end

    local ok, err = dict("cams_nonces"):add(info.nonce, true, M.NONCE_TTL)
    if not ok and err == "exists" then
      return send_error(ctx, 400, "SignatureNonceUsed", "Specified signature nonce was used already.")
    end
  end

  local delay = state:lpop("delays")
  if delay then ngx.sleep(tonumber(delay)) end

  local fault = state:lpop(def and def.sts and "sts_faults" or "faults")
  if fault then return (def and def.sts and send_sts_fault or send_fault)(ctx, fault) end

  if not def then
    return send_error(ctx, 404, "InvalidAction.NotFound",
      "Specified api is not found, please check your url and method.")
  end

  if over_limit(ctx) then return send_fault(ctx, "System.LimitControl") end

  local valid, vcode, vmessage = validate(def, ctx.params)
  if not valid then return send_error(ctx, 400, vcode, vmessage) end

  local p = {}
  for k, v in pairs(ctx.params) do p[k] = v end
  local data, rstatus, rcode, rmessage = def.run(p, ctx)
  if rstatus then return send_error(ctx, rstatus, rcode, rmessage) end
  if def.change then
    local lost = lost_answer(ctx)
    if lost then return lost end
  end
  if def.body then return send(ctx, 200, to_json(data), "OK") end
  return send_ok(ctx, data)
end

---------------------------------------------------------------------------------------
-- Control endpoints (/__mock/<name>), answers in JSON

local function reply(status, value)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.print(cjson.encode(value))
  return ngx.exit(status)
end

local function int_arg(v, default)
  local n = tonumber(v)
  if n == nil then return default end
  return math.floor(n)
end

local control = {}

function control.health()
  return reply(200, { ok = true, pid = ngx.worker.pid() })
end

-- ?code=<documented error code or fault>&times=N[&status=S: the error's HTTP status]
function control.fail(args)
  local code, times, status = args.code, int_arg(args.times, 1), int_arg(args.status)
  if type(code) ~= "string" or not (M.ERRORS[code] or M.FAULTS[code]) then
    return reply(400, { error = "unknown code: " .. tostring(code) })
  end
  if status then
    if not M.ERRORS[code] or status < 200 or status > 599 then
      return reply(400, { error = "status applies to an error code, 200 to 599" })
    end
    code = code .. "@" .. status
  end
  local state = dict("cams_state")
  for _ = 1, times do state:rpush("faults", code) end
  return reply(200, { queued = state:llen("faults") or 0 })
end

-- ?code=<error code or fault, default InternalError>&times=N[&secret=&token=: what a cut
-- answer carries]: the next STS calls fail.
function control.fail_sts(args)
  local code, times = args.code or "InternalError", int_arg(args.times, 1)
  if type(code) ~= "string" or not (M.ERRORS[code] or M.FAULTS[code] or M.STS_FAULTS[code]) then
    return reply(400, { error = "unknown code: " .. tostring(code) })
  end
  local state = dict("cams_state")
  if code == "cut" then
    state:set("sts_cut", cjson.encode({ secret = args.secret, token = args.token }))
  end
  for _ = 1, times do state:rpush("sts_faults", code) end
  return reply(200, { queued = state:llen("sts_faults") or 0 })
end

-- ?times=N&fault=<500 (default), cut, token_reset or token_hang>[&secret=&token=: what a
-- cut answer carries]: the next metadata GET (or token) requests fail.
function control.fail_metadata(args)
  local fault = args.fault or "500"
  local queue = M.METADATA_FAULTS[fault]
  if not queue then return reply(400, { error = "unknown fault: " .. tostring(fault) }) end
  local state = dict("cams_state")
  if fault == "cut" then
    state:set("metadata_cut", cjson.encode({ secret = args.secret, token = args.token }))
  end
  for _ = 1, int_arg(args.times, 1) do state:rpush(queue, fault) end
  return reply(200, { queued = state:llen(queue) or 0 })
end

-- ?duration=&clock=&metadata_role=&metadata_token=&oidc_token=&keep_codes= (see
-- M.SETTINGS); answers the settings in force.
function control.settings(args)
  local state = dict("cams_state")
  for name, default in pairs(M.SETTINGS) do
    local v = args[name]
    if v ~= nil then
      if type(default) == "number" then
        v = tonumber(v)
      elseif type(default) == "boolean" then
        v = v == "1" or v == "true"
      end
      if v == nil or (name == "metadata_token" and v ~= "optional" and v ~= "required"
                      and v ~= "unsupported" and v ~= "rejected") then
        return reply(400, { error = "bad value for " .. name })
      end
      state:set("conf:" .. name, v)
    end
  end
  local out = {}
  for name in pairs(M.SETTINGS) do out[name] = setting(name) end
  return reply(200, out)
end

-- ?phone=P&codes=A,B,C&message=M&image=PNG: stores these codes of P (made before the test).
function control.seed(args)
  if not args.phone or not args.codes then return reply(400, { error = "phone and codes" }) end
  local list = load_codes(args.phone)
  for code in args.codes:gmatch("[^,]+") do
    list[#list + 1] = { QrdlCode = code, PrefilledMessage = args.message or "seeded",
                        GenerateQrImage = args.image or "PNG" }
  end
  save_codes(args.phone, list)
  return reply(200, { count = #list })
end

-- ?phones=A,B: the account's phone numbers, as QueryChatappPhoneNumbers lists them.
function control.phone_numbers(args)
  dict("cams_state"):set("phones", args.phones or "")
  return reply(200, { ok = true })
end

-- ?how=close|timeout|bad_gateway&every=N&at=K,L&seconds=S; how=off stops losing answers.
function control.lose_answers(args)
  local state = dict("cams_state")
  if args.how == "off" then
    state:delete("lose:how")
  else
    if args.how ~= "close" and args.how ~= "timeout" and args.how ~= "bad_gateway" then
      return reply(400, { error = "bad how" })
    end
    state:set("lose:how", args.how)
    state:set("lose:every", tonumber(args.every) or 0)
    state:set("lose:at", args.at and ("," .. args.at .. ",") or nil)
    state:set("lose:seconds", tonumber(args.seconds) or 2)
    state:set("lose:applied", 0)
  end
  return reply(200, { how = state:get("lose:how") or "off", lost = state:get("lose:lost") or 0,
                      applied = state:get("lose:applied") or 0 })
end

-- ?seconds=S&times=N
function control.delay(args)
  local seconds, times = tonumber(args.seconds), int_arg(args.times, 1)
  if not seconds or seconds < 0 then return reply(400, { error = "bad seconds" }) end
  local state = dict("cams_state")
  for _ = 1, times do state:rpush("delays", seconds) end
  return reply(200, { queued = state:llen("delays") or 0 })
end

function control.count()
  local state = dict("cams_state")
  return reply(200, { count = state:get("count") or 0, answered = state:get("answered") or 0 })
end

function control.last()
  local s = dict("cams_state"):get("last")
  ngx.header["Content-Type"] = "application/json"
  ngx.print(s or "null")
  return ngx.exit(200)
end

function control.requests()
  local state = dict("cams_state")
  local n = state:get("count") or 0
  local out = {}
  for i = math.max(1, n - M.HISTORY + 1), n do
    local s = state:get("req:" .. i)
    if s then out[#out + 1] = s end
  end
  ngx.header["Content-Type"] = "application/json"
  ngx.print("[" .. table.concat(out, ",") .. "]")
  return ngx.exit(200)
end

-- ?phone=<PhoneNumber>: the stored codes of that number.
function control.codes(args)
  if type(args.phone) ~= "string" then return reply(400, { error = "phone required" }) end
  local s = dict("cams_state"):get("codes:" .. args.phone)
  ngx.header["Content-Type"] = "application/json"
  ngx.print(s or "[]")
  return ngx.exit(200)
end

function control.reset()
  dict("cams_state"):flush_all()
  dict("cams_nonces"):flush_all()
  return reply(200, { ok = true })
end

-- ?qps=N (0 turns the limit off) &max_skew=seconds &serve_images=1|0
function control.config(args)
  local config = dict("cams_config")
  if args.qps then config:set("qps", int_arg(args.qps, 0)) end
  if args.max_skew then config:set("max_skew", int_arg(args.max_skew, verify.MAX_SKEW)) end
  if args.serve_images then config:set("serve_images", int_arg(args.serve_images, 0)) end
  return reply(200, { qps = config:get("qps") or 0,
                      max_skew = config:get("max_skew") or verify.MAX_SKEW,
                      serve_images = config:get("serve_images") or 0 })
end

function M.control()
  local name = ngx.var.uri:match("^/__mock/([%w_]+)$")
  local fn = name and control[name]
  if not fn then return reply(404, { error = "unknown control endpoint" }) end
  return fn(ngx.req.get_uri_args())
end

---------------------------------------------------------------------------------------
-- QR images (/qr/<code>.png|svg): a tiny image per code; counted in cams_state "images"

-- A valid 1x1 PNG.
M.PNG = "\137PNG\13\10\26\10\0\0\0\13IHDR\0\0\0\1\0\0\0\1\8\0\0\0\0\58\126\155U\0\0\0\10"
  .. "IDATx\156c\96\0\0\0\2\0\1H\175\164q\0\0\0\0IEND\174B\96\130"

function M.image()
  local code, ext = ngx.var.uri:match("^/qr/([%w%-_.~%%]+)%.(%a+)$")
  if not code or (ext ~= "png" and ext ~= "svg") or ngx.req.get_method() ~= "GET" then
    return reply(404, { error = "no such image" })
  end
  dict("cams_state"):incr("images", 1, 0)
  if ext == "png" then
    ngx.header["Content-Type"] = "image/png"
    ngx.print(M.PNG)
  else
    ngx.header["Content-Type"] = "image/svg+xml"
    ngx.print('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><title>',
      (ngx.unescape_uri(code):gsub("[<>&\"]", "")), '</title><rect width="1" height="1"/></svg>')
  end
  return ngx.exit(200)
end

function control.images()
  return reply(200, { count = dict("cams_state"):get("images") or 0 })
end

-- Called from init_by_lua with the launcher's options.
function M.init(opts)
  opts = opts or {}
  local config = dict("cams_config")
  config:set("qps", tonumber(opts.qps) or 0)
  if opts.max_skew then config:set("max_skew", tonumber(opts.max_skew)) end
end

return M

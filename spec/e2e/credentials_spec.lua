-- Credential sources end to end: clients built from a fake environment and a temporary
-- HOME get their credentials from the mock STS (AssumeRole, AssumeRoleWithOIDC) and the
-- mock ECS metadata service, then sign real CAMS calls that the mock verifies.
local cams = require "cams"
local credentials = require "cams.credentials"
local mock_client = require "spec.support.mock_client"
local tmphome = require "spec.support.tmphome"
local util = require "spec.support.util"
local socket = require "socket"
local cjson = require "cjson"

local ROLE_ARN = "acs:ram::123456789012:role/cams-updater"
local OIDC_PROVIDER_ARN = "acs:ram::123456789012:oidc-provider/ack-rrsa"
local OIDC_TOKEN = "mock-oidc-token"
local ARGS = { phone_number = "8615800000000", qrdl_code = "D9II3ABC",
               prefilled_message = "Hello", generate_qr_image = "PNG" }
local contains = util.contains

-- Secrets of the answers the mock cuts off, with the characters that encodings change.
local CUT = { access_key_secret = "Cut+Secret=Of STS", security_token = "CAIS+Cut/Token=Of/STS" }

-- Every form in which an answer may quote a secret: as it is, JSON-escaped ("\/"),
-- percent-encoded (also with "+" for a space, as form encoders write it) and encoded twice.
local function percent(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", c:byte()) end))
end
local function forms(secret)
  local plus = percent(secret):gsub("%%20", "+")
  return { secret, (secret:gsub("/", "\\/")), percent(secret), plus, percent(percent(secret)),
           percent(plus) }
end

-- The first form of one of `secrets` found in `text`, or nil.
local function leaked(text, secrets)
  for _, secret in ipairs(secrets) do
    for _, form in ipairs(forms(secret)) do
      if contains(text, form) then return form end
    end
  end
  return nil
end

describe("credentials end to end", function()
  -- Clients without keys (they come from the sources tested), whose STS and metadata
  -- service are the mock's.
  local NONE = mock_client.NONE
  local m, client = mock_client.use(function(server)
    return { access_key_id = NONE, access_key_secret = NONE, sts_endpoint = server.endpoint,
             metadata_endpoint = server.http_endpoint }
  end, { keep_codes = true }) -- one code serves every call: these specs are about keys
  local home, env, saved_getenv, saved_now

  setup(function() home = tmphome.new() end)
  teardown(function() home:remove() end)

  before_each(function()
    env = { HOME = home.path }
    saved_getenv, saved_now = cams._getenv, credentials.now
    cams._getenv = function(name) return env[name] end
  end)

  after_each(function()
    cams._getenv, credentials.now = saved_getenv, saved_now
    home:clear()
  end)

  local function requests(action)
    local out = {}
    for _, r in ipairs(m:requests()) do
      if action == nil or r.action == action then out[#out + 1] = r end
    end
    return out
  end

  local function update_ok(c)
    local res, err = c:update_qrdl(ARGS)
    assert(res, tostring(err))
    assert.equals("OK", res.Code)
    local last = m:last_request()
    assert.equals("UpdatePhoneMessageQrdl", last.action)
    return last.access_key_id
  end

  local function config_json(profile)
    profile.name = profile.name or "default"
    home:write(".aliyun/config.json", cjson.encode{ current = profile.name, profiles = { profile } })
  end

  local function oidc_env(token)
    env.ALIBABA_CLOUD_ROLE_ARN = ROLE_ARN
    env.ALIBABA_CLOUD_OIDC_PROVIDER_ARN = OIDC_PROVIDER_ARN
    env.ALIBABA_CLOUD_OIDC_TOKEN_FILE = home:write("var/run/token", (token or OIDC_TOKEN) .. "\n")
  end

  describe("static sources", function()
    it("signs with the environment, the CLI profile or the credentials file", function()
      config_json{ mode = "StsToken", access_key_id = "stsid", access_key_secret = "stssecret",
                   sts_token = "ststoken" }
      home:write(".alibabacloud/credentials",
        "[default]\ntype = access_key\naccess_key_id = testid\naccess_key_secret = testsecret\n")
      assert.equals("stsid", update_ok(client()))
      env.ALIBABA_CLOUD_ACCESS_KEY_ID = "testid"
      env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = "testsecret"
      assert.equals("testid", update_ok(client{ signature = "v2" }))
      env.ALIBABA_CLOUD_ACCESS_KEY_ID = nil
      env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = nil
      os.remove(home.path .. "/.aliyun/config.json")
      local c = client()
      assert.equals("credentials_file", c.credentials_source)
      assert.equals("testid", update_ok(c))
    end)
  end)

  describe("OIDC role", function()
    it("exchanges the token file for temporary credentials, anonymously", function()
      oidc_env()
      env.ALIBABA_CLOUD_ROLE_SESSION_NAME = "pod-session"
      local c = client()
      assert.equals(0, m:request_count()) -- cams.new sends nothing
      local id = update_ok(c)
      assert.matches("^STS%.0001", id)
      local sts = requests("AssumeRoleWithOIDC")
      assert.equals(1, #sts)
      local r = sts[1]
      assert.equals("anonymous", r.signature_version)
      assert.is_nil(r.access_key_id)
      assert.equals(ROLE_ARN, r.params.RoleArn)
      assert.equals(OIDC_PROVIDER_ARN, r.params.OIDCProviderArn)
      assert.equals(OIDC_TOKEN, r.params.OIDCToken)
      assert.equals("pod-session", r.params.RoleSessionName)
      assert.equals("3600", r.params.DurationSeconds)
      assert.is_false(contains(r.uri, OIDC_TOKEN)) -- the token travels in the body
      assert.equals(id, update_ok(c))
      assert.equals(1, #requests("AssumeRoleWithOIDC"))
    end)

    it("reports a refused token without showing it", function()
      oidc_env("forged-token-value")
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
      local res, err = client():update_qrdl(ARGS)
      assert.is_nil(res)
      assert.equals("Credentials.Unavailable", err.code)
      assert.is_false(err.retryable)
      assert.equals(400, err.status)
      assert.is_true(contains(err.message, "; OIDC role " .. ROLE_ARN
        .. ": STS refused: AuthenticationFail.OIDCToken.Invalid"), err.message)
      assert.is_false(contains(tostring(err), "forged-token-value"))
      assert.equals(0, #requests("UpdatePhoneMessageQrdl"))
    end)
  end)

  describe("RAM role ARN", function()
    it("assumes the role of a CLI RamRoleArn profile with a V2-signed AssumeRole", function()
      config_json{ mode = "RamRoleArn", access_key_id = "testid", access_key_secret = "testsecret",
                   ram_role_arn = ROLE_ARN, ram_session_name = "cli-session", expired_seconds = 0,
                   region_id = "ap-southeast-1" }
      local c = client()
      assert.equals(0, m:request_count())
      local id = update_ok(c)
      assert.matches("^STS%.", id)
      local r = requests("AssumeRole")[1]
      assert.equals("v2", r.signature_version)
      assert.equals("testid", r.access_key_id)
      assert.equals(ROLE_ARN, r.params.RoleArn)
      assert.equals("cli-session", r.params.RoleSessionName)
      assert.equals("3600", r.params.DurationSeconds)
      assert.is_nil(r.params.Policy)
      assert.is_true(contains(tostring(c), id:sub(1, 4) .. "****"))
    end)

    it("assumes the role of a credentials-file ram_role_arn section with its policy", function()
      local policy = '{"Statement":[{"Action":"cams:*","Effect":"Allow","Resource":"*"}],"Version":"1"}'
      home:write(".alibabacloud/credentials", table.concat({
        "[project]", "type = ram_role_arn", "access_key_id = testid",
        "access_key_secret = testsecret", "role_arn = " .. ROLE_ARN,
        "role_session_name = file-session", "policy = " .. policy, "external_id = ext-42",
        "duration_seconds = 900",
      }, "\n"))
      local c = client{ profile = "project" }
      assert.matches("^STS%.", update_ok(c))
      local r = requests("AssumeRole")[1]
      assert.equals("file-session", r.params.RoleSessionName)
      assert.equals(policy, r.params.Policy)
      assert.equals("ext-42", r.params.ExternalId)
      assert.equals("900", r.params.DurationSeconds)
    end)

    it("reports a refused AssumeRole with the STS code", function()
      config_json{ mode = "RamRoleArn", access_key_id = "testid", access_key_secret = "wrong",
                   ram_role_arn = ROLE_ARN }
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
      local _, err = client():update_qrdl(ARGS)
      assert.equals("Credentials.Unavailable", err.code)
      assert.is_false(err.retryable)
      assert.is_true(contains(err.message, "STS refused: SignatureDoesNotMatch"), err.message)
    end)
  end)

  describe("ECS RAM role", function()
    local function metadata_requests()
      local out = {}
      for _, r in ipairs(requests("Metadata")) do
        out[#out + 1] = r.method .. " " .. r.uri .. " " .. r.status
          .. (r.headers["x-aliyun-ecs-metadata-token"] and " token" or "")
      end
      return out
    end

    it("asks the metadata service with a session token", function()
      m:credentials{ metadata_token = "required", metadata_role = "EcsRole" }
      local c = client()
      assert.equals("ecs_ram_role", c.credentials_source)
      assert.equals(0, m:request_count())
      assert.matches("^STS%.", update_ok(c))
      assert.same({
        "PUT /latest/api/token 200",
        "GET /latest/meta-data/ram/security-credentials/ 200 token",
        "GET /latest/meta-data/ram/security-credentials/EcsRole 200 token",
      }, metadata_requests())
    end)

    it("falls back to plain requests when there is no token service", function()
      m:credentials{ metadata_token = "unsupported" }
      env.ALIBABA_CLOUD_ECS_METADATA = "EcsRamRoleMock"
      assert.matches("^STS%.", update_ok(client()))
      assert.same({
        "PUT /latest/api/token 404",
        "GET /latest/meta-data/ram/security-credentials/EcsRamRoleMock 200",
      }, metadata_requests())
    end)

    it("falls back to plain requests when the token request is reset or never answered", function()
      env.ALIBABA_CLOUD_ECS_METADATA = "EcsRamRoleMock"
      m:fail_metadata(1, "token_reset")
      assert.matches("^STS%.", update_ok(client()))
      m:fail_metadata(1, "token_hang") -- unanswered until the client's metadata timeout
      assert.matches("^STS%.", update_ok(client()))
      assert.same({
        "PUT /latest/api/token 444",
        "GET /latest/meta-data/ram/security-credentials/EcsRamRoleMock 200",
        "PUT /latest/api/token 444",
        "GET /latest/meta-data/ram/security-credentials/EcsRamRoleMock 200",
      }, metadata_requests())
    end)

    it("asks again without the token when requests carrying it get 401", function()
      m:credentials{ metadata_token = "rejected" }
      local c = client()
      assert.matches("^STS%.", update_ok(c))
      assert.same({
        "PUT /latest/api/token 200",
        "GET /latest/meta-data/ram/security-credentials/ 401 token",
        "GET /latest/meta-data/ram/security-credentials/ 200",
        "GET /latest/meta-data/ram/security-credentials/EcsRamRoleMock 200",
      }, metadata_requests())
    end)

    it("does not fall back when ALIBABA_CLOUD_IMDSV1_DISABLED=true", function()
      m:credentials{ metadata_token = "unsupported" }
      env.ALIBABA_CLOUD_IMDSV1_DISABLED = "true"
      local _, err = client():update_qrdl(ARGS)
      assert.equals("Credentials.Unavailable", err.code)
      assert.is_false(err.retryable)
      assert.is_true(contains(err.message, "PUT /latest/api/token answered HTTP 404"), err.message)
      assert.equals(1, #requests("Metadata"))
      m:reset()
      m:fail_metadata(1, "token_reset")
      _, err = client{ retries = 0 }:update_qrdl(ARGS)
      assert.equals("Credentials.Unavailable", err.code)
      assert.same({ "PUT /latest/api/token 444" }, metadata_requests())
      m:reset()
      m:credentials{ metadata_token = "rejected" }
      env.ALIBABA_CLOUD_ECS_METADATA = "EcsRamRoleMock"
      _, err = client():update_qrdl(ARGS)
      assert.equals("Credentials.Unavailable", err.code)
      assert.same({ "PUT /latest/api/token 200",
        "GET /latest/meta-data/ram/security-credentials/EcsRamRoleMock 401 token" },
        metadata_requests())
    end)

    it("is a source that does not apply on an instance without a RAM role", function()
      m:credentials{ metadata_role = "" }
      local _, err = client():update_qrdl(ARGS)
      assert.equals("MissingCredentials", err.code)
      assert.is_true(contains(err.message, "; ECS RAM role: GET "
        .. "/latest/meta-data/ram/security-credentials/ answered HTTP 404"), err.message)
    end)

    it("refuses a listed role that is not a role name, without quoting it", function()
      m:credentials{ metadata_role = "CAIS+Listed=Token" }
      local res, err = client():update_qrdl(ARGS)
      assert.is_nil(res)
      assert.equals("Credentials.Unavailable", err.code)
      assert.is_true(contains(err.message, "the metadata service listed no usable role name"),
        err.message)
      assert.is_false(contains(err.message, "Listed"), err.message)
      assert.equals(2, #requests("Metadata")) -- the token and the list, nothing with that name
    end)

    it("uses the role named by a CLI EcsRamRole profile or an ecs_ram_role section", function()
      m:credentials{ metadata_role = "ProfileRole" }
      config_json{ mode = "EcsRamRole", ram_role_name = "ProfileRole" }
      assert.matches("^STS%.", update_ok(client()))
      os.remove(home.path .. "/.aliyun/config.json")
      home:write(".alibabacloud/credentials", "[default]\ntype = ecs_ram_role\nrole_name = ProfileRole\n")
      local c = client()
      assert.equals("credentials_file", c.credentials_source)
      assert.matches("^STS%.", update_ok(c))
      local uris = {}
      for _, r in ipairs(requests("Metadata")) do uris[r.uri] = true end
      assert.is_nil(uris["/latest/meta-data/ram/security-credentials/"]) -- role known, not asked
    end)

    it("answers MissingCredentials naming every source when nothing works", function()
      local probe = assert(socket.bind("127.0.0.1", 0))
      local _, port = probe:getsockname()
      probe:close()
      local c = client{ metadata_endpoint = "127.0.0.1:" .. port }
      local res, err = c:update_qrdl(ARGS)
      assert.is_nil(res)
      assert.equals("MissingCredentials", err.code)
      for _, label in ipairs{ "options:", "environment:", "OIDC role:", "aliyun CLI profile:",
                              "credentials file:", "; ECS RAM role: the metadata service at "
                              .. "http://127.0.0.1:" .. port .. " did not answer" } do
        assert.is_true(contains(err.message, label), label)
      end
      assert.equals(0, m:request_count())
    end)
  end)

  describe("answers of the credentials services", function()
    -- A client whose debug messages are collected in `messages`.
    local function debug_client(messages, opts)
      opts = opts or {}
      opts.debug = function(msg) messages[#messages + 1] = msg end
      return client(opts)
    end

    before_each(function() env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" end)

    it("names an STS answer cut off after its Credentials without quoting it", function()
      config_json{ mode = "RamRoleArn", access_key_id = "testid", access_key_secret = "testsecret",
                   ram_role_arn = ROLE_ARN }
      m:fail_sts("cut", 1, CUT)
      local messages = {}
      local _, err = debug_client(messages, { retries = 0 }):update_qrdl(ARGS)
      local all = tostring(err) .. "\n" .. table.concat(messages, "\n")
      assert.is_nil(leaked(all, { CUT.access_key_secret, CUT.security_token }), all)
      assert.equals("Credentials.Unavailable", err.code)
      assert.is_true(contains(err.message, "STS answered HTTP 200 with a body that is not a "
        .. "complete JSON object ("), err.message)
      assert.equals(1, #requests("AssumeRole"))
    end)

    it("keeps the OIDC token out of STS answers that quote it, in any encoding", function()
      local token = "eyJ+OIDC/token=with space"
      m:credentials{ oidc_token = token }
      oidc_env(token)
      for _, fault in ipairs{ "echo", "echo_page" } do
        m:fail_sts(fault)
        local messages = {}
        local _, err = debug_client(messages, { retries = 0 }):update_qrdl(ARGS)
        local all = tostring(err) .. "\n" .. table.concat(messages, "\n")
        assert.is_nil(leaked(all, { token }), all)
        assert.equals("Credentials.Unavailable", err.code)
        if fault == "echo" then
          assert.is_true(contains(err.message, "STS refused: InvalidParameter: The request could "
            .. "not be processed: "), err.message)
        else
          assert.is_true(contains(err.message, "STS answered HTTP 502 with a body that is not a "
            .. "complete JSON object ("), err.message)
        end
      end
      assert.matches("^STS%.", update_ok(client())) -- the token itself is accepted
    end)

    it("names a metadata answer cut off after the credentials without quoting it", function()
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = nil
      env.ALIBABA_CLOUD_ECS_METADATA = "EcsRamRoleMock"
      m:fail_metadata(1, "cut", CUT)
      local messages = {}
      local _, err = debug_client(messages, { retries = 0 }):update_qrdl(ARGS)
      local all = tostring(err) .. "\n" .. table.concat(messages, "\n")
      assert.is_nil(leaked(all, { CUT.access_key_secret, CUT.security_token }), all)
      assert.equals("Credentials.Unavailable", err.code)
      assert.is_true(contains(err.message, "role EcsRamRoleMock: the metadata service answered "
        .. "HTTP 200 with a body that is not a complete JSON object ("), err.message)
    end)
  end)

  describe("chain", function()
    it("moves on when a source fails and keeps the one that worked", function()
      oidc_env()
      config_json{ mode = "AK", access_key_id = "testid", access_key_secret = "testsecret" }
      m:fail_sts("ServiceUnavailable")
      local c = client()
      assert.equals("oidc_role_arn", c.credentials_source)
      assert.equals("testid", update_ok(c))
      assert.equals("cli_profile", c.credentials_source)
      assert.equals("testid", update_ok(c))
      assert.equals(1, #requests("AssumeRoleWithOIDC")) -- not asked again
    end)

    it("selects the profile by option and by ALIBABA_CLOUD_PROFILE", function()
      home:write(".aliyun/config.json", cjson.encode{ current = "perm", profiles = {
        { name = "perm", mode = "AK", access_key_id = "testid", access_key_secret = "testsecret" },
        { name = "temp", mode = "StsToken", access_key_id = "stsid", access_key_secret = "stssecret",
          sts_token = "ststoken", region_id = "ap-southeast-1" },
      } })
      assert.equals("testid", update_ok(client()))
      env.ALIBABA_CLOUD_PROFILE = "temp"
      assert.equals("stsid", update_ok(client()))
      assert.equals("testid", update_ok(client{ profile = "perm" }))
    end)
  end)

  describe("refresh", function()
    local base, now

    -- One clock for the client and the mock: both read `now`, `seconds` after the start.
    local function at(seconds)
      now = base + seconds
      m:credentials{ clock = now }
    end

    before_each(function()
      base = os.time()
      now = base
      credentials.now = function() return now end
      m:credentials{ duration = 1200, clock = now } -- 20-minute credentials
    end)

    local function assumed_ids()
      local ids = {}
      for _, r in ipairs(requests("UpdatePhoneMessageQrdl")) do
        if ids[#ids] ~= r.access_key_id then ids[#ids + 1] = r.access_key_id end
      end
      return ids
    end

    it("keeps a long-running client working across refreshes of 20-minute credentials", function()
      config_json{ mode = "RamRoleArn", access_key_id = "testid", access_key_secret = "testsecret",
                   ram_role_arn = ROLE_ARN }
      local c = client()
      local first = update_ok(c)
      at(4 * 60)
      assert.equals(first, update_ok(c)) -- fresh for 5 minutes (15 before expiry)
      at(6 * 60)
      local second = update_ok(c)
      assert.are_not.equals(first, second)
      at(21 * 60) -- the first credentials have expired at the mock
      local third = update_ok(c)
      at(25 * 60)
      assert.equals(third, update_ok(c)) -- issued at 21 minutes, fresh until 26
      at(35 * 60)
      local fourth = update_ok(c)
      assert.same({ first, second, third, fourth }, assumed_ids())
      assert.equals(4, #requests("AssumeRole"))
      assert.equals(0, #requests("Metadata"))
    end)

    it("would fail without a refresh: the mock refuses expired credentials", function()
      oidc_env()
      local core = require "cams.core"
      local curl = require "cams.transport.curl"
      local getenv = function(name) return env[name] end
      local s = assert(require("cams.config").settings({ sts_endpoint = m.endpoint }, getenv))
      local provider = assert(credentials.new({ sts_endpoint = m.endpoint }, {
        getenv = getenv, core = core, user_agent = "spec",
        http = { timeout = 5, connect_timeout = 5, ca_file = m.ca_file, proxy = "" },
        transport = function(settings) return curl.new(core, settings) end,
        sts_endpoint = s.sts_endpoint, metadata_url = s.metadata_url,
      }))
      local creds = assert(provider:get())
      provider:close()
      local fixed = client{ access_key_id = creds.access_key_id,
                            access_key_secret = creds.access_key_secret,
                            security_token = creds.security_token }
      assert.equals(creds.access_key_id, update_ok(fixed))
      at(20 * 60)
      local res, err = fixed:update_qrdl(ARGS)
      assert.is_nil(res)
      assert.equals("InvalidSecurityToken.Expired", err.code)
    end)

    it("keeps valid credentials when STS fails, and errors only once they expire", function()
      oidc_env()
      local c = client()
      local first = update_ok(c)
      m:fail_sts("InternalError")
      at(10 * 60) -- stale: refresh fails, the first credentials are still valid
      assert.equals(first, update_ok(c))
      local sts = requests("AssumeRoleWithOIDC")
      assert.equals(2, #sts)
      assert.equals(500, sts[2].status)
      at(10 * 60 + 5) -- within the retry pause: STS is not asked
      assert.equals(first, update_ok(c))
      assert.equals(2, #requests("AssumeRoleWithOIDC"))
      m:fail_sts("InternalError", 10)
      at(20 * 60) -- expired, STS still failing
      local res, err = c:update_qrdl(ARGS)
      assert.is_nil(res)
      assert.equals("Credentials.Unavailable", err.code)
      assert.is_true(err.retryable)
      assert.matches("InternalError", err.message)
      m:reset()
      m:keep_codes(true)
      m:credentials{ duration = 1200, clock = now }
      assert.matches("^STS%.", update_ok(c))
    end)

    it("reports an STS failure alike on the first fetch and on a refresh", function()
      oidc_env()
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
      local c = client{ retries = 0 }
      local function failure()
        m:fail_sts("ServiceUnavailable")
        local res, err = c:update_qrdl(ARGS)
        assert.is_nil(res)
        local sts = requests("AssumeRoleWithOIDC")
        return { code = err.code, retryable = err.retryable, status = err.status,
                 request_id = err.request_id, sts_request_id = sts[#sts].request_id }
      end
      local first = failure()
      assert.same({ code = "Credentials.Unavailable", retryable = true, status = 503,
                    request_id = first.sts_request_id, sts_request_id = first.sts_request_id },
        first)
      update_ok(c)
      at(20 * 60) -- expired: only a refresh can help
      local later = failure()
      assert.same({ code = "Credentials.Unavailable", retryable = true, status = 503,
                    request_id = later.sts_request_id, sts_request_id = later.sts_request_id },
        later)
    end)

    it("refreshes ECS role credentials once less than an hour is left", function()
      m:credentials{ duration = 3 * 3600 }
      local c = client()
      local first = update_ok(c)
      at(2 * 3600 - 1)
      assert.equals(first, update_ok(c))
      at(2 * 3600)
      local second = update_ok(c)
      assert.are_not.equals(first, second)
      assert.same({ first, second }, assumed_ids())
    end)

    it("refreshes shorter-lived ECS role credentials halfway through", function()
      local c = client()
      local first = update_ok(c)
      at(10 * 60 - 1) -- 20-minute credentials: fresh for 10 minutes
      assert.equals(first, update_ok(c))
      at(10 * 60)
      local second = update_ok(c)
      assert.are_not.equals(first, second)
      m:fail_metadata(1)
      at(20 * 60)
      assert.equals(second, update_ok(c))
      assert.equals(500, requests("Metadata")[#requests("Metadata")].status)
    end)
  end)
end)

-- Credential sources, the chain and the refresh cache, without a server: the environment
-- is a table, HOME a temporary directory and the transport a recorder that answers nothing.
-- Requests against the mock STS and metadata service are in spec/e2e/credentials_spec.lua.
local credentials = require "cams.credentials"
local config = require "cams.config"
local refreshing = require "cams.credentials.refreshing"
local ini = require "cams.credentials.ini"
local core = require "cams.core"
local tmphome = require "spec.support.tmphome"
local util = require "spec.support.util"
local cjson = require "cjson"

local SECRET = "Secret-Of-The-Profile-000"
local TOKEN = "Token-Of-The-Profile-000"
local contains = util.contains

-- A transport that records requests (as tables) and fails them all (no network in these
-- specs): refused before anything was sent, or the way `t.failure` says ({code, message,
-- sent}).
local function recorder()
  local t = { requests = {}, closed = 0 }
  function t.new()
    return {
      request = function(_, req)
        t.requests[#t.requests + 1] = { method = req:method(), url = req:url(),
          headers = req:headers(), body = req:body() }
        local f = t.failure or { "Transport.Connect", "no network in this spec", false }
        return nil, f[1], f[2], f[3]
      end,
      close = function() t.closed = t.closed + 1 end,
    }
  end
  return t
end

describe("cams.credentials", function()
  local home, env, net, saved_now

  -- The provider of a client with these options (the endpoints of STS and of the metadata
  -- service come from its settings, as for a client).
  local function build(opts)
    opts = opts or {}
    local getenv = function(name) return env[name] end
    local s, err = config.settings(opts, getenv)
    if not s then return nil, err end
    return credentials.new(opts, {
      getenv = getenv, core = core, user_agent = "spec",
      http = { timeout = 1, connect_timeout = 1 }, transport = net.new,
      sts_endpoint = s.sts_endpoint, metadata_url = s.metadata_url,
    })
  end

  local function config_json(profiles, current, mode)
    return home:write(".aliyun/config.json", cjson.encode{ current = current, profiles = profiles },
      mode)
  end

  setup(function() home = tmphome.new() end)
  teardown(function() home:remove() end)

  before_each(function()
    env = { HOME = home.path }
    net = recorder()
    saved_now = credentials.now
  end)

  after_each(function()
    credentials.now = saved_now
    home:clear()
  end)

  describe("chain order", function()
    local function all_sources()
      env.ALIBABA_CLOUD_ACCESS_KEY_ID = "env-id"
      env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = "env-secret"
      config_json({ { name = "default", mode = "AK", access_key_id = "cli-id",
                      access_key_secret = SECRET } }, "default")
      home:write(".alibabacloud/credentials",
        "[default]\ntype = access_key\naccess_key_id = file-id\naccess_key_secret = x\n")
    end

    it("prefers options, then the environment, the CLI profile, the credentials file", function()
      all_sources()
      local p = assert(build{ access_key_id = "opt-id", access_key_secret = "opt-secret" })
      assert.equals("options", p.source)
      assert.equals("opt-id", assert(p:get()).access_key_id)

      p = assert(build())
      assert.equals("environment", p.source)
      assert.equals("env-id", assert(p:get()).access_key_id)

      env.ALIBABA_CLOUD_ACCESS_KEY_ID = nil
      env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = nil
      p = assert(build())
      assert.equals("cli_profile", p.source)
      assert.equals("cli-id", assert(p:get()).access_key_id)

      os.remove(home.path .. "/.aliyun/config.json")
      p = assert(build())
      assert.equals("credentials_file", p.source)
      assert.equals("file-id", assert(p:get()).access_key_id)
      assert.equals(0, #net.requests)
    end)

    it("puts the OIDC role before the CLI profile", function()
      all_sources()
      env.ALIBABA_CLOUD_ACCESS_KEY_ID = nil
      env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = nil
      env.ALIBABA_CLOUD_ROLE_ARN = "acs:ram::123456789012:role/app"
      env.ALIBABA_CLOUD_OIDC_PROVIDER_ARN = "acs:ram::123456789012:oidc-provider/ack"
      env.ALIBABA_CLOUD_OIDC_TOKEN_FILE = home:write("token", "jwt")
      local p = assert(build())
      assert.equals("oidc_role_arn", p.source)
      assert.equals(0, #net.requests) -- construction never touches the network
    end)

    it("ends with the ECS RAM role unless it is turned off", function()
      local p = assert(build())
      assert.equals("ecs_ram_role", p.source)
      assert.equals(0, #net.requests)
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "TRUE"
      local none, err = build()
      assert.is_nil(none)
      assert.equals("MissingCredentials", err.code)
      assert.equals(0, #net.requests)
    end)

    it("skips a half-configured source and says why", function()
      all_sources()
      env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = nil
      local p = assert(build())
      assert.equals("cli_profile", p.source)
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
      os.remove(home.path .. "/.aliyun/config.json")
      os.remove(home.path .. "/.alibabacloud/credentials")
      local _, err = build()
      assert.matches("ALIBABA_CLOUD_ACCESS_KEY_ID is set but ALIBABA_CLOUD_ACCESS_KEY_SECRET is not",
        err.message, 1, true)
    end)

    it("falls through to the next source when one fails, then sticks to the winner", function()
      env.ALIBABA_CLOUD_ECS_METADATA = "role"
      config_json({ { name = "default", mode = "EcsRamRole", ram_role_name = "role" } })
      home:write(".alibabacloud/credentials",
        "[default]\naccess_key_id = file-id\naccess_key_secret = file-secret\n")
      local p = assert(build())
      assert.equals("cli_profile", p.source)
      local c = assert(p:get())
      assert.equals("file-id", c.access_key_id)
      assert.equals("credentials_file", p.source)
      local n = #net.requests
      assert.is_true(n > 0) -- the metadata service was asked first
      assert(p:get())
      assert.equals(n, #net.requests)
    end)

    it("requires both keys of a pair in the options", function()
      local _, err = build{ access_key_id = "id" }
      assert.equals("InvalidParameter", err.code)
      _, err = build{ security_token = "t" }
      assert.equals("InvalidParameter", err.code)
      _, err = build{ access_key_id = "id", access_key_secret = "s",
                      credentials_provider = function() end }
      assert.equals("InvalidParameter", err.code)
      assert.matches("credentials_provider", err.message)
    end)
  end)

  describe("MissingCredentials", function()
    it("names every source and why it did not apply, without secrets", function()
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
      env.ALIBABA_CLOUD_ACCESS_KEY_ID = "LTAIvisibleid"
      env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = SECRET .. " "
      config_json({ { name = "default", mode = "StsToken", access_key_id = "a",
                      access_key_secret = SECRET } })
      home:write(".alibabacloud/credentials", "[other]\naccess_key_id = x\n")
      local p, err = build()
      assert.is_nil(p)
      assert.equals("MissingCredentials", err.code)
      local msg = tostring(err)
      for _, needle in ipairs{
        "options: no access_key_id/access_key_secret or credentials_provider given",
        "environment: ALIBABA_CLOUD_ACCESS_KEY_SECRET must not contain whitespace",
        "OIDC role: ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, "
          .. "ALIBABA_CLOUD_OIDC_TOKEN_FILE are not set",
        "; aliyun CLI profile 'default'", "sts_token is required",
        "credentials file: " .. home.path .. "/.alibabacloud/credentials has no [default] section",
        "ECS RAM role: turned off by ALIBABA_CLOUD_ECS_METADATA_DISABLED=true",
      } do
        assert.is_true(contains(msg, needle), needle .. " not in " .. msg)
      end
      assert.is_false(contains(msg, SECRET))
      assert.equals(6, #err.tried)
      assert.equals("ecs_ram_role", err.tried[6].source)
    end)

    it("explains a missing HOME and missing files", function()
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
      local _, err = build()
      assert.is_true(contains(err.message, home.path .. "/.aliyun/config.json not found"))
      assert.is_true(contains(err.message, home.path .. "/.alibabacloud/credentials not found"))
      env.HOME = nil
      _, err = build()
      assert.is_true(contains(err.message, "aliyun CLI profile: HOME is not set"))
      env.ALIBABA_CLOUD_CREDENTIALS_FILE = home.path .. "/nowhere"
      _, err = build()
      assert.is_true(contains(err.message,
        "ALIBABA_CLOUD_CREDENTIALS_FILE: " .. home.path .. "/nowhere not found"))
    end)
  end)

  describe("aliyun CLI profile", function()
    local profiles = {
      { name = "default", mode = "AK", access_key_id = "default-id", access_key_secret = SECRET,
        region_id = "cn-hangzhou" },
      { name = "sts", mode = "StsToken", access_key_id = "sts-id", access_key_secret = SECRET,
        sts_token = TOKEN, region_id = "eu-central-1" },
      { name = "current", mode = "AK", access_key_id = "current-id", access_key_secret = SECRET },
    }

    it("picks the profile option, else ALIBABA_CLOUD_PROFILE, else current, else default", function()
      config_json(profiles, "current")
      assert.equals("current-id", assert(assert(build()):get()).access_key_id)
      env.ALIBABA_CLOUD_PROFILE = "sts"
      local c = assert(assert(build()):get())
      assert.equals("sts-id", c.access_key_id)
      assert.equals(TOKEN, c.security_token)
      assert.equals("default-id", assert(assert(build{ profile = "default" }):get()).access_key_id)
      env.ALIBABA_CLOUD_PROFILE = nil
      config_json(profiles, nil)
      assert.equals("default-id", assert(assert(build()):get()).access_key_id)
    end)

    it("gives the profile's region", function()
      config_json(profiles, "sts")
      assert.equals("eu-central-1", assert(build()).region())
      assert.equals("cn-hangzhou", assert(build{ profile = "default",
        access_key_id = "a", access_key_secret = "b" }).region())
    end)

    it("reports an unknown profile, a bad mode and bad JSON", function()
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
      config_json(profiles, "nope")
      local _, err = build()
      assert.is_true(contains(err.message, "has no profile 'nope'"))
      config_json({ { name = "default", mode = "CloudSSO" } })
      _, err = build()
      assert.is_true(contains(err.message, "mode CloudSSO is not supported"))
      home:write(".aliyun/config.json", "{ not json")
      _, err = build()
      assert.is_true(contains(err.message, "config.json is not valid JSON"))
      env.ALIBABA_CLOUD_CLI_PROFILE_DISABLED = "true"
      _, err = build()
      assert.is_true(contains(err.message, "turned off by ALIBABA_CLOUD_CLI_PROFILE_DISABLED"))
    end)

    it("checks RamRoleArn settings before any request", function()
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
      config_json({ { name = "default", mode = "RamRoleArn", access_key_id = "id",
                      access_key_secret = SECRET, ram_role_arn = "acs:ram::1:role/r",
                      expired_seconds = 300 } })
      local _, err = build()
      assert.is_true(contains(err.message, "at least 900"))
      config_json({ { name = "default", mode = "RamRoleArn", access_key_id = "id",
                      access_key_secret = SECRET, ram_role_arn = "acs:ram::1:role/r",
                      expired_seconds = 0, sts_region = "cn-shanghai" } })
      assert.equals("cli_profile", assert(build()).source)
      assert.equals(0, #net.requests)
    end)
  end)

  describe("STS endpoint", function()
    local function first_url(profile_extra)
      local p = { name = "default", mode = "RamRoleArn", access_key_id = "id",
                  access_key_secret = SECRET, ram_role_arn = "acs:ram::1:role/r" }
      for k, v in pairs(profile_extra or {}) do p[k] = v end
      config_json({ p })
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
      net.requests = {}
      local _, err = assert(build()):get()
      assert.is_false(contains(tostring(err), SECRET))
      return net.requests[1].url:match("^(https://[^/]+)/")
    end

    it("is sts.aliyuncs.com unless a region, a VPC or an override says otherwise", function()
      assert.equals("https://sts.aliyuncs.com", first_url())
      assert.equals("https://sts.cn-shanghai.aliyuncs.com", first_url{ sts_region = "cn-shanghai" })
      assert.equals("https://sts.example.test", first_url{ sts_endpoint = "sts.example.test" })
      assert.equals("https://sts.example.test:8443", first_url{ sts_region = "cn-shanghai",
        sts_endpoint = "https://sts.example.test:8443" }) -- the profile's endpoint wins
      env.ALIBABA_CLOUD_STS_REGION = "eu-central-1"
      assert.equals("https://sts.eu-central-1.aliyuncs.com", first_url())
      env.ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED = "true"
      assert.equals("https://sts-vpc.eu-central-1.aliyuncs.com", first_url())
      env.ALIBABA_CLOUD_STS_ENDPOINT = "sts.example.test:8443"
      assert.equals("https://sts.example.test:8443", first_url())
      assert.equals("https://sts.example.test:8443", first_url{ sts_endpoint = "other.test" })
    end)

    it("is the sts_endpoint or sts_region of a credentials-file section", function()
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
      local section = "[default]\ntype = ram_role_arn\naccess_key_id = id\naccess_key_secret = "
        .. SECRET .. "\nrole_arn = acs:ram::1:role/r\n"
      local function url(extra)
        home:write(".alibabacloud/credentials", section .. extra)
        net.requests = {}
        assert(build()):get()
        return net.requests[1].url:match("^(https://[^/]+)/")
      end
      assert.equals("https://sts.cn-shanghai.aliyuncs.com", url("sts_region = cn-shanghai\n"))
      assert.equals("https://sts.example.test", url("sts_region = cn-shanghai\n"
        .. "sts_endpoint = sts.example.test\n"))
    end)

    it("refuses a profile's sts_endpoint that is not a host", function()
      config_json({ { name = "default", mode = "RamRoleArn", access_key_id = "id",
                      access_key_secret = SECRET, ram_role_arn = "acs:ram::1:role/r",
                      sts_endpoint = "http://sts.example.test" } })
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
      local p, err = build()
      assert.is_nil(p)
      assert.equals("MissingCredentials", err.code)
      assert.is_true(contains(err.message, "sts_endpoint http:// is refused"), err.message)
    end)

    it("names the session ALIBABA_CLOUD_ROLE_SESSION_NAME unless the profile names it", function()
      local function session(extra)
        first_url(extra)
        return net.requests[1].body:match("RoleSessionName=([^&]*)")
      end
      assert.matches("^lua%-cams%-%d+$", session())
      env.ALIBABA_CLOUD_ROLE_SESSION_NAME = "env-session"
      assert.equals("env-session", session())
      assert.equals("cli-session", session{ ram_session_name = "cli-session" })
      home:write(".alibabacloud/credentials", "[default]\ntype = ram_role_arn\n"
        .. "access_key_id = id\naccess_key_secret = " .. SECRET .. "\nrole_arn = acs:ram::1:role/r\n")
      os.remove(home.path .. "/.aliyun/config.json")
      net.requests = {}
      assert(build()):get()
      assert.equals("env-session", net.requests[1].body:match("RoleSessionName=([^&]*)"))
    end)

    it("reports a failed AssumeRole as Credentials.Unavailable, not as a skipped source", function()
      first_url()
      local _, err = assert(build()):get()
      assert.equals("Credentials.Unavailable", err.code)
      assert.is_true(err.retryable) -- a connection failure
      assert.is_true(contains(err.message, "STS at https://sts.aliyuncs.com could not be reached: "
        .. "Transport.Connect"), err.message)
      assert.equals(6, #err.tried)
      assert.is_true(contains(err.message, "ECS RAM role: turned off"), err.message)
    end)

    it("signs AssumeRole with V2 and the profile's AccessKey", function()
      first_url{ ram_session_name = "s", policy = "{}" }
      local r = net.requests[1]
      assert.equals("POST", r.method)
      assert.matches("[?&]Action=AssumeRole&", r.url)
      assert.matches("[?&]Version=2015%-04%-01&", r.url)
      assert.matches("[?&]AccessKeyId=id&", r.url)
      assert.matches("[?&]SignatureMethod=HMAC%-SHA1&", r.url)
      assert.matches("[?&]Signature=", r.url)
      assert.matches("RoleArn=acs%%3Aram%%3A%%3A1%%3Arole%%2Fr", r.body)
      assert.matches("DurationSeconds=3600", r.body)
      assert.is_false(contains(r.url .. r.body, SECRET))
    end)
  end)

  describe("credentials file", function()
    local text = table.concat({
      "; written by hand",
      "[default]",
      "type = access_key           # trailing comment",
      "access_key_id = default-id",
      "access_key_secret = " .. SECRET,
      "",
      "[sts]",
      "type = sts",
      "access_key_id = sts-id",
      'access_key_secret = "' .. SECRET .. '"',
      "security_token = " .. TOKEN,
      "[odd]",
      "type = rsa_key_pair",
    }, "\n")

    it("reads the section of the profile option, ALIBABA_CLOUD_PROFILE or default", function()
      home:write(".alibabacloud/credentials", text)
      local c = assert(assert(build()):get())
      assert.equals("default-id", c.access_key_id)
      assert.equals(SECRET, c.access_key_secret)
      env.ALIBABA_CLOUD_PROFILE = "sts"
      c = assert(assert(build()):get())
      assert.equals("sts-id", c.access_key_id)
      assert.equals(SECRET, c.access_key_secret)
      assert.equals(TOKEN, c.security_token)
      c = assert(assert(build{ profile = "default" }):get())
      assert.equals("default-id", c.access_key_id)
    end)

    it("honours ALIBABA_CLOUD_CREDENTIALS_FILE and the credentials.ini name", function()
      env.ALIBABA_CLOUD_CREDENTIALS_FILE = home:write("elsewhere.ini", text)
      assert.equals("default-id", assert(assert(build()):get()).access_key_id)
      env.ALIBABA_CLOUD_CREDENTIALS_FILE = nil
      home:write(".alibabacloud/credentials.ini", text)
      assert.equals("default-id", assert(assert(build()):get()).access_key_id)
    end)

    it("refuses unknown types and malformed files", function()
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
      home:write(".alibabacloud/credentials", text)
      local _, err = build{ profile = "odd" }
      assert.is_true(contains(err.message, "type rsa_key_pair is not supported"))
      home:write(".alibabacloud/credentials", "access_key_id = " .. SECRET .. "\n")
      _, err = build()
      assert.is_true(contains(err.message, "line 1: key outside of a [section]"))
      assert.is_false(contains(err.message, SECRET))
    end)
  end)

  describe("INI reader", function()
    it("keeps values whole and strips comments and quotes", function()
      local t = assert(ini.parse("\239\187\191[a]\r\nk = v=w # c\r\n[ b ]\nq = \"x # y\"\n; c\n"))
      assert.equals("v=w", t.a.k)
      assert.equals("x # y", t.b.q)
      assert.is_nil(ini.parse("[a\n"))
      assert.is_nil(ini.parse("[a]\nnovalue\n"))
    end)
  end)

  describe("OIDC role", function()
    it("needs all three variables and a readable token file", function()
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
      env.ALIBABA_CLOUD_ROLE_ARN = "acs:ram::1:role/r"
      local _, err = build()
      assert.is_true(contains(err.message, "ALIBABA_CLOUD_ROLE_ARN is set but "
        .. "ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE are not"))
      env.ALIBABA_CLOUD_OIDC_PROVIDER_ARN = "acs:ram::1:oidc-provider/p"
      env.ALIBABA_CLOUD_OIDC_TOKEN_FILE = home.path .. "/missing-token"
      _, err = build()
      assert.is_true(contains(err.message, "ALIBABA_CLOUD_OIDC_TOKEN_FILE: "
        .. home.path .. "/missing-token not found"))
    end)
  end)

  describe("endpoints", function()
    it("checks the STS and metadata endpoints", function()
      local _, err = build{ sts_endpoint = "http://127.0.0.1:1" }
      assert.equals("InvalidParameter", err.code)
      assert.matches("sts_endpoint", err.message)
      env.ALIBABA_CLOUD_STS_ENDPOINT = "bad host"
      _, err = build()
      assert.matches("ALIBABA_CLOUD_STS_ENDPOINT", err.message)
      env.ALIBABA_CLOUD_STS_ENDPOINT = nil
      _, err = build{ metadata_endpoint = "ftp://x" }
      assert.matches("metadata_endpoint", err.message)
    end)

    it("asks the metadata service at the configured address over plain HTTP", function()
      env.ALIBABA_CLOUD_ECS_METADATA_ENDPOINT = "127.0.0.1:9"
      local p = assert(build())
      local c, err = p:get()
      assert.is_nil(c)
      assert.equals("MissingCredentials", err.code)
      assert.equals("http://127.0.0.1:9/latest/api/token", net.requests[1].url)
      assert.equals("PUT", net.requests[1].method)
      assert.equals("21600", net.requests[1].headers["x-aliyun-ecs-metadata-token-ttl-seconds"])
      assert.equals(1, #net.requests) -- nothing answered: no second try without a token
      assert.matches("ECS RAM role: the metadata service at http://127.0.0.1:9 did not answer",
        err.message, 1, true)
    end)

    it("does not quote a broken answer the transport reports", function()
      env.ALIBABA_CLOUD_ECS_METADATA_ENDPOINT = "127.0.0.1:9"
      env.ALIBABA_CLOUD_ECS_METADATA = "role"
      net.failure = { "Response.Malformed", "broken HTTP response from 127.0.0.1:9: chunk size "
        .. "'Leaked-Secret-Part'", true }
      local _, err = assert(build()):get()
      assert.is_true(contains(err.message, "did not answer: Response.Malformed"), err.message)
      assert.is_false(contains(err.message, "Leaked-Secret-Part"), err.message)
      env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true"
      config_json({ { name = "default", mode = "RamRoleArn", access_key_id = "id",
                      access_key_secret = SECRET, ram_role_arn = "acs:ram::1:role/r" } })
      _, err = assert(build()):get()
      assert.is_true(contains(err.message, "could not be reached: Response.Malformed"), err.message)
      assert.is_false(contains(err.message, "Leaked-Secret-Part"), err.message)
    end)

    it("gives up when the connection times out, asks without a token after a timeout", function()
      env.ALIBABA_CLOUD_ECS_METADATA_ENDPOINT = "127.0.0.1:9"
      env.ALIBABA_CLOUD_ECS_METADATA = "role"
      net.failure = { "Transport.Timeout", "Connection timed out after 1000 milliseconds", false }
      local _, err = assert(build()):get()
      assert.equals("MissingCredentials", err.code)
      assert.equals(1, #net.requests) -- off ECS: one connection attempt
      net.requests = {}
      net.failure = { "Transport.Timeout", "Operation timed out after 2000 milliseconds", true }
      _, err = assert(build()):get()
      assert.equals(2, #net.requests)
      assert.equals("PUT", net.requests[1].method)
      assert.equals("http://127.0.0.1:9/latest/meta-data/ram/security-credentials/role",
        net.requests[2].url)
      assert.is_nil(net.requests[2].headers["x-aliyun-ecs-metadata-token"])
      assert.equals("Credentials.Unavailable", err.code)
      assert.is_true(err.retryable)
    end)
  end)

  describe("credentials_provider", function()
    it("is called on every request when it gives no expiration", function()
      local n = 0
      local p = assert(build{ credentials_provider = function()
        n = n + 1
        return { access_key_id = "id" .. n, access_key_secret = SECRET }
      end })
      assert.equals("credentials_provider", p.source)
      assert.equals(0, n)
      assert.equals("id1", assert(p:get()).access_key_id)
      assert.equals("id2", assert(p:get()).access_key_id)
    end)

    it("is cached until shortly before its expiration", function()
      local now = 1000000
      credentials.now = function() return now end
      local n = 0
      local p = assert(build{ credentials_provider = function()
        n = n + 1
        return { access_key_id = "id" .. n, access_key_secret = SECRET, security_token = TOKEN,
                 expiration = now + 3600 }
      end })
      assert.equals("id1", assert(p:get()).access_key_id)
      now = now + 2600
      assert.equals("id1", assert(p:get()).access_key_id)
      now = now + 100
      assert.equals("id2", assert(p:get()).access_key_id)
    end)

    it("keeps the secrets it gave out of the messages of its later failures", function()
      local now = 1000000
      credentials.now = function() return now end
      local secret, token = "Vault/Secret+Of=It", "Vault+Token/Of=It"
      local failure
      local p = assert(build{ credentials_provider = function()
        if failure then return failure() end
        return { access_key_id = "id", access_key_secret = secret, security_token = token,
                 expiration = now + 600 }
      end })
      assert(p:get())
      now = now + 600 -- expired: the provider is asked again
      for _, f in ipairs{
        function() return nil, "vault refused " .. token .. " / " .. secret end,
        function() error("vault answered " .. core.percent_encode(secret, "strict")) end,
      } do
        failure = f
        local _, err = p:get()
        assert.equals("Credentials.Unavailable", err.code)
        assert.matches("vault", err.message)
        for _, form in ipairs{ secret, token, core.percent_encode(secret, "strict") } do
          assert.is_false(contains(tostring(err), form), tostring(err))
        end
      end
    end)

    it("reports what it returns wrong, and what it raises", function()
      local ret
      local p = assert(build{ credentials_provider = function() return ret, "vault sealed" end })
      local _, err = p:get()
      assert.equals("Credentials.Unavailable", err.code)
      assert.matches("vault sealed", err.message)
      ret = { access_key_id = "id" }
      _, err = p:get()
      assert.matches("access_key_secret must be a string", err.message)
      ret = { access_key_id = "id", access_key_secret = "s", expiration = "soon" }
      _, err = p:get()
      assert.matches("expiration must be a number", err.message)
      p = assert(build{ credentials_provider = function() error("boom") end })
      _, err = p:get()
      assert.matches("raised an error: .*boom", err.message)
    end)
  end)

  describe("debug output", function()
    it("warns about credential files others can read, never shows a secret", function()
      local messages = {}
      local function debug(msg) messages[#messages + 1] = msg end
      local path = config_json({ { name = "default", mode = "AK", access_key_id = "LTAIid0000",
        access_key_secret = SECRET } }, "default", "644")
      env.ALIBABA_CLOUD_ACCESS_KEY_ID = "x"
      local p = assert(build{ debug = debug })
      assert(p:get())
      local all = table.concat(messages, "\n")
      assert.is_true(contains(all, path .. " is accessible by group or others (mode 0644)"), all)
      assert.is_true(contains(all, "chmod 600"))
      assert.is_true(contains(all, "environment: ALIBABA_CLOUD_ACCESS_KEY_ID is set but"))
      assert.is_true(contains(all, "using aliyun CLI profile 'default'"))
      assert.is_false(contains(all, SECRET))

      messages = {}
      config_json({ { name = "default", mode = "AK", access_key_id = "LTAIid0000",
        access_key_secret = SECRET } }, "default", "600")
      assert(assert(build{ debug = debug }):get())
      assert.is_false(contains(table.concat(messages, "\n"), "accessible by group"))
    end)

    it("stays quiet without the option", function()
      config_json({ { name = "default", access_key_id = "a", access_key_secret = SECRET } },
        "default", "644")
      local p = assert(build{ debug = false })
      assert(p:get())
    end)
  end)
end)

describe("cams.credentials.refreshing", function()
  local now, fetches, results, messages, ctx

  local function creds(n, lifetime)
    return { access_key_id = "id" .. n, access_key_secret = SECRET, security_token = TOKEN,
             expiration = now + lifetime }
  end

  local function cache(lifetime, ahead)
    return refreshing.new(function()
      fetches = fetches + 1
      local r = results[fetches]
      if r == "fail" then
        return nil, "STS is down"
      end
      return creds(fetches, r or lifetime)
    end, ctx, "test source", ahead)
  end

  before_each(function()
    now, fetches, results, messages = 1700000000, 0, {}, {}
    ctx = {
      now = function() return now end,
      sleep = function() return false end,
      log = function(msg) messages[#messages + 1] = msg end,
    }
  end)

  it("parses STS and metadata expiration times", function()
    assert.equals(0, refreshing.parse_time("1970-01-01T00:00:00Z"))
    assert.equals(1736929800, refreshing.parse_time("2025-01-15T08:30:00Z"))
    assert.equals(951782400, refreshing.parse_time("2000-02-29T00:00:00Z"))
    assert.is_nil(refreshing.parse_time("2025-01-15 08:30:00"))
    assert.is_nil(refreshing.parse_time("2025-13-01T00:00:00Z"))
    assert.is_nil(refreshing.parse_time(nil))
    assert.equals("2025-01-15T08:30:00Z", refreshing.format_time(1736929800))
  end)

  it("reuses credentials until 15 minutes before they expire", function()
    local c = cache(3600)
    assert.equals("id1", assert(c:get()).access_key_id)
    now = now + 2699
    assert.equals("id1", assert(c:get()).access_key_id)
    now = now + 1
    assert.equals("id2", assert(c:get()).access_key_id)
    assert.equals(2, fetches)
  end)

  it("refreshes short-lived credentials halfway through", function()
    local c = cache(600)
    assert(c:get())
    now = now + 299
    assert.equals("id1", assert(c:get()).access_key_id)
    now = now + 1
    assert.equals("id2", assert(c:get()).access_key_id)
  end)

  it("takes the lead time of its source: an hour for ECS role credentials", function()
    local c = cache(6 * 3600, 3600)
    assert(c:get())
    now = now + 5 * 3600 - 1
    assert.equals("id1", assert(c:get()).access_key_id)
    now = now + 1
    assert.equals("id2", assert(c:get()).access_key_id)
    c = cache(3600, 3600) -- no longer than the lead time: halfway
    assert.equals("id3", assert(c:get()).access_key_id)
    now = now + 1799
    assert.equals("id3", assert(c:get()).access_key_id)
    now = now + 1
    assert.equals("id4", assert(c:get()).access_key_id)
  end)

  it("keeps valid credentials when a refresh fails, and fails once they expire", function()
    results = { 3600, "fail", "fail", "fail" }
    local c = cache()
    assert(c:get())
    now = now + 3000 -- stale, still valid
    assert.equals("id1", assert(c:get()).access_key_id)
    assert.equals(2, fetches)
    assert.matches("refresh failed %(test source: STS is down%); keeping", messages[#messages])
    now = now + refreshing.RETRY_AFTER - 1
    assert.equals("id1", assert(c:get()).access_key_id)
    assert.equals(2, fetches) -- no new attempt before RETRY_AFTER
    now = now + 1
    assert.equals("id1", assert(c:get()).access_key_id)
    assert.equals(3, fetches)
    now = now + 600 -- expired
    local none, err = c:get()
    assert.is_nil(none)
    assert.equals("Credentials.Unavailable", err.code)
    assert.equals("test source: STS is down", err.message)
    results[5] = 3600
    assert.equals("id5", assert(c:get()).access_key_id)
  end)

  it("refuses credentials that arrive already expired", function()
    results = { -5 }
    local _, err = cache():get()
    assert.matches("expired at", err.message)
  end)

  it("turns an error raised by fetch into an error value and can fetch again", function()
    local n = 0
    local c = refreshing.new(function()
      n = n + 1
      if n == 1 then error("bug") end
      return creds(n, 3600)
    end, ctx, "raiser")
    local _, err = c:get()
    assert.equals("Credentials.Unavailable", err.code)
    assert.matches("bug", err.message)
    assert.equals("id2", assert(c:get()).access_key_id)
  end)

  -- nginx runs LuaJIT, where a coroutine may yield across pcall, as a cosocket in fetch
  -- does; PUC Lua 5.1 cannot (and never runs inside nginx).
  local probe = coroutine.create(function() pcall(coroutine.yield) end)
  coroutine.resume(probe)
  local describe_nginx = coroutine.status(probe) == "suspended" and describe
    or function(name) pending(name .. ": needs a coroutine that yields across pcall") end

  describe_nginx("inside nginx (coroutines)", function()
    before_each(function()
      ctx.sleep = function()
        coroutine.yield("sleep")
        return true
      end
    end)

    local function slow_cache(lifetime)
      return refreshing.new(function()
        fetches = fetches + 1
        coroutine.yield("fetching") -- a cosocket request would yield here
        return creds(fetches, lifetime)
      end, ctx, "slow")
    end

    local function run(fn)
      local co = coroutine.create(fn)
      return co, select(2, assert(coroutine.resume(co)))
    end

    it("lets one coroutine fetch while the others wait for it", function()
      local c = slow_cache(3600)
      local a, first = run(function() return c:get() end)
      assert.equals("fetching", first)
      local b, second = run(function() return c:get() end)
      assert.equals("sleep", second)
      local _, ra = assert(coroutine.resume(a))
      local _, rb = assert(coroutine.resume(b))
      assert.equals(1, fetches)
      assert.equals("id1", ra.access_key_id)
      assert.equals("id1", rb.access_key_id)
    end)

    it("serves the still-valid credentials while a refresh is under way", function()
      local c = slow_cache(3600)
      local a = run(function() return c:get() end)
      assert(coroutine.resume(a))
      now = now + 3000
      local b = run(function() return c:get() end) -- refreshing, yields in fetch
      local co = coroutine.create(function() return c:get() end)
      local _, got = assert(coroutine.resume(co))
      assert.equals("id1", got.access_key_id) -- no wait, no second fetch
      assert.equals(2, fetches)
      local _, fresh = assert(coroutine.resume(b))
      assert.equals("id2", fresh.access_key_id)
    end)

    it("shares a fetch of credentials that have no expiration", function()
      local c = refreshing.new(function()
        fetches = fetches + 1
        coroutine.yield("fetching")
        return { access_key_id = "id" .. fetches, access_key_secret = SECRET }
      end, ctx, "uncached")
      local a = run(function() return c:get() end)
      local b, what = run(function() return c:get() end)
      assert.equals("sleep", what)
      assert(coroutine.resume(a))
      local _, got = assert(coroutine.resume(b))
      assert.equals("id1", got.access_key_id)
      local d = run(function() return c:get() end)
      local _, again = assert(coroutine.resume(d))
      assert.equals("id2", again.access_key_id) -- the next call fetches again
    end)

    it("takes over a refresh that never finishes", function()
      local saved = refreshing.MAX_WAIT
      refreshing.MAX_WAIT = 3 * refreshing.WAIT_STEP
      local c = slow_cache(3600)
      run(function() return c:get() end) -- abandoned mid-fetch
      local b, what = run(function() return c:get() end)
      local n = 0
      while what == "sleep" do
        n = n + 1
        what = select(2, assert(coroutine.resume(b)))
      end
      refreshing.MAX_WAIT = saved
      assert.equals(3, n)
      assert.equals("fetching", what)
      local _, got = assert(coroutine.resume(b))
      assert.equals("id2", got.access_key_id)
    end)
  end)

  it("has no sleep outside nginx", function()
    assert.is_nil(rawget(_G, "ngx"))
    assert.is_nil(credentials.sleep)
  end)
end)

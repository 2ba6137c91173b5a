-- The mock CAMS server for one block of end-to-end specs, and clients pointed at it.
--
--   local mock_client = require "spec.support.mock_client"
--   describe("...", function()
--     local m, client, options = mock_client.use({ qps = false }, { workers = 1 })
--     ...
--   end)
--
-- use(defaults, start_opts) registers the block's hooks: setup starts a mock
-- (spec.support.mock, with start_opts), teardown stops it, before_each resets it (and with
-- start_opts.keep_codes, tells it to keep codes on update: for specs about something else,
-- where one code serves every call). It returns
--   m              the running mock of the block (m:fail(...), m.endpoint, ...), usable in
--                  the hooks and tests of the block once setup has run
--   client(opts)   a client (cams.new) with the mock's test keys, its endpoint and CA,
--                  `defaults` and `opts`, later ones winning; raises with the error when
--                  cams.new fails. NONE as a value leaves that option out.
--   options(opts)  the same table of options, for cams.new calls that are meant to fail
-- `defaults` may be a function of the mock that returns the table.
--
-- cams(m, dir, args, opts) runs the command line `cams <args>` (bin/cams, under the
-- interpreter running the suite) in `dir` against the mock: exit status, stdout, stderr;
-- opts.env sets variables on top of the mock's, opts.stdin names standard input
-- (/dev/null). cams_command(m, dir, args, env) is that shell command, to run otherwise.
local mock = require "spec.support.mock"
local util = require "spec.support.util"

local M = {}

-- Keys the mock knows (spec/support/mock/verify.lua): a permanent pair and temporary keys.
M.KEY_ID, M.SECRET = "testid", "testsecret"
M.STS = { access_key_id = "stsid", access_key_secret = "stssecret", security_token = "ststoken" }

M.NONE = setmetatable({}, { __tostring = function() return "mock_client.NONE" end })

-- A stand-in for the mock that forwards to the one running (methods included).
local function handle(get)
  return setmetatable({}, {
    __index = function(self, key)
      local m = get()
      assert(m, "the mock of this block runs only once its setup has run")
      local v = m[key]
      if type(v) ~= "function" then return v end
      return function(first, ...)
        if first == self then first = m end
        return v(first, ...)
      end
    end,
  })
end

function M.use(defaults, start_opts)
  local busted = require "busted"
  local running
  local keep = start_opts and start_opts.keep_codes
  if keep ~= nil then
    start_opts = util.merge(start_opts)
    start_opts.keep_codes = nil
  end
  busted.setup(function() running = mock.start(start_opts or {}) end)
  busted.teardown(function()
    if running then running:stop() end
    running = nil
  end)
  busted.before_each(function()
    running:reset()
    if keep then running:keep_codes(true) end
  end)
  local m = handle(function() return running end)

  local function options(opts)
    local base = defaults
    if type(base) == "function" then base = base(m) end
    local o = util.merge({ access_key_id = M.KEY_ID, access_key_secret = M.SECRET,
      endpoint = m.endpoint, ca_file = m.ca_file }, base)
    for k, v in pairs(opts or {}) do o[k] = v end
    for k, v in pairs(o) do
      if v == M.NONE then o[k] = nil end
    end
    return o
  end

  local function client(opts)
    local c, err = require("cams").new(options(opts))
    assert(c, tostring(err))
    return c
  end

  return m, client, options
end

--- The two ways an update may treat the code it names, for specs that run under both:
-- { keep = false, name = "codes replaced on update" } (what the CAMS document shows, the
-- mock's default) and { keep = true, name = "codes kept on update" }.
M.MODES = { { keep = false, name = "codes replaced on update" },
            { keep = true, name = "codes kept on update" } }

--- The environment of a default client (cams.update_qrdl{...}) that talks to the mock `m`
-- with its test keys; `over` adds or replaces variables.
function M.environment(m, over)
  return util.merge({ ALIBABA_CLOUD_ACCESS_KEY_ID = M.KEY_ID,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET = M.SECRET, ALIBABA_CLOUD_ENDPOINT = m.endpoint,
    CAMS_CA_FILE = m.ca_file }, over)
end

--- Runs fn() with cams reading its environment from the table `env` and no default client
-- yet; afterwards closes the default client fn made and puts the originals back. Returns
-- what fn returns; raises what it raises.
function M.with_environment(env, fn)
  local cams = require "cams"
  local saved_getenv, saved_default = cams._getenv, cams._default
  cams._getenv = function(k) return env[k] end
  cams._default = nil
  local ok, a, b = pcall(fn)
  if cams._default then cams._default:close() end
  cams._getenv, cams._default = saved_getenv, saved_default
  assert(ok, a)
  return a, b
end

local LUA = rawget(_G, "jit") and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
local CAMS = util.capture("pwd") .. "/bin/cams"

function M.cams_command(m, dir, args, env)
  local q = util.q
  local vars = util.merge(M.environment(m, { ALIBABA_CLOUD_SECURITY_TOKEN = "",
    ALIBABA_CLOUD_REGION_ID = "", ALIBABA_CLOUD_PROFILE = "" }), env)
  local names = {}
  for k in pairs(vars) do names[#names + 1] = k end
  table.sort(names)
  local parts = { "cd", q(dir), "&&", "env" }
  for _, k in ipairs(names) do parts[#parts + 1] = q(k .. "=" .. vars[k]) end
  parts[#parts + 1] = LUA
  parts[#parts + 1] = q(CAMS)
  for _, a in ipairs(args) do parts[#parts + 1] = q(a) end
  return table.concat(parts, " ")
end

function M.cams(m, dir, args, opts)
  opts = opts or {}
  local err_file = dir .. "/stderr"
  local out = util.output("(" .. M.cams_command(m, dir, args, opts.env) .. ") <"
    .. (opts.stdin or "/dev/null") .. " 2>" .. util.q(err_file) .. "; echo \"__status=$?\"")
  local status = tonumber(out:match("__status=(%d+)%s*$"))
  return status, (out:gsub("__status=%d+%s*$", "")), util.read_file(err_file) or ""
end

return M

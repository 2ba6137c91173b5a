--- One call, the path every request takes:
--
--   validate (cams.validate: arguments; the options below)      -> a call object
--   retry (cams.retry) around each attempt:
--     pace (cams.pace) -> credentials (cams.credentials) -> sign (cams.sign)
--     -> send (cams.send) -> decode and map (cams.response)
--     -> reconcile (cams.reconcile) when the outcome of a change is uncertain
--
-- Each attempt is signed afresh (new date and nonce); no error leaves with the secret or
-- the token in it, whoever wrote the message. A change that is not repeatable (create,
-- update) is never sent again after an uncertain outcome before the listed codes show it
-- was not made.
local errors = require "cams.errors"
local options = require "cams.options"
local pace = require "cams.pace"
local reconcile = require "cams.reconcile"
local response = require "cams.response"
local scrub = require "cams.scrub"
local send = require "cams.send"
local sign = require "cams.sign"
local retry = require "cams.retry"
local validate = require "cams.validate"

local format = string.format
local min = math.min

local pairs, type = pairs, type

local M = {}

-- Headers the signer or the HTTP framing own: an extra header may not replace them.
local OWNED_HEADERS = {}
for _, name in ipairs{ "authorization", "host", "content-type", "content-length",
  "transfer-encoding", "connection", "expect", "te", "upgrade", "x-acs-action",
  "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256",
  "x-acs-security-token", "x-acs-accesskey-id" } do
  OWNED_HEADERS[name] = true
end

M.OPTIONS = options.schema{
  version = function(v)
    if type(v) ~= "string" or not v:match("^%d%d%d%d%-%d%d%-%d%d$") then
      return "version must be a string like '2020-06-06'"
    end
  end,
  method = options.one_of{ "POST", "GET" },
  params_in = options.one_of{ "body", "query" },
  headers = function(v)
    if type(v) ~= "table" then
      return "headers must be a table"
    end
    for k, hv in pairs(v) do
      if type(k) ~= "string" or type(hv) ~= "string" then
        return "headers must map strings to strings"
      elseif not k:match("^[a-z0-9_-]+$") then
        return format("header name '%s' must be lowercase letters, digits, '-' or '_'",
          validate.show(k))
      elseif OWNED_HEADERS[k] then
        return format("header '%s' is set by the library and cannot be passed", k)
      elseif hv:find("[%z\r\n]") then
        return format("the value of header '%s' must not contain CR, LF or NUL", k)
      elseif hv:find("[\1-\8\11-\31\127]") then
        return format("the value of header '%s' must not contain control characters", k)
      elseif k:sub(1, 6) == "x-acs-" and hv:find("[\128-\255]") then
        return format("the value of header '%s' must be ASCII (it is signed as it is sent)", k)
      end
    end
  end,
  retries = options.count,
  timeout = options.TIMEOUT,
  deadline = options.DEADLINE,
  reconcile = options.boolean,
  resend = options.boolean,
}

--- A call object of client `p` (its private state) for `action` with checked `params`,
-- or nil and an error: the options `opts` of the call (nil for none) are checked here.
-- `op`: the compiled operation (cams.validate), also for a generic call of its action.
function M.new(p, action, version, params, opts, what, op)
  local s = p.settings
  local call = {
    action = action, version = version, params = params, op = op, reconcile = true,
    method = "POST", params_in = "body", headers = nil,
    qps = s.qps, retries = s.retries, timeout = s.timeout, deadline = s.deadline,
    base = s.retry_base_delay, cap = s.retry_max_delay, clock = p.clock, random = p.random,
  }
  if call.qps == nil then
    call.qps = p.qps_of[action]
  end
  if opts ~= nil then
    if type(opts) ~= "table" then
      error(format("cams: %s expects a table of options, got %s", what, type(opts)), 3)
    end
    local msg = options.check(opts, M.OPTIONS, what)
    if msg then
      return nil, errors.invalid(msg, action)
    end
    for name, v in pairs(opts) do
      if name ~= "version" then -- given as `version` (a typed helper keeps its own)
        call[name] = v
      end
    end
    if call.method == "GET" then -- a GET carries no body: its parameters go in the query
      if opts.params_in == "body" then
        return nil, errors.invalid("method GET sends no body: its parameters go in the query "
          .. "(params_in = 'query', the default for GET)", action)
      end
      call.params_in = "query"
    end
  end
  local msg = validate.sizes(params, call.params_in == "query")
  if msg then
    return nil, errors.invalid(msg, action)
  end
  return call
end

-- The scrubber that removes every form of these credentials' secret and token from a
-- message; kept until the credentials change (a refresh).
local function scrubber(p, creds)
  if p.scrubbed ~= creds then
    p.scrubbed = creds
    p.scrub = scrub.new({ creds.access_key_secret, creds.security_token }, p.core.percent_encode)
  end
  return p.scrub
end

-- What an attempt's outcome means for a change: the body, or nil and the error to go on
-- with. Uncertain outcomes of changes that are not repeatable are reconciled; a repeat of
-- a repeatable one that finds it done (Delete: QrdlCode.NotFound) succeeds.
local function settle(p, call, body, err, left)
  local op = call.op
  if not err or not op then
    return body, err
  end
  if op.repeatable then
    if op.gone and err.code == op.gone and call.uncertain then
      return { RequestId = err.request_id, Code = "OK", Message = "None",
        reconciled = { after = call.uncertain.code, message = call.uncertain.message } }
    end
    call.uncertain = err.uncertain and err or call.uncertain
    return nil, err
  end
  if not err.uncertain then
    return nil, err
  end
  if not call.reconcile then
    err.retryable = false -- never sent blindly again: the caller asked to check it itself
    return nil, err
  end
  -- an unknown outcome is worse than a late one: the check gets at least one timeout
  local made, why = reconcile.after(p, call, err, math.max(left, call.timeout))
  if made or why then
    return made, why
  end
  err.uncertain = false -- the listed codes show the change was not made: safe to repeat
  return nil, err
end

-- One attempt: the body or nil, err.
local function attempt(left, _, p, call)
  local started = p.clock.now()
  local err
  left, err = pace.wait(p, call, left)
  if not left then
    return nil, err
  end
  local creds
  creds, err = p.credentials:get()
  if not creds then
    return nil, err
  end
  p.owner[1].credentials_source = p.credentials.source
  local clean = scrubber(p, creds)
  local req
  req, err = sign.request(p, call, creds, clean)
  if not req then
    return nil, err
  end
  local status, headers, raw = send.exchange(p, call, req, min(call.timeout, left), clean)
  local body
  if status then
    body, err = response.map(call.action, status, headers, raw, clean)
    pace.answered(p, call, err)
  else
    err = headers
  end
  if err then
    scrub.error(err, clean)
  end
  return settle(p, call, body, err, left - (p.clock.now() - started))
end

--- Runs the call: the body table, or nil and an error object.
function M.run(p, call)
  -- before any wait: inside nginx a phase without cosockets must not sleep either
  local ready, why = p.transport:ready()
  if not ready then
    return nil, errors.not_supported(why, call.action)
  end
  if call.resend and call.op and call.op.reconcile then
    -- this call repeats one whose answer was lost (an interrupted batch, say): sent only
    -- if the listed codes show the earlier one was not made
    local made, err = reconcile.after(p, call, errors.new{ code = "Resend", action = call.action,
      message = "an earlier attempt may have been made (its answer was not recorded)" },
      call.deadline)
    if made or err then
      return made, err
    end
  end
  if call.op and call.op.reconcile == "create" and call.reconcile then
    -- the codes a lost answer is compared with: one list call, before the first attempt
    local before, err = reconcile.before(p, call, call.deadline)
    if not before then
      err.message = "the codes of the number could not be listed before the create (they "
        .. "tell a lost answer from a failure; reconcile = false creates without): "
        .. tostring(err.message)
      return nil, err
    end
    call.before = before
  end
  return retry.run(call, attempt, p, call)
end

--- The request object an attempt of the call would send (nothing is sent), or nil, err.
function M.prepare(p, call)
  local creds, err = p.credentials:get()
  if not creds then
    return nil, err
  end
  p.owner[1].credentials_source = p.credentials.source
  return sign.request(p, call, creds, scrubber(p, creds))
end

return M

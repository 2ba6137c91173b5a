--- The credential chain: the sources in order; the first that yields
-- credentials is remembered and asked alone from then on.

local errors = require "cams.errors"

local M = {}

local Chain = {}
Chain.__index = Chain

--- `entries`: in chain order, { source =, label =, provider = } for a source
-- that applies, { source =, label =, reason = } for one that does not. An
-- entry marked `explicit` (the options) is the only one used, errors and all.
-- `ctx.log` receives progress messages; `ctx.close()` closes the transports.
function M.new(entries, ctx)
  local self = setmetatable({ entries = entries, ctx = ctx }, Chain)
  for _, e in ipairs(entries) do
    if e.provider then
      self.source = e.source
      if e.explicit then
        self.chosen = e.provider
      end
      break
    end
  end
  return self
end

--- "label: reason", unless the reason already starts with the label.
function M.describe(label, reason)
  if reason:sub(1, #label) == label then
    return reason
  end
  return label .. ": " .. reason
end

local function tried_list(tried)
  local parts = {}
  for i, t in ipairs(tried) do
    parts[i] = M.describe(t.label, t.reason)
  end
  return table.concat(parts, "; ")
end

--- A MissingCredentials error listing every source and why it gave nothing.
function M.missing(tried)
  return errors.new{
    code = "MissingCredentials",
    message = "no credentials found; tried " .. tried_list(tried),
    tried = tried,
  }
end

-- A Credentials.Unavailable error for sources that applied and failed (`failures`, their
-- errors): what a failure of the same source gives once it is in use, with the list of
-- sources tried. Retryable when one of the failures is.
local function unavailable(tried, failures)
  local first, retryable = failures[1], false
  for _, err in ipairs(failures) do
    retryable = retryable or err.retryable == true
  end
  return errors.credentials_unavailable("no credentials could be had; tried "
    .. tried_list(tried), { tried = tried, status = first.status,
    request_id = first.request_id, retryable = retryable })
end

--- Credentials { access_key_id, access_key_secret, security_token }, or nil, err.
-- A source that is not there (MissingCredentials) is skipped; when every source was,
-- the error is MissingCredentials, otherwise Credentials.Unavailable.
function Chain:get()
  local chosen = self.chosen
  if chosen then
    return chosen:get()
  end
  local tried, failures = {}, {}
  for _, e in ipairs(self.entries) do
    local reason = e.reason
    if e.provider then
      local c, err = e.provider:get()
      if c then
        self.chosen, self.source = e.provider, e.source
        self.ctx.log("using " .. (e.provider.name or e.label))
        return c
      end
      if not errors.is_error(err) then
        err = errors.credentials_unavailable(tostring(err))
      end
      if err.code ~= "MissingCredentials" then
        failures[#failures + 1] = err
      end
      reason = err.message
      self.ctx.log(M.describe(e.label, reason))
    end
    tried[#tried + 1] = { source = e.source, label = e.label, reason = reason }
  end
  if #failures > 0 then
    return nil, unavailable(tried, failures)
  end
  return nil, M.missing(tried)
end

--- The credentials in use, without fetching anything (nil when none yet).
function Chain:peek()
  local p = self.chosen
  if not p then
    for _, e in ipairs(self.entries) do
      if e.provider then
        p = e.provider
        break
      end
    end
  end
  return p and p:peek()
end

function Chain:close()
  self.ctx.close()
end

return M

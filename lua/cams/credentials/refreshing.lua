--- Temporary credentials kept fresh.
--
-- `fetch()` obtains credentials { access_key_id, access_key_secret,
-- security_token, expiration = epoch seconds }. They are reused until a lead
-- time before they expire, then fetched again: AHEAD (15 minutes) for STS
-- credentials, longer for a source that asks (the official SDKs refresh ECS role
-- credentials once less than an hour is left); credentials that live no longer
-- than the lead time are refreshed halfway through. When a refresh fails while
-- the current credentials are still valid, those are kept and the refresh is
-- tried again RETRY_AFTER seconds later; only expired credentials make get()
-- fail. Credentials without an expiration are never cached (fetch runs on
-- every get).
--
-- One refresh at a time: inside nginx several coroutines may share a
-- provider; one fetches while the others reuse the still-valid credentials
-- or, when there are none, wait for it in small sleeps.

local errors = require "cams.errors"

local M = {}

M.AHEAD = 15 * 60
M.RETRY_AFTER = 10
M.WAIT_STEP = 0.02
M.MAX_WAIT = 30

--- "2015-04-09T11:52:19Z" (UTC) to seconds since the epoch, or nil.
function M.parse_time(s)
  if type(s) ~= "string" then
    return nil
  end
  local y, mo, d, h, mi, se = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):(%d%d)Z$")
  if not y then
    return nil
  end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  h, mi, se = tonumber(h), tonumber(mi), tonumber(se)
  if mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or mi > 59 or se > 60 then
    return nil
  end
  -- days from 1970-01-01 to the civil date (proleptic Gregorian)
  if mo <= 2 then
    y = y - 1
  end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * ((mo + 9) % 12) + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return (era * 146097 + doe - 719468) * 86400 + h * 3600 + mi * 60 + se
end

function M.format_time(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(t))
end

local function valid(c, now)
  return c ~= nil and c.expiration ~= nil and now < c.expiration
end

local function stale_time(expiration, now, ahead)
  local t = expiration - ahead
  if t <= now then
    t = now + math.floor((expiration - now) / 2)
  end
  return t
end

local Refreshing = {}
Refreshing.__index = Refreshing

--- `ctx`: now() -> seconds, sleep(seconds) -> true (false when it cannot
-- sleep), log(message). `name` names the source in messages; `ahead` is the
-- lead time in seconds (default AHEAD).
function M.new(fetch, ctx, name, ahead)
  return setmetatable({ fetch = fetch, ctx = ctx, name = name, ahead = ahead or M.AHEAD },
    Refreshing)
end

local function failure(name, message)
  return errors.credentials_unavailable(name .. ": " .. message)
end

function Refreshing:refresh()
  local cur = self.current
  self.refreshing = true
  local ok, c, err = pcall(self.fetch)
  self.refreshing = false
  if not ok then
    c, err = nil, failure(self.name, tostring(c))
  elseif c == nil and not errors.is_error(err) then
    err = failure(self.name, tostring(err or "no credentials"))
  end
  local now = self.ctx.now()
  if c and c.expiration and c.expiration <= now then
    c, err = nil, failure(self.name, "the credentials received expired at "
      .. M.format_time(c.expiration) .. " (is the system clock right?)")
  end
  if c then
    self.current, self.last_error, self.retry_at = c, nil, nil
    self.stale_at = c.expiration and stale_time(c.expiration, now, self.ahead)
    if c.expiration then
      self.ctx.log(self.name .. ": new credentials, valid until " .. M.format_time(c.expiration))
    end
    return c
  end
  self.last_error = err
  if valid(cur, now) then
    self.retry_at = now + M.RETRY_AFTER
    self.ctx.log(self.name .. ": refresh failed (" .. tostring(err.message)
      .. "); keeping the current credentials, valid until " .. M.format_time(cur.expiration))
    return cur
  end
  return nil, err
end

-- Another coroutine is refreshing and nothing valid is cached: wait for it.
-- Returns its result, or nothing when it seems stuck (the caller takes over).
function Refreshing:wait()
  local waited = 0
  while self.refreshing and waited < M.MAX_WAIT do
    if not self.ctx.sleep(M.WAIT_STEP) then
      return nil, failure(self.name, "a refresh is already under way")
    end
    waited = waited + M.WAIT_STEP
  end
  if self.refreshing then
    self.refreshing = false
    return nil
  end
  local cur = self.current
  if cur and (self.last_error == nil or valid(cur, self.ctx.now())) then
    return cur -- what the refresh brought (or kept)
  end
  return nil, self.last_error or failure(self.name, "no credentials")
end

--- Current credentials, refreshed when due; or nil, err.
function Refreshing:get()
  local now = self.ctx.now()
  local cur = self.current
  if cur and self.stale_at and now < self.stale_at then
    return cur
  end
  local usable = valid(cur, now)
  if self.refreshing then
    if usable then
      return cur
    end
    local c, err = self:wait()
    if c or err then
      return c, err
    end
  elseif usable and self.retry_at and now < self.retry_at then
    return cur
  end
  return self:refresh()
end

--- Cached credentials without fetching (nil when none).
function Refreshing:peek()
  return self.current
end

return M

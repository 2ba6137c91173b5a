--- Progress of a batch on stderr: on a terminal one line redrawn in place (\r),
-- elsewhere a plain line every `interval` seconds, and a last line at the end.

local M = {}

local Progress = {}
Progress.__index = Progress

--- `opts`: total, now (clock function, seconds), tty (boolean), interval (seconds
-- between plain lines), stream (default io.stderr), label.
function M.new(opts)
  local now = opts.now()
  return setmetatable({
    total = opts.total, now = opts.now, tty = opts.tty, interval = opts.interval or 5,
    stream = opts.stream or io.stderr, label = opts.label or "rows", started = now,
    last = now, done = 0, failures = 0, drawn = false,
  }, Progress)
end

local function clock_text(seconds)
  local floor = math.floor
  seconds = floor(seconds + 0.5)
  if seconds >= 3600 then
    return string.format("%d:%02d:%02d", floor(seconds / 3600), floor(seconds % 3600 / 60),
      seconds % 60)
  end
  return string.format("%d:%02d", floor(seconds / 60), seconds % 60)
end

function Progress:text()
  local elapsed = self.now() - self.started
  local rate = elapsed > 0 and self.done / elapsed or 0
  local eta = "?"
  if self.done >= self.total then
    eta = "0:00"
  elseif rate > 0 then
    eta = clock_text((self.total - self.done) / rate)
  end
  return string.format("%d/%d %s  %.1f/s  ETA %s  %d failed", self.done, self.total,
    self.label, rate, eta, self.failures)
end

--- Records the counts; draws when it is time.
function Progress:update(done, failures)
  self.done, self.failures = done, failures
  local now = self.now()
  if self.tty then
    if now - self.last >= 0.1 or done >= self.total then
      self.stream:write("\r", self:text(), "\27[K")
      self.stream:flush()
      self.last, self.drawn = now, true
    end
  elseif now - self.last >= self.interval then
    self.stream:write("progress: ", self:text(), "\n")
    self.stream:flush()
    self.last = now
  end
end

--- The last line.
function Progress:finish()
  if self.tty then
    self.stream:write("\r", self:text(), "\27[K\n")
  else
    self.stream:write("progress: ", self:text(), "\n")
  end
  self.stream:flush()
end

return M

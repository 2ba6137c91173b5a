--- Retries: exponential backoff with full jitter under an overall deadline.
local M = {}

--- A random delay in [0, min(cap, base * 2^(attempt - 1))).
function M.backoff(attempt, base, cap, random)
  local ceiling = base * 2 ^ (attempt - 1)
  if ceiling > cap then
    ceiling = cap
  end
  return ceiling * random()
end

--- Calls `attempt(seconds_left, n, ...)` until it returns a result, fails with an error
-- that is not retryable, has been retried `policy.retries` times, or the next try would
-- start past the deadline. `policy`: retries, base, cap, deadline (seconds), random, clock;
-- the extra arguments go to every attempt (no closure per call).
-- Errors come back with `attempts` set; a retry refused before sending returns the error
-- of the attempt before it.
function M.run(policy, attempt, ...)
  local clock = policy.clock
  local deadline = clock.now() + policy.deadline
  local n, sent, last = 0, 0, nil
  while true do
    n = n + 1
    local res, err = attempt(deadline - clock.now(), n, ...)
    if res ~= nil then
      return res
    end
    if err.attempts == 0 and last then
      -- a retry refused before sending (no rate-limit slot in time): what failed is news
      return nil, last
    end
    if err.attempts ~= 0 then -- 0: refused before anything was sent
      sent = sent + 1
    end
    err.attempts = sent
    last = err
    if not err.retryable or n > policy.retries then
      return nil, err
    end
    local wait = M.backoff(n, policy.base, policy.cap, policy.random)
    if clock.now() + wait >= deadline then
      return nil, err
    end
    clock.sleep(wait)
  end
end

return M

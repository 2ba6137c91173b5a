--- Time and sleeping. Inside nginx the time is nginx's (ngx.now after ngx.update_time, the
-- same base in every worker) and sleeping uses the non-blocking ngx.sleep in phases that
-- may yield; elsewhere the C core's monotonic clock and nanosleep.
local M = {}

-- nginx phases in which ngx.sleep and cosockets may yield.
M.YIELDING_PHASES = {
  rewrite = true, server_rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true, precontent = true,
  preread = true, -- ngx_stream_lua
}

local function nginx()
  local ngx = rawget(_G, "ngx")
  if type(ngx) == "table" and type(ngx.get_phase) == "function" then
    return ngx
  end
  return nil
end
M.nginx = nginx

--- The current nginx phase when running inside nginx, else nil.
function M.phase()
  local ngx = nginx()
  return ngx and ngx.get_phase() or nil
end

--- True inside nginx in a phase where ngx.sleep and cosockets may yield.
function M.yieldable()
  local phase = M.phase()
  return phase ~= nil and M.YIELDING_PHASES[phase] == true
end

--- A clock: `now()` in seconds and `sleep(seconds)`; over the C core (`core.monotonic`,
-- `core.sleep`) outside nginx.
function M.new(core)
  local ngx = nginx()
  local now = function()
    return core.monotonic()
  end
  if ngx and ngx.now and ngx.update_time then
    now = function()
      ngx.update_time()
      return ngx.now()
    end
  end
  return {
    now = now,
    sleep = function(seconds)
      if seconds <= 0 then
        return
      end
      if M.yieldable() then
        ngx.sleep(seconds)
      else
        core.sleep(seconds)
      end
    end,
  }
end

return M

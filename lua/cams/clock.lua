--- Monotonic time and sleeping. Inside nginx, in phases that may yield, the non-blocking
-- ngx.sleep is used; elsewhere the C core's clock and nanosleep.
local M = {}

-- nginx phases in which ngx.sleep (and cosockets) may yield.
M.YIELDING_PHASES = {
  rewrite = true, access = true, content = true, timer = true, ssl_cert = true,
  ssl_session_fetch = true, ssl_client_hello = true, precontent = true,
}

local function ngx_yieldable()
  local ngx = rawget(_G, "ngx")
  return ngx ~= nil and type(ngx.get_phase) == "function" and M.YIELDING_PHASES[ngx.get_phase()]
    or false
end

--- A clock over the C core (`core.monotonic`, `core.sleep`).
function M.new(core)
  return {
    now = function()
      return core.monotonic()
    end,
    sleep = function(seconds)
      if seconds <= 0 then
        return
      end
      if ngx_yieldable() then
        rawget(_G, "ngx").sleep(seconds)
      else
        core.sleep(seconds)
      end
    end,
  }
end

return M

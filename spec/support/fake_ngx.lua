-- Stand-ins for what nginx gives Lua code, for the unit specs of the nginx side.
--
--   local fake_ngx = require "spec.support.fake_ngx"
--   rawset(_G, "ngx", fake_ngx.new("content", { limits = fake_ngx.dict() }))
--   ...
--   rawset(_G, "ngx", nil)
local M = {}

--- A dict with the ngx.shared.DICT methods the shared-dict limiter uses; `data` holds its
-- entries and `adds` counts the calls of add.
function M.dict()
  local data = {}
  local d = { data = data, adds = 0 }
  function d.add(_, k, v)
    d.adds = d.adds + 1
    if data[k] ~= nil then return false, "exists" end
    data[k] = v
    return true
  end
  function d.get(_, k) return data[k] end
  function d.set(_, k, v) data[k] = v return true end
  function d.delete(_, k) data[k] = nil end
  return d
end

--- An `ngx` global in the nginx phase `phase`, with the shared dicts `shared`: its clock
-- stands at 1000 and ngx.sleep raises (nothing may wait on it in these specs).
function M.new(phase, shared)
  return {
    get_phase = function() return phase end,
    now = function() return 1000 end,
    update_time = function() end,
    sleep = function() error("ngx.sleep called") end,
    shared = shared or {},
  }
end

return M

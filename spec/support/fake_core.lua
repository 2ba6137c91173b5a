-- A stand-in for cams.core: the real module, except for time (a fake clock that moves only
-- when slept), randomness (always 0.5) and the network (HTTP handles that record each
-- request and answer through `respond`). Requests are the real request objects of
-- core.sign, so the real signing path's shape is what a spec exercises.
--
--   local core, calls = fake_core.new(function(request, calls) return 200, {}, body end)
--   calls: sign, http, request, close (counts), slept (seconds), sign_args (the last input),
--          last_request ({ method, url, headers, body, timeout, all_headers })
local fresh = require "spec.support.fresh"

local M = {}

M.OK_BODY = [[{"AccessDeniedDetail":"None","RequestId":"1612C226-E271-4CFE-9F18-4066D0000000",]]
  .. [["Message":"None","Data":{"QrImageUrl":"https://img.png","PhoneNumber":"8615800000000",]]
  .. [["QrdlCode":"D9AA3xxx","DeepLinkUrl":"https://wa.msg/","GenerateQrImage":"PNG",]]
  .. [["PrefilledMessage":"Hello"},"Code":"OK"}]]

function M.new(respond)
  local real = fresh.original("cams.core")
  local calls = { sign = 0, http = 0, request = 0, close = 0, slept = 0 }
  local core = setmetatable({ clock = 0 }, { __index = real })
  function core.monotonic() return core.clock end
  function core.sleep(s)
    calls.slept = calls.slept + s
    core.clock = core.clock + s
  end
  function core.random() return 0.5 end
  function core.sign(t)
    calls.sign = calls.sign + 1
    calls.sign_args = {} -- a copy: the library clears the secret from its input after use
    for k, v in pairs(t) do calls.sign_args[k] = v end
    -- a signer message that quotes the secret: the library must scrub it
    for _, v in pairs(t.headers or {}) do
      if v:find("[\r\n%z]") then
        error("header value for key " .. t.access_key_id .. "/" .. t.access_key_secret
          .. " contains CR or LF")
      end
    end
    return real.sign(t)
  end
  function core.http(opts)
    calls.http = calls.http + 1
    calls.http_opts = opts
    return {
      request = function(_, req, timeout, all_headers)
        calls.request = calls.request + 1
        local r = { method = req:method(), url = req:url(), headers = req:headers(),
          body = req:body(), timeout = timeout, all_headers = all_headers }
        req:wipe()
        calls.last_request = r
        if respond then
          return respond(r, calls)
        end
        return 200, { ["x-acs-request-id"] = "1612C226" }, M.OK_BODY
      end,
      close = function()
        calls.close = calls.close + 1
      end,
    }
  end
  return core, calls
end

return M

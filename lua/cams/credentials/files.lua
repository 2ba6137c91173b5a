--- Reading credential files, with a debug warning for files that group or
-- others may open (they hold secrets; the CLI and SDKs create them 0600).

local M = {}

--- `log(message)` receives the warnings; `file_mode(path)` -> permission
-- bits or nil (cams.core.file_mode), or nil to skip the check.
function M.new(log, file_mode)
  local warned = {}
  local files = {}

  local function check_mode(path)
    if not file_mode or warned[path] then
      return
    end
    warned[path] = true
    local mode = file_mode(path)
    if mode and mode % 64 ~= 0 then
      log(string.format("warning: %s is accessible by group or others (mode %04o); "
        .. "it holds secrets: chmod 600 it", path, mode))
    end
  end

  --- The whole file, or nil and a reason ("not found", or the system's message).
  function files.read(path)
    local f, err, code = io.open(path, "rb")
    if not f then
      if code == 2 then -- ENOENT
        return nil, path .. " not found"
      end
      return nil, tostring(err)
    end
    local data, rerr = f:read("*a")
    f:close()
    if not data then
      return nil, path .. ": " .. tostring(rerr)
    end
    check_mode(path)
    return data
  end

  --- true, or nil and a reason.
  function files.readable(path)
    local f, err, code = io.open(path, "rb")
    if not f then
      return nil, code == 2 and (path .. " not found") or tostring(err)
    end
    f:close()
    check_mode(path)
    return true
  end

  return files
end

return M

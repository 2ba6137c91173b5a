--- Files the command line writes: whole or not at all.
local M = {}

--- Writes `data` to `path` through a temporary file renamed into place, so a reader (or a
-- resumed run) never sees half a file. Returns true, or nil and the reason.
function M.write_atomic(path, data)
  local tmp = path .. ".part"
  local f, err = io.open(tmp, "wb")
  if not f then
    return nil, err
  end
  local ok, werr = f:write(data)
  f:close()
  if not ok then
    os.remove(tmp)
    return nil, werr
  end
  local renamed, rerr = os.rename(tmp, path)
  if not renamed then
    os.remove(tmp)
    return nil, rerr
  end
  return true
end

return M

--- Files the command line writes: whole or not at all, and never one it reads or writes
-- under another name.
local M = {}

local function file_id(path)
  return require("cams.core").file_id(path)
end

--- The folder and the name of `path` ("." for a name alone).
function M.split(path)
  local folder, name = path:match("^(.*)/([^/]*)$")
  if not folder then
    return ".", path
  end
  return folder == "" and "/" or folder, name
end

-- The directory entry `path` names: its folder's file id and the name; nil for a folder
-- path (".", "..", a trailing slash) or a folder that does not exist.
local function entry(path)
  local folder, name = M.split(path)
  if name == "" or name == "." or name == ".." then
    return nil
  end
  local id = file_id(folder)
  return id and (id .. "/" .. name)
end

--- True when the paths `a` and `b` name one file: the same directory entry (./x and
-- /abs/x, also before x exists), or one file reached through two names (a symbolic or a
-- hard link).
function M.same(a, b)
  if a == b then
    return true
  end
  local ea = entry(a)
  if ea and ea == entry(b) then
    return true
  end
  local ia = file_id(a)
  return ia ~= nil and ia == file_id(b)
end

--- True when `path` names an existing file (or folder).
function M.exists(path)
  return file_id(path) ~= nil
end

--- Writes `data` to `path` through a temporary file renamed into place, so a reader (or a
-- resumed run) never sees half a file. A stale temporary file is removed first, never
-- written through (it may be a link to another file). Returns true, or nil and the reason.
function M.write_atomic(path, data)
  local tmp = path .. ".part"
  os.remove(tmp)
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

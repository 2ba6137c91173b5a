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

-- The reason of an io.open error about `path`, without the path.
local function reason(err, path)
  local prefix = path .. ": "
  if err:sub(1, #prefix) == prefix then
    return err:sub(#prefix + 1)
  end
  return err
end

--- Whether files can be created in the folder `dir`: a file of a name no one uses is
-- created there, then removed. Returns true, or nil and the reason.
function M.folder_writable(dir)
  local random = require("cams.core").random
  local probe
  for k = 1, 100 do
    probe = string.format("%s/.cams-write-test-%08x-%d", dir, math.floor(random() * 2 ^ 32), k)
    if not M.exists(probe) then
      break
    end
  end
  local f, err = io.open(probe, "wb")
  if not f then
    return nil, reason(err, probe)
  end
  f:close()
  os.remove(probe)
  return true
end

--- Whether the file `path` can be written: appended to when it exists (which fails on a
-- folder), else created in its folder (as write_atomic does). Leaves nothing behind.
-- Returns true, or nil and the reason.
function M.can_write(path)
  if M.exists(path) then
    local f, err = io.open(path, "ab")
    if not f then
      return nil, reason(err, path)
    end
    f:close()
    return true
  end
  return M.folder_writable((M.split(path)))
end

--- Whether `mkdir -p dir` can make the folder `dir` and files can be created in it:
-- tried in `dir` when it exists, else in the nearest folder above it that exists.
-- Leaves nothing behind. Returns true, or nil and the reason.
function M.can_make_folder(dir)
  local at = dir
  while not M.exists(at) do
    local up = M.split(at)
    if up == at then
      break
    end
    at = up
  end
  return M.folder_writable(at)
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

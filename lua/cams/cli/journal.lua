--- The journal of a batch: an append-only JSON Lines file. The first line describes
-- the run (input file, checksum, row count); every other line is the result of one
-- row, written unbuffered as soon as the row is finished, so that a killed process
-- loses at most the row in flight. A later line for a row replaces an earlier one.
--
-- Lines reach the operating system at once; they survive the process being killed,
-- not a power cut (plain Lua cannot fsync).

local cjson = require "cjson.safe"
local output = require "cams.cli.output"

local M = {}

local Journal = {}
Journal.__index = Journal

M.KIND = "cams qrdl update-batch journal"

--- Reads a journal. Returns nil when there is no file; else the header and a table
-- row number -> last record; or false and a message when the file is not a journal.
function M.read(path)
  local f = io.open(path, "rb")
  if not f then
    return nil
  end
  local text = f:read("*a") or ""
  f:close()
  local header, records, n = nil, {}, 0
  for line in text:gmatch("([^\n]*)\n?") do
    n = n + 1
    if n == 1 then
      header = cjson.decode(line)
      if type(header) ~= "table" or header.kind ~= M.KIND then
        return false, path .. " is not a journal of update-batch"
      end
    elseif line ~= "" then
      local rec = cjson.decode(line)
      -- an undecodable line is the torn end of a killed run: that row is not done
      if type(rec) == "table" and type(rec.row) == "number" then
        records[math.floor(rec.row)] = rec
      end
    end
  end
  if not header then
    return false, path .. " is empty"
  end
  return header, records, text:sub(-1) == "\n" or text == ""
end

local function open_append(path)
  local f, err = io.open(path, "ab")
  if not f then
    return nil, err
  end
  f:setvbuf("no")
  return setmetatable({ file = f, path = path }, Journal)
end

--- Starts a new journal with `header` (a table; `kind` is added).
function M.create(path, header)
  local h = {}
  for k, v in pairs(header) do
    h[k] = v
  end
  h.kind = M.KIND
  local f, err = io.open(path, "wb")
  if not f then
    return nil, err
  end
  local ok, werr = f:write(output.json(h), "\n")
  f:close()
  if not ok then
    return nil, werr
  end
  return open_append(path)
end

--- Opens an existing journal for more records. `complete` is false when its last
-- line was cut short; a line break then closes that fragment.
function M.reopen(path, complete)
  local j, err = open_append(path)
  if j and not complete then
    j.file:write("\n")
  end
  return j, err
end

--- Appends one record in a single write (keys in the order of the list j.order, if set).
function Journal:add(record)
  local ok, err = self.file:write(output.json(record, nil, self.order) .. "\n")
  if not ok then
    return nil, self.path .. ": " .. tostring(err)
  end
  self.file:flush()
  return true
end

function Journal:close()
  self.file:close()
end

return M

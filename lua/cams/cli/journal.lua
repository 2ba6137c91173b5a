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

-- Statuses of a row in the journal: finished, or noted as being sent.
local STATUSES = { ok = true, error = true, sending = true }

-- A whole number in 1..max (NaN, infinities and fractions are not).
local function count_in(v, max)
  return type(v) == "number" and v >= 1 and v <= max and v % 1 == 0
end

-- The header of the first line: the kind, a checksum and a row count; or nil.
local function header_of(line, kind)
  local h = cjson.decode(line)
  if type(h) ~= "table" or h.kind ~= (kind or M.KIND) or type(h.checksum) ~= "string"
      or not count_in(h.rows, 2 ^ 53) then
    return nil
  end
  h.rows = math.floor(h.rows)
  return h
end

-- The record of a line, when it is one of a batch of `rows` rows: an object with a whole
-- row number in 1..rows, a known status and only text or true/false besides; else nil.
local function record_of(line, rows)
  local rec = cjson.decode(line)
  if type(rec) ~= "table" or not count_in(rec.row, rows) or not STATUSES[rec.status] then
    return nil
  end
  for k, v in pairs(rec) do
    if k ~= "row" and (type(k) ~= "string" or (type(v) ~= "string" and type(v) ~= "boolean")) then
      return nil
    end
  end
  rec.row = math.floor(rec.row)
  return rec
end

--- Parses the text of a journal (`name` for messages). Returns the header, a table row
-- number -> last record, and false when the last line was cut short; nil for an empty
-- text (a journal locked by a run that sent nothing yet); or false and a message when
-- the text is not a journal. `kind` (default M.KIND) names the journals of another
-- command (cams qrdl apply).
-- A line that is not a record of this batch (the torn end of a killed run, or a line
-- damaged or written by hand) is passed over: its row counts as not done.
function M.parse(text, name, kind)
  if text == "" then
    return nil
  end
  local header, records, n = nil, {}, 0
  for line in text:gmatch("([^\n]*)\n?") do
    n = n + 1
    if n == 1 then
      header = header_of(line, kind)
      if not header then
        return false, name .. " is not a journal of " .. (kind and kind:match("^cams qrdl (%S+)")
          or "update-batch")
      end
    elseif line ~= "" then
      local rec = record_of(line, header.rows)
      if rec then
        records[rec.row] = rec
      end
    end
  end
  return header, records, text:sub(-1) == "\n"
end

--- Takes the lock of the journal at `path`, which is created (empty) when missing: one
-- run at a time uses a journal. Returns the lock (lock:release()), or nil, the reason and
-- "busy" when another run holds it. The operating system releases it when the process
-- ends, however it ends.
function M.lock(path)
  return require("cams.core").lock_file(path)
end

--- Reads the journal at `path`: nil when there is no file, else what M.parse returns.
function M.read(path, kind)
  local f = io.open(path, "rb")
  if not f then
    return nil
  end
  local text = f:read("*a") or ""
  f:close()
  return M.parse(text, path, kind)
end

local function open_append(path)
  local f, err = io.open(path, "ab")
  if not f then
    return nil, err
  end
  f:setvbuf("no")
  return setmetatable({ file = f, path = path }, Journal)
end

--- Starts a new journal with `header` (a table; `kind`, default M.KIND, is added).
function M.create(path, header, kind)
  local h = {}
  for k, v in pairs(header) do
    h[k] = v
  end
  h.kind = kind or M.KIND
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

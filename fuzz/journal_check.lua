-- The check of fuzz/journal_fuzz.c: returns a function of the fuzzed bytes. An odd first
-- byte puts a valid header of (byte >> 1) rows before the rest, so that most inputs reach
-- the records; an even one leaves the rest as it is.
local journal = require "cams.cli.journal"

local STATUSES = { ok = true, error = true, sending = true }

local function whole(v)
  if math.type then
    return math.type(v) == "integer"
  end
  return type(v) == "number" and v % 1 == 0
end

return function(data)
  local text = data:sub(2)
  local mode = data:byte(1) or 0
  if mode % 2 == 1 then
    text = string.format('{"kind":"%s","input":"f","checksum":"00000000","rows":%d}\n',
      journal.KIND, math.floor(mode / 2)) .. text
  end
  local header, records, complete = journal.parse(text, "fuzz")
  if header == nil then
    assert(text == "" and records == nil, "nil for a text that is not empty")
    return
  elseif header == false then
    assert(type(records) == "string", "no message for a text that is not a journal")
    return
  end
  assert(header.kind == journal.KIND and type(header.checksum) == "string", "header")
  assert(whole(header.rows) and header.rows >= 1, "row count of the header")
  assert(type(records) == "table" and type(complete) == "boolean", "results")
  for row, rec in pairs(records) do
    assert(whole(row) and row >= 1 and row <= header.rows, "row out of range")
    assert(rec.row == row and whole(rec.row), "record filed under another row")
    assert(STATUSES[rec.status], "unknown status")
    for k, v in pairs(rec) do
      if k ~= "row" then
        assert(type(k) == "string", "key that is not text")
        assert(type(v) == "string" or type(v) == "boolean", "value that is not text")
      end
    end
  end
end

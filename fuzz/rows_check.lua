-- The check of fuzz/rows_fuzz.c: returns a function of the fuzzed bytes. The first byte
-- picks the format (CSV, JSON Lines, or told from the text); the rest is the file's text.
local csv = require "cams.cli.csv"
local operations = require "cams.operations"
local rows = require "cams.cli.rows"

local FIELDS = {}
for _, p in ipairs(operations.update_qrdl.params) do
  FIELDS[p[1]] = true
end
local FORMATS = { "csv", "jsonl", false }
local SPACE = "[\t\n\v\f\r ]"

-- CSV records written back with csv.line read as the same fields.
local function round_trip(text)
  local records = csv.parse(text)
  for _, rec in ipairs(records or {}) do
    local back = assert(csv.parse(csv.line(rec)), "a written record does not parse")
    assert(#back == 1 and #back[1] == #rec, "a written record reads as other records")
    for i = 1, #rec do
      assert(back[1][i] == rec[i], "a written field reads back changed")
    end
  end
end

return function(data)
  local fmt = FORMATS[(data:byte(1) or 0) % 3 + 1] or nil
  local text = data:sub(2)
  local list, sum = rows.parse(text, "update_qrdl", fmt, "fuzz")
  if list == nil then
    assert(type(sum) == "string", "no message for refused input")
  else
    assert(type(sum) == "string" and sum:match("^%x%x%x%x%x%x%x%x$"), "checksum")
    assert(type(list) == "table", "rows")
    for i, row in ipairs(list) do
      assert(type(row) == "table", "row " .. i)
      for k, v in pairs(row) do
        assert(FIELDS[k], "unknown field in a row")
        assert(type(v) == "string" and v ~= "", "a value that is not text, or empty")
        if k ~= "prefilled_message" then
          assert(not v:find("^" .. SPACE) and not v:find(SPACE .. "$"), "a value not trimmed")
        end
      end
    end
  end
  if fmt == "csv" then
    round_trip(text)
  end
end

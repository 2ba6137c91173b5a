-- What the QR specs (spec/unit/qr_spec.lua, spec/e2e/qr_spec.lua) draw and how they
-- read it: sample texts, the numbers and codes of a sheet, the expected picture of a code,
-- the modules of a terminal picture and the check of a refusal.
local assert = require "luassert"
local core = require "cams.core"

local M = {}

M.SHORT = "https://wa.me/message/D9II3ABC"
M.MESSAGE = ("Hello! I would like a table for two tonight, 20:00. "
  .. "\228\189\160\229\165\189 \240\159\152\128 caf\195\169 \194\191mesa?\n"):rep(6)
M.ENCODED = "https://wa.me/8615800000000?text=" .. core.percent_encode(M.MESSAGE)
M.RAW = "https://wa.me/8615800000000?text=Ol\195\161 Jos\195\169, "
  .. "\228\189\160\229\165\189 \240\159\152\128 \194\191mesa para dos?"
M.LEVELS = { "L", "M", "Q", "H" }

-- The expected picture, quiet zone included: rows of "1" (dark) and "0" (light).
function M.with_margin(code)
  local light = ("0"):rep(code.margin)
  local blank = ("0"):rep(code.size + 2 * code.margin)
  local rows = {}
  for _ = 1, code.margin do rows[#rows + 1] = blank end
  for _, row in ipairs(code:matrix()) do rows[#rows + 1] = light .. row .. light end
  for _ = 1, code.margin do rows[#rows + 1] = blank end
  return rows
end

-- The modules a terminal picture shows: each character holds two rows (upper and lower
-- half); ink is dark unless inverted. The last line's lower half lies below the picture.
local INK = { [" "] = { "0", "0" }, ["\226\150\128"] = { "1", "0" },
  ["\226\150\132"] = { "0", "1" }, ["\226\150\136"] = { "1", "1" } }
function M.terminal_modules(text, width, invert)
  local rows = {}
  for line in text:gmatch("([^\n]*)\n") do
    local top, bottom = {}, {}
    for ch in line:gmatch("[%z\1-\127\194-\244][\128-\191]*") do
      local ink = INK[ch]
      assert.is_table(ink, "unexpected character in the terminal picture")
      top[#top + 1], bottom[#bottom + 1] = ink[1], ink[2]
    end
    assert.equals(width, #top)
    rows[#rows + 1] = table.concat(top)
    rows[#rows + 1] = table.concat(bottom)
  end
  assert.equals("\n", text:sub(-1))
  assert.equals(width + 1, #rows) -- an odd number of rows: one half line to spare
  assert.equals(("0"):rep(width), table.remove(rows))
  if invert then
    for i, r in ipairs(rows) do
      rows[i] = r:gsub("[01]", { ["0"] = "1", ["1"] = "0" })
    end
  end
  return rows
end

-- res is nil and err an InvalidParameter whose message holds `pattern` (plain text).
function M.invalid(pattern, res, err)
  assert.is_nil(res)
  assert.equals("InvalidParameter", err.code)
  assert.matches(pattern, err.message, 1, true)
end

-- Two phone numbers with three codes each, named and unnamed, with and without messages,
-- one given as list_qrdl returns it.
M.NUMBERS = {
  { phone_number = "8615800000000", codes = {
    { name = "Front desk", code = "D9II3AAA", deep_link = "https://wa.me/message/D9II3AAA",
      message = "Hello!\nA <b>table</b> for 2 & \"quick\" 'please'" },
    { name = "Bar \226\128\148 terrace", deep_link = "https://wa.me/message/D9II3AAB",
      message = "<script>alert(1)</script>" },
    { code = "D9II3AAC", deep_link = "https://wa.me/8615800000000?text=Ol\195\161%20Jos"
      .. "\195\169" },
  } },
  { phone_number = 8615800000001, codes = {
    { QrdlCode = "D9II3BBA", DeepLinkUrl = "https://wa.me/message/D9II3BBA",
      PrefilledMessage = "from list_qrdl", QrImageUrl = "https://qrdl.invalid/D9II3BBA.png",
      GenerateQrImage = "PNG", PhoneNumber = "8615800000001" },
    { name = "Delivery", deep_link = "https://wa.me/8615800000001?text="
      .. core.percent_encode("Order \240\159\141\149 #12") },
    { name = "Reception\tdesk", code = "D9II3BBC", deep_link = "https://wa.me/message/D9II3BBC",
      message = "line 1\r\nline 2\1" },
  } },
}

-- The deep links of M.NUMBERS, sorted.
function M.links()
  local out = {}
  for _, n in ipairs(M.NUMBERS) do
    for _, c in ipairs(n.codes) do out[#out + 1] = c.deep_link or c.DeepLinkUrl end
  end
  table.sort(out)
  return out
end

return M

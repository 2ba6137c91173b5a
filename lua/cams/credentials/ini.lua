--- A tiny INI reader for ~/.alibabacloud/credentials.
--
--   [default]
--   type = access_key          ; comments start with ; or #
--   access_key_id = LTAI...
--
-- Section and key names are kept as written; values are trimmed, a value in
-- double quotes loses them, and " #" or " ;" starts a trailing comment.

local M = {}

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

--- Parse INI text. Returns { [section] = { [key] = value } }, or nil and a
-- message naming the line (never quoting it: values may be secrets).
function M.parse(text)
  local sections, current = {}, nil
  local n = 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    line = trim(line:gsub("\r$", ""))
    if n == 1 then
      line = line:gsub("^\239\187\191", "") -- UTF-8 byte order mark
    end
    if line == "" or line:find("^[#;]") then -- luacheck: ignore 542
      -- blank or comment
    elseif line:sub(1, 1) == "[" then
      local name = line:match("^%[%s*(.-)%s*%]$")
      if not name or name == "" then
        return nil, "line " .. n .. ": malformed section header"
      end
      current = sections[name] or {}
      sections[name] = current
    else
      local key, value = line:match("^([^=]-)%s*=%s*(.*)$")
      if not key or key == "" then
        return nil, "line " .. n .. ": expected key = value"
      end
      if not current then
        return nil, "line " .. n .. ": key outside of a [section]"
      end
      local quoted = value:match('^"(.*)"$')
      if quoted then
        value = quoted
      else
        value = trim(value:gsub("%s[#;].*$", ""))
      end
      current[trim(key)] = value
    end
  end
  return sections
end

return M

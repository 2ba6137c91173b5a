--- The terminal: is a stream one, text that is safe to show on it, and confirmation of
-- changes that cannot be undone.

local M = {}

local byte, format = string.byte, string.format

local function hex(c)
  return format("\\x%02X", byte(c))
end

-- A 2- or 3-byte UTF-8 sequence as \uNNNN.
local function code_point(c)
  local a, b, d = byte(c, 1, 3)
  local n = d and ((a % 16) * 4096 + (b % 64) * 64 + d % 64) or ((a % 32) * 64 + b % 64)
  return format("\\u%04X", n)
end

--- `s` as it may be shown on a terminal (it may come from a server): control characters
-- (C0, DEL, C1), the bidirectional controls and the line and paragraph separators are
-- escaped (\x1B, \u009B, \u202E), so nothing in it moves the cursor, changes colours or
-- the title, or reorders the line. Text that is not valid UTF-8 (a binary answer) has
-- every byte outside printable ASCII escaped.
function M.printable(s)
  s = tostring(s)
  if not require("cams.core").utf8_valid(s) then
    return (s:gsub("[%c\127-\255]", hex))
  end
  return (s:gsub("[%c\127]", hex)
    :gsub("\194[\128-\159]", code_point)         -- C1 controls (U+0080..U+009F)
    :gsub("\216\156", code_point)                 -- U+061C arabic letter mark
    :gsub("\226\128[\142\143\168-\174]", code_point) -- U+200E/F, U+2028..U+202E
    :gsub("\226\129[\166-\169]", code_point))      -- U+2066..U+2069 isolates
end

local isatty_cache = {}

--- True when file descriptor `fd` (0, 1 or 2) is a terminal. Plain Lua has no
-- isatty, so test(1) answers: the shell inherits this process's descriptors.
function M.isatty(fd)
  if isatty_cache[fd] == nil then
    local a, _, c = os.execute("test -t " .. math.floor(fd))
    if type(a) == "number" then -- Lua 5.1 / LuaJIT
      isatty_cache[fd] = a == 0
    else
      isatty_cache[fd] = a == true and (c == nil or c == 0)
    end
  end
  return isatty_cache[fd]
end

--- States `warning` on stderr, then asks for confirmation when standard input is a
-- terminal. `yes` skips the question. Returns true to go on; false when the answer was
-- not yes; nil and a reason when no one can be asked.
function M.confirm(warning, yes)
  io.stderr:write(warning, "\n")
  if yes then
    return true
  end
  if not M.isatty(0) then
    return nil, "refusing to go on without confirmation: standard input is not a terminal; "
      .. "pass --yes to confirm"
  end
  io.stderr:write("Continue? [y/N] ")
  io.stderr:flush()
  local answer = io.stdin:read("*l")
  if answer and (answer:match("^%s*[yY]%s*$") or answer:match("^%s*[yY][eE][sS]%s*$")) then
    return true
  end
  return false
end

return M

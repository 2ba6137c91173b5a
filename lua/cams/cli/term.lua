--- The terminal: is a stream one, text that is safe to show on it, and confirmation of
-- changes that cannot be undone.

local M = {}

local errors = require "cams.errors"

--- `s` as it may be shown on a terminal (it may come from a server): see
-- cams.errors.printable.
function M.printable(s)
  return errors.printable(tostring(s))
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

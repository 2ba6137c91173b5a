--- Keeps the AccessKey secret and the security token out of error messages.
--
-- A message can quote them: a libcurl or signer message, or a server answer (a V2
-- SignatureDoesNotMatch quotes the server's string to sign, in which the token appears
-- percent-encoded twice). Every form is replaced by "****".

local M = {}

local find, sub = string.find, string.sub

-- `s` with every plain occurrence of `needle` replaced by "****".
local function replace_all(s, needle)
  local i = find(s, needle, 1, true)
  while i do
    s = sub(s, 1, i - 1) .. "****" .. sub(s, i + #needle)
    i = find(s, needle, i + 4, true)
  end
  return s
end

--- A redactor for these secrets (nil and "" are skipped). `encode(s, mode)` is the core's
-- percent-encoder ("strict" or "form"); without it only the raw forms are replaced.
-- Returns a function that maps a value to a string without any form of the secrets.
function M.new(secrets, encode)
  local forms, seen = {}, {}
  local function add(s)
    if s and s ~= "" and not seen[s] then
      seen[s] = true
      forms[#forms + 1] = s
    end
  end
  for _, s in pairs(secrets) do
    if type(s) == "string" and s ~= "" then
      add(s)
      if encode then
        for _, mode in ipairs{ "strict", "form" } do
          local once = encode(s, mode)
          add(once)
          add(encode(once, mode))
        end
      end
    end
  end
  -- longest first, so that no form is left half-replaced by a shorter one
  table.sort(forms, function(a, b) return #a > #b end)
  return function(v)
    local s = tostring(v)
    for _, form in ipairs(forms) do
      s = replace_all(s, form)
    end
    return s
  end
end

--- Redacts every string field of an error object in place; returns it.
function M.error(err, redact)
  for k, v in pairs(err) do
    if type(v) == "string" then
      err[k] = redact(v)
    end
  end
  return err
end

return M

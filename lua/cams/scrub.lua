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

-- `s` as it appears inside a JSON string (lua-cjson writes "/" as "\/").
local function json_escaped(s)
  return (s:gsub('[%c"\\/]', function(c)
    if c == '"' or c == "\\" or c == "/" then
      return "\\" .. c
    end
    return string.format("\\u%04x", c:byte())
  end))
end

--- A redactor for these secrets (nil and "" are skipped). `encode(s, mode)` is the core's
-- percent-encoder ("strict" or "form"); without it only the raw and JSON forms are
-- replaced. Every form is replaced: raw, percent-encoded once and twice (strict, and
-- form-encoded with "+" for a space), each also as written inside a JSON string.
-- Returns a function that maps a value to a string without any form of the secrets.
function M.new(secrets, encode)
  local forms, seen = {}, {}
  local function add_one(s)
    if s and s ~= "" and not seen[s] then
      seen[s] = true
      forms[#forms + 1] = s
    end
  end
  local function add(s)
    add_one(s)
    add_one(json_escaped(s))
  end
  for _, s in pairs(secrets) do
    if type(s) == "string" and s ~= "" then
      add(s)
      if encode then
        for _, mode in ipairs{ "strict", "form" } do
          local once = encode(s, mode)
          add(once)
          add(encode(once, mode))
          if mode == "form" then
            add((once:gsub("%%20", "+"))) -- application/x-www-form-urlencoded
          end
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

-- Fields of an error that the library sets from a fixed list: never rewritten (a short
-- secret must not turn a code into "****").
local FIXED = { code = true, action = true }

--- Redacts the text fields of an error object in place (a cause's too); returns it.
function M.error(err, redact)
  for k, v in pairs(err) do
    if type(v) == "string" and not FIXED[k] then
      err[k] = redact(v)
    elseif k == "cause" and type(v) == "table" then
      M.error(v, redact)
    end
  end
  return err
end

--- A copy of a table of headers with every value redacted (traces).
function M.headers(headers, redact)
  local out = {}
  for k, v in pairs(headers or {}) do
    out[k] = redact(v)
  end
  return out
end

return M

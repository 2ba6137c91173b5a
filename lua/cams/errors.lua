--- Error objects returned by lua-cams.
--
-- Every failure is reported as `nil, err` where `err` is a table with a
-- metatable; `tostring(err)` gives one readable line. Fields:
--
--   code                  the API's Code, or a local one (InvalidParameter,
--                         MissingCredentials, NotSupported, Transport.*,
--                         Response.Malformed, HTTP.<status>, ...)
--   message               human readable text (never contains secrets)
--   status                HTTP status, or nil when no response was received
--   request_id            RequestId of the response, when known
--   access_denied_detail  AccessDeniedDetail of the response, when present
--   recommend             Recommend (diagnosis URL) of the response, when present
--   action                CAMS action name, when the error belongs to a call
--   retryable             true when repeating the same call may succeed
--   uncertain             true when the request may have been carried out although no
--                         answer says so (it went out, then the answer was lost: a timeout
--                         or reset after sending, a 5xx, a broken answer)
--   attempts              number of requests sent (0 when none was sent)

local M = {}

local Error = {}
Error.__index = Error
Error.__name = "cams.error"

local function one_line(s)
  return (tostring(s):gsub("[\r\n]+", " "))
end

function Error.__tostring(e)
  local out = { "cams: " }
  if e.action then
    out[#out + 1] = one_line(e.action) .. " failed: "
  end
  out[#out + 1] = one_line(e.code or "Error")
  if e.message ~= nil and e.message ~= "" then
    out[#out + 1] = ": " .. one_line(e.message)
  end
  local extra = {}
  if e.status then
    extra[#extra + 1] = "HTTP " .. tostring(e.status)
  end
  if e.request_id then
    extra[#extra + 1] = "RequestId " .. one_line(e.request_id)
  end
  if type(e.attempts) == "number" and e.attempts > 1 then
    extra[#extra + 1] = tostring(e.attempts) .. " attempts"
  end
  if #extra > 0 then
    out[#out + 1] = " (" .. table.concat(extra, ", ") .. ")"
  end
  return table.concat(out)
end

-- `"prefix: " .. err` works like `"prefix: " .. tostring(err)`.
function Error.__concat(a, b)
  return tostring(a) .. tostring(b)
end

--- True when `v` is a lua-cams error object.
function M.is_error(v)
  return getmetatable(v) == Error
end

--- Whether a failure with this code / HTTP status is worth repeating.
function M.is_retryable(code, status)
  if type(status) == "number" and status >= 500 and status <= 599 then
    return true
  end
  if type(code) ~= "string" then
    return false
  end
  return code == "System.LimitControl"
    or code:sub(1, 10) == "Throttling"
    or code:sub(1, 18) == "ServiceUnavailable"
    or code == "Transport.Connect"
    or code == "Transport.Timeout"
    or code == "Transport.Reset" -- the answer was lost, as with a timeout
end

--- Build an error object from a table of fields (copied).
-- `retryable` is derived from code and status unless given; `attempts`
-- defaults to 0.
function M.new(fields)
  local e = {}
  for k, v in pairs(fields or {}) do
    e[k] = v
  end
  if e.code == nil then
    e.code = "Error"
  end
  if e.message == nil then
    e.message = ""
  end
  if e.retryable == nil then
    e.retryable = M.is_retryable(e.code, e.status)
  end
  if e.attempts == nil then
    e.attempts = 0
  end
  e.uncertain = e.uncertain == true
  return setmetatable(e, Error)
end

-- A field of a decoded body when it is a string.
local function string_or_nil(v)
  if type(v) == "string" then
    return v
  end
  return nil
end

--- Printable prefix of a raw body: at most `n` bytes, control bytes escaped.
function M.snippet(raw, n)
  if type(raw) ~= "string" then
    return ""
  end
  n = n or 200
  local s = M.printable(raw:sub(1, n))
  if #raw > n then
    s = s .. "..."
  end
  return s
end

local function hex(c)
  return string.format("\\x%02X", c:byte())
end

-- A 2- or 3-byte UTF-8 sequence as \uNNNN.
local function code_point(c)
  local a, b, d = c:byte(1, 3)
  local n = d and ((a % 16) * 4096 + (b % 64) * 64 + d % 64) or ((a % 32) * 64 + b % 64)
  return string.format("\\u%04X", n)
end

--- Text from a server, safe to print on a terminal: control characters (C0, DEL, C1),
-- the bidirectional controls and the line and paragraph separators are escaped (\x1B,
-- \u009B, \u202E), so nothing in it moves the cursor, changes colours or the title, or
-- reorders the line. Text that is not valid UTF-8 (a compressed or binary body) has every
-- byte outside printable ASCII escaped.
function M.printable(s)
  local ok, core = pcall(require, "cams.core")
  if s:find("[\128-\255]") and not (ok and type(core) == "table" and core.utf8_valid(s)) then
    return (s:gsub("[%c\127-\255]", hex))
  end
  return (s:gsub("[%c\127]", hex)
    :gsub("\194[\128-\159]", code_point)            -- C1 controls (U+0080..U+009F)
    :gsub("\216\156", code_point)                    -- U+061C arabic letter mark
    :gsub("\226\128[\142\143\168-\174]", code_point) -- U+200E/F, U+2028..U+202E
    :gsub("\226\129[\166-\169]", code_point))         -- U+2066..U+2069 isolates
end

--- `s` with every occurrence of each non-empty string in `secrets` replaced
-- by "****" (for messages that may echo a request back).
function M.scrub(s, secrets)
  local ok, core = pcall(require, "cams.core")
  return require("cams.scrub").new(secrets, ok and type(core) == "table" and core.percent_encode
    or nil)(s)
end

--- Error for an HTTP response that is not a success.
-- `body` is the decoded JSON object or nil; `raw` the raw body; `headers`
-- the response headers (lowercase names) or nil.
function M.from_response(action, status, body, raw, headers)
  local code, message, request_id, detail, recommend
  if type(body) == "table" then
    code = string_or_nil(body.Code)
    message = string_or_nil(body.Message)
    request_id = string_or_nil(body.RequestId)
    detail = string_or_nil(body.AccessDeniedDetail)
    recommend = string_or_nil(body.Recommend)
  end
  -- what a server wrote is shown as it is only when it is printable text
  -- (a message's line breaks become spaces, as tostring(err) would show them)
  code, message = code and M.printable(code), message and M.printable((message:gsub("[\r\n]+", " ")))
  detail, recommend = detail and M.printable(detail), recommend and M.printable(recommend)
  if not request_id and type(headers) == "table" then
    request_id = string_or_nil(headers["x-acs-request-id"])
  end
  request_id = request_id and M.printable(request_id)
  if code == "OK" then -- "OK" with a failing HTTP status: report the status
    code = nil
  end
  if not code then
    code = "HTTP." .. tostring(status)
    if not message then
      message = "unexpected HTTP status " .. tostring(status)
      local snip = M.snippet(raw, 200)
      if snip ~= "" then
        message = message .. ": " .. snip
      end
    end
  end
  return M.new{
    code = code,
    message = message or "(no message)",
    status = status,
    request_id = request_id,
    access_denied_detail = detail,
    recommend = recommend,
    action = action,
    attempts = 1,
    -- a 5xx without the API's own error (a gateway's page): it may have been carried out
    uncertain = code == "HTTP." .. tostring(status) and type(status) == "number"
      and status >= 500,
  }
end

--- Error for a failed HTTP exchange (no response received); `sent`: whether the request had
-- started to go out (then the server may have acted on it).
function M.from_transport(action, code, message, sent)
  return M.new{
    code = type(code) == "string" and code or "Transport.Error",
    message = message ~= nil and tostring(message) or "transport failure",
    action = action,
    attempts = 1,
    uncertain = sent == true,
  }
end

---------------------------------------------------------------------------
-- Named errors raised before or instead of a request (attempts = 0 unless stated)

--- A bad argument or option, found before anything was sent.
function M.invalid(message, action)
  return M.new{ code = "InvalidParameter", message = message, action = action,
    retryable = false }
end

--- An option value or a place this build cannot serve.
function M.not_supported(message, action)
  return M.new{ code = "NotSupported", message = message, action = action, retryable = false }
end

--- No rate-limit slot came free before the deadline.
function M.deadline_exceeded(message, action)
  return M.new{ code = "DeadlineExceeded", message = message, action = action,
    retryable = false }
end

--- The C module could not be loaded.
function M.core_unavailable(message)
  return M.new{ code = "Core.Unavailable", message = message, retryable = false }
end

--- Temporary credentials could not be had; `fields` may add status, request_id and
-- retryable (default: false).
function M.credentials_unavailable(message, fields)
  local e = { code = "Credentials.Unavailable", message = message, retryable = false }
  for k, v in pairs(fields or {}) do
    e[k] = v
  end
  return M.new(e)
end

--- A change whose answer was lost (`lost`, the error of that attempt) and whose outcome
-- could not be told: `code` is "Reconcile.Ambiguous" (the listed codes do not say) or
-- "Reconcile.Failed" (they could not be listed). `fields` adds candidates or cause.
function M.unreconciled(code, message, lost, fields)
  local e = {
    code = code, action = lost.action, attempts = lost.attempts, status = lost.status,
    request_id = lost.request_id, uncertain = true, retryable = false,
    message = message .. "; nothing was sent again (after " .. tostring(lost.code) .. ": "
      .. tostring(lost.message) .. ")",
  }
  for k, v in pairs(fields or {}) do
    e[k] = v
  end
  return M.new(e)
end

--- A success status whose body is not a JSON object, or (with `why`) not the documented
-- answer.
function M.malformed(action, status, request_id, raw, why)
  return M.new{
    code = "Response.Malformed",
    message = why and ("the answer is not the documented one: " .. why)
      or ("response body is not a JSON object: " .. M.snippet(raw, 200)),
    status = status, request_id = request_id, action = action, attempts = 1,
    uncertain = true, -- something answered success, and the answer broke
  }
end

return M

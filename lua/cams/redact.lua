--- Redaction of signed requests before they are shown (dry runs, traces).
--
-- Hidden: the signature of the Authorization header, the x-acs-security-token
-- header, and the SecurityToken and Signature parameters of a query string or
-- form body. The AccessKey id stays visible: it names the key, it is not a secret.

local M = {}

M.MARK = "<redacted>"

local SECRET_PARAMS = { SecurityToken = true, Signature = true }

--- A query string or form body with the values of SecurityToken and Signature hidden.
function M.params(s)
  if type(s) ~= "string" then
    return s
  end
  return (s:gsub("([^&?=]+)=([^&]*)", function(name, value)
    if SECRET_PARAMS[name] then
      return name .. "=" .. M.MARK
    end
    return name .. "=" .. value
  end))
end

--- A redacted copy of a header table (names in any case).
function M.headers(headers)
  local out = {}
  for name, value in pairs(headers or {}) do
    local lname = type(name) == "string" and name:lower()
    if lname == "authorization" and type(value) == "string" then
      value = value:gsub("Signature=[^,%s]*", "Signature=" .. M.MARK)
    elseif lname == "x-acs-security-token" then
      value = M.MARK
    end
    out[name] = value
  end
  return out
end

--- A redacted copy of a request table {method=, url=, headers=, body=, ...}.
function M.request(req)
  local out = {}
  for k, v in pairs(req) do
    out[k] = v
  end
  out.url = M.params(req.url)
  out.headers = M.headers(req.headers)
  out.body = M.params(req.body)
  return out
end

return M
